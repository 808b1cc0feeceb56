"""Deterministic synthetic department files: the bundled sample and benchmark data.

`generate(out, scale)` writes a landing folder of every feed of the contract for 2022Q1-2024Q2
(plus 2021Q4 baselines of the cumulative feeds) whose 2023Q4 figures are the city's reply to
suggestion No. 348; `generate_broken(out)` writes files that break the contract on purpose, one
per reason code, with the outcome the loader must reach for each.
"""

from retention.sample.broken import BrokenCase, generate_broken
from retention.sample.generate import generate

__all__ = ["BrokenCase", "generate", "generate_broken"]
