"""youth.practice_position and youth.practice_participant: the “家燕归巢” social-practice camp
that brings Cixi's college students home for holiday placements.

Positions are published before each winter and summer holiday; young people start on a
position already published (so every participant's 岗位编号 names a position delivered in the
same or an earlier file). By 2023-12-31: 3957 places (3900余个) and 8550 young people
(8000余名), the reply's figures; some come back for a second season.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.batches import Batch, split_events
from retention.sample.calendar import day, random_workdays
from retention.sample.college import LOCAL_COLLEGE, Students
from retention.sample.context import Context
from retention.sample.graduates import COLLEGES
from retention.sample.numbering import yearly_ids
from retention.sample.people import Persons, birth_dates, region_mix
from retention.sample.randomness import pick_values, stream

CATEGORIES = ("科研类", "技术技能类", "管理类", "社会服务类")
CATEGORY_BY_SECTION = {
    "M": 0,
    "I": 0,
    "C": 1,
    "E": 1,
    "D": 1,
    "Q": 3,
    "P": 3,
    "S": 3,
    "O": 3,
    "N": 3,
    "R": 3,
    "H": 3,
    "A": 3,
}
TITLES = {
    "科研类": ("研发助理", "实验助理", "检测助理", "技术研究助理"),
    "技术技能类": ("生产技术助理", "设备维护助理", "质量检验助理", "电商运营助理", "软件测试助理"),
    "管理类": ("行政助理", "人事助理", "财务助理", "市场营销助理", "项目管理助理"),
    "社会服务类": (
        "社区服务志愿者",
        "图书馆助理",
        "文化宣传助理",
        "青少年服务助理",
        "政务服务助理",
    ),
}
# Places (sum of 名额) published per year; 2021 is the baseline year, 2024 its first half.
SLOTS = {2021: 1120, 2022: 1296, 2023: 1541, 2024: 880}
SLOT_SIZES = {1: 25, 2: 30, 3: 18, 4: 8, 5: 8, 6: 2, 8: 3, 10: 3, 15: 1.5, 20: 1, 30: 0.5, 50: 0.2}
PUBLISH_MONTHS = {
    1: 0.12,
    2: 0.03,
    3: 0.02,
    4: 0.04,
    5: 0.12,
    6: 0.22,
    7: 0.18,
    8: 0.03,
    9: 0.02,
    10: 0.04,
    11: 0.08,
    12: 0.10,
}
# Young people taking part for the first time, and returning for another season, per year.
NEW_YOUTH = {2021: 2310, 2022: 2760, 2023: 3480, 2024: 1500}
RETURNING = {2022: 300, 2023: 450, 2024: 380}
START_MONTHS = {1: 0.18, 2: 0.10, 4: 0.03, 5: 0.02, 7: 0.40, 8: 0.18, 10: 0.04, 11: 0.03, 12: 0.02}
LOCAL_SHARE = 0.10  # students of the local college
LAUNCH = "2021-05-01"
LAST = "2024-06-30"


@dataclass
class Positions:
    rows: dict[str, np.ndarray]


def _exact_slots(rng: np.random.Generator, total: int) -> np.ndarray:
    """Place counts (1-100 each) adding up to exactly `total`."""
    sizes = np.array(list(SLOT_SIZES))
    w = np.array(list(SLOT_SIZES.values()), float)
    mean = float((sizes * w).sum() / w.sum())
    slots = sizes[rng.choice(sizes.size, size=max(1, int(total / mean)), p=w / w.sum())]
    while slots.sum() > total:
        slots = slots[:-1]
    diff = total - int(slots.sum())
    # Fill the gap with small positions rather than inflating big ones.
    extra = []
    while diff > 0:
        k = int(min(diff, sizes[rng.integers(0, 5)]))
        extra.append(k)
        diff -= k
    return np.concatenate([slots, np.array(extra, int)]).astype(np.int64)


def make_positions(ctx: Context) -> Positions:
    rng = stream("practice-positions")
    parts = []
    for year, total in SLOTS.items():
        slots = _exact_slots(rng, ctx.n(total))
        first = day(LAUNCH) if year == 2021 else day(f"{year}-01-01")
        last = day(LAST) if year == 2024 else day(f"{year}-12-31")
        published = random_workdays(rng, first, last, slots.size, PUBLISH_MONTHS)
        parts.append((year, slots, published))
    slots = np.concatenate([p[1] for p in parts])
    published = np.concatenate([p[2] for p in parts])
    n = slots.size
    org = ctx.employer_sample(rng, n)
    section = ctx.employers.section[org]
    category = np.array([CATEGORIES[CATEGORY_BY_SECTION.get(s, 2)] for s in section.tolist()])
    title = np.array(
        [
            TITLES[c][i % len(TITLES[c])]
            for c, i in zip(category.tolist(), rng.integers(0, 100, n).tolist(), strict=True)
        ]
    )
    rows = {
        "position_id": yearly_ids(rng, published, "JYGC", 4),
        "org_name": ctx.employers.name[org],
        # Community organisations often leave the credit code out.
        "org_uscc": np.where(rng.random(n) < 0.08, "", ctx.employers.uscc[org]),
        "title": title,
        "category": category,
        "slots": slots,
        "published_on": published,
    }
    return Positions(rows)


def position_batches(positions: Positions) -> list[Batch]:
    return split_events(
        "practice_position", positions.rows, "published_on", ("position_id",), baseline=True
    )


@dataclass
class Participants:
    rows: dict[str, np.ndarray]
    persons: Persons  # one per enrolment row


def make_participants(ctx: Context, positions: Positions, students: Students) -> Participants:
    rng = stream("practice-participants")
    all_colleges = {**COLLEGES["大专"], **COLLEGES["本科"]}
    person_parts: list[Persons] = []
    college_parts: list[np.ndarray] = []
    start_parts: list[np.ndarray] = []
    used_students = np.zeros(len(students), bool)
    for year, count in NEW_YOUTH.items():
        n = ctx.n(count)
        first = day(LAUNCH) if year == 2021 else day(f"{year}-01-01")
        last = day(LAST) if year == 2024 else day(f"{year}-12-31")
        start = random_workdays(rng, first + 20, last, n, START_MONTHS)
        n_local = int(round(n * LOCAL_SHARE))
        # Students of the local college, before they graduate.
        pool = np.flatnonzero(
            (students.cohort > year) & (students.cohort <= year + 3) & ~used_students
        )
        local = np.sort(rng.choice(pool, size=n_local, replace=False))
        used_students[local] = True
        births = birth_dates(rng, year - 20 + rng.integers(-1, 2, n - n_local))
        others = ctx.ids.people(rng, births, region_mix(0.85, 0.10, 0.04, 0.01))
        person_parts += [students.persons.take(local), others]
        colleges = pick_values(rng, n - n_local, all_colleges)
        college_parts += [np.full(n_local, LOCAL_COLLEGE), colleges.astype(str)]
        start_parts.append(start)
    persons = Persons.concat(person_parts)
    college = np.concatenate(college_parts)
    start = np.concatenate(start_parts)

    # Returning young people: a later season, after their first one.
    extra_idx, extra_start = [], []
    for year, count in RETURNING.items():
        k = ctx.n(count)
        pool = np.flatnonzero(start < day(f"{year}-01-01") - 30)
        chosen = rng.choice(pool, size=k, replace=False)
        last = day(LAST) if year == 2024 else day(f"{year}-12-31")
        extra_idx.append(chosen)
        extra_start.append(random_workdays(rng, day(f"{year}-01-04"), last, k, START_MONTHS))
    idx = np.concatenate([np.arange(len(persons))] + extra_idx)
    start = np.concatenate([start] + extra_start)
    persons = persons.take(idx)
    college = college[idx]
    college = np.where(rng.random(idx.size) < 0.05, "", college)

    # A position published on or before the start day, recently if possible.
    pub = positions.rows["published_on"]
    order = np.argsort(pub, kind="stable")
    pub_sorted = pub[order]
    hi = np.searchsorted(pub_sorted, start, side="right")  # published <= start
    lo = np.searchsorted(pub_sorted, start - 150, side="left")
    lo = np.minimum(lo, hi - 1)
    choice = lo + (rng.random(start.size) * (hi - lo)).astype(np.int64)
    position = positions.rows["position_id"][order[choice]]

    n = start.size
    rows = {
        "enrollment_id": yearly_ids(rng, start, "BM", 5),
        "id_number": persons.id,
        "name": persons.name,
        "college_name": college,
        "position_id": position,
        "start_on": start,
        "end_on": start + rng.integers(6, 41, n),
    }
    return Participants(rows, persons)


def participant_batches(participants: Participants) -> list[Batch]:
    return split_events(
        "practice_participant", participants.rows, "start_on", ("enrollment_id",), baseline=True
    )
