"""The unit of output: one feed's rows for one file (quarter, version, baseline or not)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.calendar import BASELINE, QUARTERS, Quarter, quarter_index

Rows = dict[str, np.ndarray]


@dataclass
class Batch:
    feed: str
    quarter: Quarter
    rows: Rows
    version: int = 1
    baseline: bool = False

    @property
    def file_stem(self) -> str:
        if self.baseline:
            return f"{self.feed}_baseline_{self.quarter}"
        return f"{self.feed}_{self.quarter}" + (f"_v{self.version}" if self.version > 1 else "")

    def __len__(self) -> int:
        return len(next(iter(self.rows.values())))


def take(rows: Rows, index: np.ndarray) -> Rows:
    return {k: v[index] for k, v in rows.items()}


def concat(parts: list[Rows]) -> Rows:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def split_events(
    feed: str,
    rows: Rows,
    date_column: str,
    sort_by: tuple[str, ...] = (),
    baseline: bool = False,
) -> list[Batch]:
    """An event feed's rows cut into quarter files (and a 2021Q4 baseline of the history).

    Rows dated after the last sample quarter are dropped (not yet delivered); rows before it go
    to the baseline file, or are dropped when the feed has none. Each file is sorted by the
    event date, then by `sort_by`.
    """
    dates = rows[date_column]
    qi = quarter_index(dates)
    order_keys = [rows[k] for k in reversed(sort_by)] + [dates]
    order = np.lexsort(order_keys)
    out = []
    if baseline:
        idx = order[qi[order] <= BASELINE.index]
        out.append(Batch(feed, BASELINE, take(rows, idx), baseline=True))
    for q in QUARTERS:
        idx = order[qi[order] == q.index]
        out.append(Batch(feed, q, take(rows, idx)))
    return out


def group_rank(groups: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """0-based position of each row inside its group (random order when rng is given)."""
    n = groups.size
    tiebreak = rng.random(n) if rng is not None else np.arange(n)
    order = np.lexsort((tiebreak, groups))
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - run_start
    return rank
