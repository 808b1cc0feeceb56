"""What every feed generator shares: the scale, the reference data, the ID allocator and the
city's organisations."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retention.sample.organisations import Organisations, make_organisations, sole_traders
from retention.sample.people import IdAllocator
from retention.sample.randomness import stream
from retention.sample.reference import Reference, reference


@dataclass
class Context:
    scale: int
    ref: Reference = field(default_factory=reference)
    ids: IdAllocator = field(default_factory=IdAllocator)
    employers: Organisations = field(init=False)
    startups: Organisations = field(init=False)
    employer_weight: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.employers = make_organisations(stream("employers"), 3200 * self.scale, self.ref.towns)
        self.startups = sole_traders(stream("startups"), 900 * self.scale, self.ref.towns)
        # A few large employers hire many graduates, most hire one or two a year (Zipf-like).
        rank = stream("employer-size").permutation(len(self.employers)) + 1
        w = 1.0 / rank**0.85
        self.employer_weight = w / w.sum()

    def n(self, base: float) -> int:
        """A row count of the scale-1 plan, multiplied by the scale."""
        return int(round(base * self.scale))

    def employer_sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Indices into `employers`, bigger firms more often."""
        return rng.choice(len(self.employers), size=n, p=self.employer_weight)
