"""The housing bureau's three feeds, each cumulative since before the sample (baselines):

- talent_apartment_sale: 1247 contracts signed by 2023-12-31 (累计销售人才公寓1247套);
- rental_housing_project: 35012 units raised by 2023-12-31 (累计筹集房源达到3.5万套);
- public_rental_allocation: 5508 migrant-worker households by 2023-12-31 (保障…家庭5508户).
"""

from __future__ import annotations

import numpy as np

from retention.sample.batches import Batch, concat, split_events
from retention.sample.calendar import day, random_workdays
from retention.sample.context import Context
from retention.sample.intake import Intake
from retention.sample.numbering import yearly_ids
from retention.sample.people import (
    MIGRANT_SOURCES,
    ZHEJIANG_OTHER,
    Persons,
    birth_dates,
    region_mix,
)
from retention.sample.randomness import pick, pick_values, stream

LAST = day("2024-06-28")

# ---- talent apartments -------------------------------------------------------------------
SALES = {2018: 150, 2019: 180, 2020: 170, 2021: 212, 2022: 293, 2023: 242, 2024: 120}
# (project, first year on sale, price per m² in yuan)
APARTMENT_PROJECTS = (
    ("人才公寓·海悦苑", 2018, 11800),
    ("人才公寓·青云苑", 2019, 12500),
    ("人才公寓·新城嘉园", 2020, 13200),
    ("人才公寓·前湾雅苑", 2021, 12800),
    ("人才公寓·宗汉和院", 2022, 13900),
    ("人才公寓·观海卫云庭", 2023, 12600),
    ("人才公寓·前湾雅苑二期", 2024, 13500),
)
UNIT_AREAS = (6985, 8962, 10533, 11976, 12840)  # m² in hundredths


def apartment_batches(ctx: Context, talents: Persons, intake: Intake) -> list[Batch]:
    rng = stream("talent-apartments")
    years = np.concatenate([np.full(ctx.n(k), y) for y, k in SALES.items()])
    n = years.size
    signed = np.empty(n, "datetime64[D]")
    for y in SALES:
        m = years == y
        last = LAST if y == 2024 else day(f"{y}-12-31")
        # Sales come in launches: most contracts in the weeks after one.
        signed[m] = random_workdays(
            rng,
            day(f"{y}-01-04"),
            last,
            int(m.sum()),
            {3: 2, 4: 3, 5: 1, 6: 1, 9: 2, 10: 1, 11: 3, 12: 1, 1: 0.3, 2: 0.2, 7: 0.5, 8: 0.5},
        )
    project = np.empty(n, int)
    for i, y in enumerate(years.tolist()):
        # The newest project on sale, sometimes the one before.
        on_sale = [k for k, p in enumerate(APARTMENT_PROJECTS) if p[1] <= y]
        project[i] = on_sale[-1] if len(on_sale) == 1 or rng.random() < 0.7 else on_sale[-2]
    # Buyers: talents, young professionals, and (from 2023) graduates received in Cixi.
    buyers_new = ctx.ids.people(
        rng, birth_dates(rng, rng.integers(1985, 1999, n)), region_mix(0.35, 0.15, 0.2, 0.3)
    )
    talent_pick = rng.choice(len(talents), size=n, replace=False)
    from_talent = rng.random(n) < 0.4
    buyer = np.where(from_talent, talents.id[talent_pick], buyers_new.id)
    grads = np.flatnonzero(
        np.isin(intake.rows["degree"], ["本科", "硕士", "博士"])
        & (intake.rows["received_on"] < day("2023-01-01"))
    )
    grads = grads[np.unique(intake.rows["id_number"][grads], return_index=True)[1]]
    late = np.flatnonzero((years >= 2023) & ~from_talent)
    k = int(0.3 * late.size)
    take_late = rng.choice(late, size=k, replace=False)
    buyer[take_late] = intake.rows["id_number"][rng.choice(grads, size=k, replace=False)]

    unit_seq = np.zeros(len(APARTMENT_PROJECTS), int)
    unit_no = []
    for p in project.tolist():
        u = unit_seq[p]
        unit_seq[p] += 1
        unit_no.append(f"{u // 64 + 1}幢{(u % 64) // 4 + 2}{u % 4 + 1:02d}室")
    area = np.array(UNIT_AREAS)[rng.integers(0, len(UNIT_AREAS), n)]
    rate = np.array([APARTMENT_PROJECTS[p][2] for p in project.tolist()])
    # Price: area × unit price, floor premiums, rounded to the yuan (cents zero).
    price_yuan = np.rint(area / 100 * rate * rng.uniform(0.97, 1.05, n)).astype(np.int64)
    rows = {
        "contract_id": yearly_ids(rng, signed, "RCGY", 4),
        "buyer_id_number": buyer,
        "project_name": np.array([APARTMENT_PROJECTS[p][0] for p in project.tolist()]),
        "unit_no": np.array(unit_no),
        "floor_area_m2": area.astype(np.int64),
        "price_yuan": price_yuan * 100,
        "signed_on": signed,
    }
    return split_events("talent_apartment_sale", rows, "signed_on", ("contract_id",), baseline=True)


# ---- affordable rental housing projects --------------------------------------------------
UNITS = {2019: 4200, 2020: 5600, 2021: 7620, 2022: 9288, 2023: 8304, 2024: 3650}
SUPPLY_MODES = {"新建": 0.35, "改建": 0.25, "转化": 0.20, "盘活存量": 0.20}
PROJECT_KINDS = {
    "新建": "保障性租赁住房项目",
    "改建": "职工宿舍改建项目",
    "转化": "非居住存量房转化项目",
    "盘活存量": "闲置住房盘活项目",
}
ESTATES = ("青年", "蓝领", "人才", "新市民", "安居", "和美", "悦居", "安家", "乐业", "同心")


def _exact_units(rng: np.random.Generator, total: int) -> np.ndarray:
    """Project sizes (each 30-2000 units) adding up to exactly `total`."""
    sizes = np.clip(rng.lognormal(np.log(380), 0.7, max(1, total // 300)), 30, 2000)
    sizes = np.rint(sizes * total / sizes.sum()).astype(np.int64)
    sizes = np.clip(sizes, 30, 2000)
    diff = total - int(sizes.sum())
    i = 0
    while diff != 0:
        if i > 100 * sizes.size:
            raise ValueError(f"cannot split {total} units into projects of 30-2000")
        j = i % sizes.size
        step = int(np.clip(diff, 30 - sizes[j], 2000 - sizes[j]))
        sizes[j] += step
        diff -= step
        i += 1
    return sizes


def rental_project_batches(ctx: Context) -> list[Batch]:
    rng = stream("rental-projects")
    parts = []
    for y, total in UNITS.items():
        units = _exact_units(rng, ctx.n(total))
        last = LAST if y == 2024 else day(f"{y}-12-31")
        raised = random_workdays(rng, day(f"{y}-01-04"), last, units.size)
        parts.append({"units": units, "raised_on": raised})
    rows = concat(parts)
    n = rows["units"].size
    mode = pick_values(rng, n, SUPPLY_MODES)
    towns = np.array(ctx.ref.towns)[rng.integers(0, len(ctx.ref.towns), n)]
    estate = np.array(ESTATES)[rng.integers(0, len(ESTATES), n)]
    name = np.array(
        [
            f"{t}{e}{['公寓', '家园', '驿站', '社区'][i % 4]}{PROJECT_KINDS[m]}"
            for t, e, m, i in zip(
                towns.tolist(),
                estate.tolist(),
                mode.tolist(),
                rng.integers(0, 4, n).tolist(),
                strict=True,
            )
        ]
    )
    out = {
        "project_id": yearly_ids(rng, rows["raised_on"], "BZZF", 3),
        "project_name": name,
        "supply_mode": mode,
        "town": np.where(rng.random(n) < 0.05, "", towns),
        "units": rows["units"],
        "raised_on": rows["raised_on"],
    }
    return split_events("rental_housing_project", out, "raised_on", ("project_id",), baseline=True)


# ---- public rental housing for migrant workers' families ---------------------------------
HOUSEHOLDS = {
    2016: 420,
    2017: 480,
    2018: 560,
    2019: 640,
    2020: 780,
    2021: 910,
    2022: 918,
    2023: 800,
    2024: 410,
}
HOUSEHOLD_SIZES = [0.08, 0.18, 0.36, 0.26, 0.09, 0.025, 0.005]  # 1..7 persons
MODES = {"实物配租": 0.38, "租赁补贴": 0.62}
# Applications are taken in spring and autumn; allocations start a month or two later.
ALLOCATION_MONTHS = {
    1: 0.5,
    2: 0.3,
    3: 0.6,
    4: 1.5,
    5: 1.5,
    6: 0.8,
    7: 0.5,
    8: 0.5,
    9: 0.6,
    10: 1.2,
    11: 1.5,
    12: 0.8,
}


def public_rental_batches(ctx: Context) -> list[Batch]:
    rng = stream("public-rental")
    years = np.concatenate([np.full(ctx.n(k), y) for y, k in HOUSEHOLDS.items()])
    n = years.size
    start = np.empty(n, "datetime64[D]")
    for y in HOUSEHOLDS:
        m = years == y
        last = LAST if y == 2024 else day(f"{y}-12-31")
        start[m] = random_workdays(rng, day(f"{y}-01-04"), last, int(m.sum()), ALLOCATION_MONTHS)
    # Families from other provinces mostly, some from elsewhere in Zhejiang.
    regions = {p: 0.9 / len(MIGRANT_SOURCES) for p in MIGRANT_SOURCES}
    regions |= {p: 0.1 / len(ZHEJIANG_OTHER) for p in ZHEJIANG_OTHER}
    applicants = ctx.ids.people(rng, birth_dates(rng, rng.integers(1965, 1998, n)), regions)
    size = pick(rng, n, HOUSEHOLD_SIZES) + 1
    rows = {
        "case_id": yearly_ids(rng, start, "GZF", 4),
        "applicant_id_number": applicants.id,
        "household_size": size.astype(np.int64),
        "mode": pick_values(rng, n, MODES),
        "start_on": start,
    }
    return split_events("public_rental_allocation", rows, "start_on", ("case_id",), baseline=True)
