"""Talents (人才): older people with a talent category, and edu.talent_child_enrollment, the
school places arranged for their children (人才子女入学): 120 talents in 2023, as the reply says.
"""

from __future__ import annotations

import numpy as np

from retention.sample.batches import Batch, split_events
from retention.sample.calendar import day, random_workdays
from retention.sample.context import Context
from retention.sample.numbering import yearly_ids
from retention.sample.people import Persons, birth_dates, region_mix
from retention.sample.randomness import pick_values, stream

TALENT_POOL = 4000
CATEGORIES = {"A类": 0.02, "B类": 0.06, "C类": 0.15, "D类": 0.30, "E类": 0.40, "其他": 0.07}
STAGES = {"幼儿园": 0.35, "小学": 0.40, "初中": 0.20, "高中": 0.05}
# Distinct talents served per year, and extra cases for a second child in the same year.
TALENTS_SERVED = {2022: 104, 2023: 120, 2024: 52}
SECOND_CHILD = {2022: 8, 2023: 11, 2024: 3}
RESOLVED_MONTHS = {
    1: 0.05,
    2: 0.12,
    3: 0.05,
    4: 0.02,
    5: 0.03,
    6: 0.05,
    7: 0.18,
    8: 0.35,
    9: 0.12,
    10: 0.01,
    11: 0.01,
    12: 0.01,
}
SCHOOL_KIND = {
    "幼儿园": ("中心幼儿园", "实验幼儿园"),
    "小学": ("中心小学", "实验小学"),
    "初中": ("初级中学", "实验初级中学"),
}
HIGH_SCHOOLS = (
    "浙江省慈溪中学",
    "慈溪市浒山中学",
    "慈溪市实验高级中学",
    "慈溪市杨贤江中学",
    "慈溪市周巷中学",
)


def make_talents(ctx: Context) -> Persons:
    rng = stream("talents")
    n = ctx.n(TALENT_POOL)
    births = birth_dates(rng, rng.integers(1968, 1994, n))
    return ctx.ids.people(rng, births, region_mix(0.25, 0.10, 0.25, 0.40))


def talent_categories(rng: np.random.Generator, n: int) -> np.ndarray:
    return pick_values(rng, n, CATEGORIES)


def child_enrollment_batches(ctx: Context, talents: Persons) -> list[Batch]:
    rng = stream("talent-children")
    towns = [t.removesuffix("街道").removesuffix("镇").removesuffix("新区") for t in ctx.ref.towns]
    ids, cats, stages, dates = [], [], [], []
    category = talent_categories(rng, len(talents))
    for year, count in TALENTS_SERVED.items():
        k = ctx.n(count)
        who = rng.choice(len(talents), size=k, replace=False)
        second = rng.choice(who, size=ctx.n(SECOND_CHILD[year]), replace=False)
        persons = np.concatenate([who, second])
        last = day("2024-06-28") if year == 2024 else day(f"{year}-12-31")
        when = random_workdays(rng, day(f"{year}-01-04"), last, persons.size, RESOLVED_MONTHS)
        ids.append(persons)
        cats.append(category[persons])
        stages.append(pick_values(rng, persons.size, STAGES))
        dates.append(when)
    who = np.concatenate(ids)
    stage = np.concatenate(stages)
    resolved = np.concatenate(dates)
    n = who.size
    school = np.empty(n, dtype=object)
    for i, s in enumerate(stage.tolist()):
        if s == "高中":
            school[i] = HIGH_SCHOOLS[rng.integers(0, len(HIGH_SCHOOLS))]
        else:
            kinds = SCHOOL_KIND[s]
            school[i] = f"慈溪市{towns[rng.integers(0, len(towns))]}{kinds[rng.integers(0, 2)]}"
    school = np.where(rng.random(n) < 0.04, "", school.astype(str))
    rows = {
        "case_id": yearly_ids(rng, resolved, "RCZN", 4),
        "talent_id_number": talents.id[who],
        "talent_category": np.concatenate(cats),
        "school_stage": stage,
        "assigned_school": school,
        "resolved_on": resolved,
    }
    return split_events("talent_child_enrollment", rows, "resolved_on", ("case_id",))
