"""The reference data the sample must agree with (seeds/reference), read once."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from retention.paths import REFERENCE_DIR


def _rows(name: str, reference_dir: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    with (reference_dir / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class SubsidyStandard:
    """One line of the subsidy catalogue: an item's amount range from a date on."""

    item: str
    category: str
    usual_payee: str
    min_cents: int
    max_cents: int
    effective_from: np.datetime64
    effective_to: np.datetime64  # NaT: still in force


def _cents(text: str) -> int:
    whole, _, frac = text.strip().partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


@dataclass(frozen=True)
class Reference:
    towns: tuple[str, ...]
    divisions: tuple[tuple[str, str], ...]  # (region_code, region_name)
    sections: tuple[str, ...]
    catalogue: tuple[SubsidyStandard, ...]
    targets: dict[int, int]  # year -> Cixi's annual intake target
    due_days: dict[str, int]  # feed -> its deadline, in days after the quarter's end

    def standards(self, item: str) -> list[SubsidyStandard]:
        return [s for s in self.catalogue if s.item == item]

    def bounds(self, item: str, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per payment date, the item's min and max amount in cents (-1 where not in force)."""
        lo = np.full(dates.shape, -1, np.int64)
        hi = np.full(dates.shape, -1, np.int64)
        for s in self.standards(item):
            live = dates >= s.effective_from
            if not np.isnat(s.effective_to):
                live &= dates <= s.effective_to
            lo[live], hi[live] = s.min_cents, s.max_cents
        return lo, hi

    def in_force_from(self, item: str) -> np.datetime64:
        return min(s.effective_from for s in self.standards(item))

    def category(self, item: str) -> str:
        return self.standards(item)[0].category


@cache
def reference(reference_dir: Path = REFERENCE_DIR) -> Reference:
    catalogue = tuple(
        SubsidyStandard(
            item=r["subsidy_item"],
            category=r["category"],
            usual_payee=r["usual_payee"],
            min_cents=_cents(r["min_yuan_per_payment"]),
            max_cents=_cents(r["max_yuan_per_payment"]),
            effective_from=np.datetime64(r["effective_from"], "D"),
            effective_to=np.datetime64(r["effective_to"] or "NaT", "D"),
        )
        for r in _rows("subsidy_catalogue", reference_dir)
    )
    return Reference(
        towns=tuple(r["town_name"] for r in _rows("cixi_towns", reference_dir)),
        divisions=tuple(
            (r["region_code"], r["region_name"]) for r in _rows("ningbo_divisions", reference_dir)
        ),
        sections=tuple(r["section"] for r in _rows("industry_sections", reference_dir)),
        catalogue=catalogue,
        targets={
            int(r["year"]): int(r["annual_target"]) for r in _rows("intake_targets", reference_dir)
        },
        due_days={
            r["feed"]: int(r["due_days_after_quarter_end"])
            for r in _rows("submission_calendar", reference_dir)
        },
    )
