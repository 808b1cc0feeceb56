"""Record numbers as departments write them: a prefix, the year, then a sequence through the
year in date order (ties in random order), e.g. CXJS2023000123."""

from __future__ import annotations

import numpy as np

from retention.sample.calendar import year_of


def yearly_ids(
    rng: np.random.Generator, dates: np.ndarray, prefix: str, min_width: int, headroom: int = 0
) -> np.ndarray:
    """`headroom` widens the number for records a later version of the file may add."""
    year = year_of(dates)
    order = np.lexsort((rng.random(dates.size), dates))
    seq = np.empty(dates.size, np.int64)
    for y in np.unique(year):
        idx = order[year[order] == y]
        seq[idx] = np.arange(1, idx.size + 1)
    width = max(min_width, len(str(int(seq.max()) + headroom)))
    return np.array(
        [f"{prefix}{y}{s:0{width}d}" for y, s in zip(year.tolist(), seq.tolist(), strict=True)]
    )
