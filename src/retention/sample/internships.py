"""hrss.internship_base: the roster of internship bases (就业见习基地名册), a quarterly snapshot.

Bases are designated in batches, reviewed every December, and revoked after a failed review or
when the firm closes. The roster lists every base ever designated, revoked ones included; a
revocation appears only from the quarter it happened in. Designed so that the 2023Q4 roster
shows 43 bases designated in 2023 (one of them revoked again within the year) and 130 active.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.batches import Batch
from retention.sample.calendar import QUARTERS, day, next_workday, random_workday_between
from retention.sample.context import Context
from retention.sample.numbering import yearly_ids
from retention.sample.randomness import pick, stream

BASE_TYPES = ("科研类", "技术技能类", "管理类", "社会服务类")
TYPE_BY_SECTION = {
    "M": 0,
    "I": 0,
    "C": 1,
    "E": 1,
    "D": 1,
    "B": 1,
    "F": 2,
    "L": 2,
    "J": 2,
    "K": 2,
    "G": 2,
    "Q": 3,
    "P": 3,
    "S": 3,
    "O": 3,
    "N": 3,
    "R": 3,
    "H": 3,
    "A": 3,
}
LEVELS = ("国家级", "省级", "市级", "县级")
LEVEL_SHARE = [0.02, 0.12, 0.30, 0.56]

# Designation batches and, per batch, how many bases (scale 1).
BATCHES: dict[str, int] = {
    "2016-05-20": 8,
    "2017-05-19": 9,
    "2018-04-20": 10,
    "2018-10-19": 6,
    "2019-04-19": 11,
    "2019-10-18": 7,
    "2020-06-19": 9,
    "2021-04-16": 10,
    "2021-09-17": 8,  # 78 before 2022
    "2022-04-15": 12,
    "2022-08-19": 13,
    "2022-11-25": 11,  # 36 in 2022
    "2023-03-24": 11,
    "2023-06-16": 12,
    "2023-09-15": 11,
    "2023-12-08": 9,  # 43 in 2023
    "2024-03-29": 14,
    "2024-06-14": 12,  # 26 in 2024H1
}
# Revocations of older bases per year (scale 1): 9 by the end of 2021, 7 in 2022, 10 in 2023,
# 3 in 2024H1; plus one base designated and revoked within 2023.
REVOKED = {2021: 9, 2022: 7, 2023: 10, 2024: 3}


@dataclass
class Bases:
    base_id: np.ndarray
    org: np.ndarray  # index into ctx.employers
    base_type: np.ndarray
    level: np.ndarray
    designated_on: np.ndarray
    revoked_on: np.ndarray  # NaT: not revoked
    failed_review: np.ndarray  # revoked after failing the December review
    positions: np.ndarray  # base number of internship positions
    growth_2024: np.ndarray
    uptake: np.ndarray  # trainees per position per year
    keep_rate: np.ndarray  # share of trainees kept on

    def __len__(self) -> int:
        return self.base_id.size

    def active_on(self, when: np.datetime64) -> np.ndarray:
        return (self.designated_on <= when) & (np.isnat(self.revoked_on) | (self.revoked_on > when))


def make_bases(ctx: Context) -> Bases:
    rng = stream("internship-bases")
    designated = np.concatenate(
        [np.full(ctx.n(k), next_workday(day(d))) for d, k in BATCHES.items()]
    )
    n = designated.size
    year = designated.astype("datetime64[Y]").astype(int) + 1970
    org = rng.choice(len(ctx.employers), size=n, replace=False)
    base_type = np.array(
        [BASE_TYPES[TYPE_BY_SECTION.get(s, 1)] for s in ctx.employers.section[org].tolist()]
    )
    level = np.array(LEVELS)[pick(rng, n, LEVEL_SHARE)]
    # Older bases reach the national and provincial levels; new ones start at county level.
    level = np.where(year >= 2023, np.where(rng.random(n) < 0.8, "县级", "市级"), level)

    revoked = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    failed = np.zeros(n, bool)
    for y, k in REVOKED.items():
        k = ctx.n(k)
        if y == 2021:
            pool = np.flatnonzero(designated < day("2020-01-01"))
            lo, hi = day("2020-03-01"), day("2021-11-30")
        else:
            pool = np.flatnonzero((designated < day(f"{y - 1}-12-01")) & np.isnat(revoked))
            lo, hi = day(f"{y}-01-05"), day(f"{y}-12-20") if y < 2024 else day("2024-06-20")
        chosen = rng.choice(pool, size=k, replace=False)
        # Most revocations follow a failed December review, in the first half of the year.
        after_review = rng.random(k) < 0.7
        hi_each = np.where(after_review, day(f"{y}-05-31"), hi)
        revoked[chosen] = random_workday_between(rng, np.full(k, lo), hi_each)
        failed[chosen] = after_review
    # One base designated in 2023 is revoked before the year is out (the firm moved away).
    k = ctx.n(1)
    pool = np.flatnonzero(designated == next_workday(day("2023-03-24")))
    chosen = rng.choice(pool, size=k, replace=False)
    revoked[chosen] = random_workday_between(
        rng, np.full(k, day("2023-10-09")), np.full(k, day("2023-11-30"))
    )

    base_id = yearly_ids(rng, designated, "CXJX", 3)
    positions = rng.integers(3, 15, n)
    return Bases(
        base_id=base_id,
        org=org,
        base_type=base_type,
        level=level,
        designated_on=designated,
        revoked_on=revoked,
        failed_review=failed,
        positions=positions,
        growth_2024=rng.integers(0, 4, n),
        uptake=rng.uniform(0.55, 1.05, n),
        keep_rate=rng.uniform(0.25, 0.7, n),
    )


# Share of a year's trainees taken on by each quarter's end.
TRAINEE_PROGRESS = {1: 0.15, 2: 0.35, 3: 0.80, 4: 1.0}
REVIEW_DAY = "12-12"


def base_batches(ctx: Context, bases: Bases) -> list[Batch]:
    out = []
    for q in QUARTERS:
        end = q.end
        idx = np.flatnonzero(bases.designated_on <= end)
        revoked = bases.revoked_on[idx]
        gone = ~np.isnat(revoked) & (revoked <= end)
        positions = bases.positions[idx] + (bases.growth_2024[idx] if q.year >= 2024 else 0)
        # Trainees this year so far, pro rata for bases designated during the year.
        year_start = day(f"{q.year}-01-01")
        since = np.maximum(bases.designated_on[idx], year_start)
        share = np.clip(
            (end - since).astype(int) / max(1, int((end - year_start).astype(int))), 0, 1
        )
        trainees = np.floor(positions * bases.uptake[idx] * TRAINEE_PROGRESS[q.q] * share)
        trainees = trainees.astype(np.int64)
        retained = np.floor(trainees * bases.keep_rate[idx]).astype(np.int64)
        positions = np.where(gone, 0, positions).astype(np.int64)
        trainees = np.where(gone, 0, trainees)
        retained = np.where(gone, 0, retained)
        # The latest December review on or before the quarter's end.
        last_review = day(f"{q.year - 1}-{REVIEW_DAY}")
        reviewed = bases.designated_on[idx] < last_review - 11
        will_fail = (
            bases.failed_review[idx] & (revoked > last_review) & (revoked <= last_review + 200)
        )
        review = np.where(~reviewed, "未考核", np.where(will_fail, "不合格", "合格"))
        # A revoked base keeps the result it had when revoked: failed, or passed before closing.
        when = np.where(gone, revoked, day("2000-06-01"))
        ry = when.astype("datetime64[Y]").astype(int) + 1970
        review_before = np.where(when >= _review_day(ry), _review_day(ry), _review_day(ry - 1))
        passed_one = bases.designated_on[idx] < review_before - 11
        review = np.where(
            gone,
            np.where(bases.failed_review[idx], "不合格", np.where(passed_one, "合格", "未考核")),
            review,
        )
        rows = {
            "base_id": bases.base_id[idx],
            "org_name": ctx.employers.name[bases.org[idx]],
            "org_uscc": ctx.employers.uscc[bases.org[idx]],
            "base_type": bases.base_type[idx],
            "level": bases.level[idx],
            "designated_on": bases.designated_on[idx],
            "revoked_on": np.where(gone, revoked, np.datetime64("NaT")),
            "review_result": review,
            "positions": positions,
            "trainees": trainees,
            "retained": retained,
        }
        order = np.argsort(rows["base_id"], kind="stable")
        out.append(Batch("internship_base", q, {k: v[order] for k, v in rows.items()}))
    return out


def _review_day(years: np.ndarray) -> np.ndarray:
    return np.array([day(f"{y}-{REVIEW_DAY}") for y in years.tolist()], "datetime64[D]")
