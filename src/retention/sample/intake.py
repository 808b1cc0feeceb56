"""hrss.graduate_intake (高校毕业生接收登记) and hrss.district_intake (Ningbo's ten divisions).

A year's intake is planned in distinct persons (20999 in 2023, the reply's figure) and built
from who those persons are: local graduates who stay, graduates from the unemployment ledger
who found a job in Cixi, graduates of other colleges, people received again after changing
jobs, and a few received twice in the same year (so counting rows would overstate the figure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.batches import Batch, concat, split_events, take
from retention.sample.calendar import (
    QUARTERS,
    Quarter,
    day,
    quarter_index,
    random_workday_between,
    random_workdays,
    year_of,
)
from retention.sample.college import LOCAL_COLLEGE, Students
from retention.sample.context import Context
from retention.sample.graduates import other_graduates
from retention.sample.ledger import Ledger
from retention.sample.numbering import yearly_ids
from retention.sample.people import id_codes
from retention.sample.randomness import exact_counts, pick, pick_values, stream

# Distinct persons received per year (2024: the first half only).
INTAKE_PERSONS = {2022: 19688, 2023: 20999, 2024: 6330}
# Persons received twice within the year, and persons of the year before received again.
TWICE_IN_YEAR = {2022: 5, 2023: 7, 2024: 2}
AGAIN_NEXT_YEAR = {2023: 24, 2024: 15}
# When the other graduates are received: the summer peak after graduation.
QUARTER_SHARE = {2022: [0.13, 0.19, 0.44, 0.24], 2023: [0.12, 0.18, 0.46, 0.24], 2024: [0.43, 0.57]}
MONTH_WEIGHTS = {
    1: 1.0,
    2: 0.6,
    3: 1.2,
    4: 1.0,
    5: 1.0,
    6: 1.3,
    7: 1.6,
    8: 1.3,
    9: 1.0,
    10: 0.8,
    11: 1.0,
    12: 1.0,
}
# Overall degree mix of the intake: about 54% 大专, 42% 本科, 3.5% 硕士, 0.3% 博士.
DEGREE_MIX = {"大专": 0.542, "本科": 0.42, "硕士": 0.035, "博士": 0.003}
CHANNELS = ("就业登记", "自主创业", "灵活就业", "人才引进")
# Channel by degree: 人才引进 mostly for postgraduates.
CHANNEL_BY_DEGREE = {
    "大专": [0.85, 0.04, 0.09, 0.02],
    "本科": [0.83, 0.04, 0.07, 0.06],
    "硕士": [0.55, 0.02, 0.03, 0.40],
    "博士": [0.20, 0.0, 0.0, 0.80],
}

COLUMNS = (
    "record_id",
    "id_number",
    "name",
    "college_name",
    "degree",
    "major",
    "graduation_date",
    "employer_name",
    "employer_uscc",
    "industry_section",
    "town",
    "intake_channel",
    "received_on",
)


@dataclass
class Intake:
    """Every intake row of the sample, with what other feeds need to know of it."""

    rows: dict[str, np.ndarray]
    employer: np.ndarray  # index into ctx.employers, -1 for none or a start-up
    female: np.ndarray

    def persons_of_year(self, year: int) -> int:
        m = year_of(self.rows["received_on"]) == year
        return _distinct(id_codes(self.rows["id_number"][m]))


def _person_rows(ids, names, female, college, degree, major, grad, received) -> dict:
    return {
        "id_number": np.asarray(ids).astype(str),
        "name": np.asarray(names).astype(str),
        "college_name": np.asarray(college).astype(str),
        "degree": np.asarray(degree).astype(str),
        "major": np.asarray(major).astype(str),
        "graduation_date": grad,
        "received_on": received,
        "_female": np.asarray(female),
    }


def make_intake(
    ctx: Context,
    students: Students,
    local: tuple[np.ndarray, np.ndarray],
    ledger: Ledger,
) -> Intake:
    rng = stream("intake")
    local_idx, local_dates = local
    years_rows: dict[int, dict] = {}
    others_by_year: dict[int, dict] = {}
    for year, persons in INTAKE_PERSONS.items():
        parts = []
        m = year_of(local_dates) == year
        li = local_idx[m]
        p = students.persons.take(li)
        parts.append(
            _person_rows(
                p.id,
                p.name,
                p.female,
                np.full(li.size, LOCAL_COLLEGE),
                students.degree[li],
                students.major[li],
                students.grad_date[li],
                local_dates[m],
            )
        )
        lm = ledger.in_cixi & (year_of(ledger.employed_on) == year)
        lm &= ledger.employed_on <= QUARTERS[-1].end
        g = ledger.graduates
        parts.append(
            _person_rows(
                g.persons.id[lm],
                g.persons.name[lm],
                g.persons.female[lm],
                g.college[lm],
                g.degree[lm],
                g.major[lm],
                g.grad_date[lm],
                ledger.employed_on[lm],
            )
        )
        if year - 1 in others_by_year:
            prev = others_by_year[year - 1]
            k = ctx.n(AGAIN_NEXT_YEAR[year])
            pick_idx = rng.choice(prev["id_number"].size, size=k, replace=False)
            again = take(prev, pick_idx)
            again["received_on"] = _received_dates(rng, year, k)
            parts.append(again)
        fixed = sum(part["id_number"].size for part in parts)
        n_other = ctx.n(persons) - fixed
        others = _others(ctx, rng, year, n_other, parts)
        others_by_year[year] = others
        parts.append(others)
        rows = concat(parts)
        # Some persons are received twice in the year (a first job, then another): a second
        # record, sometimes in the same quarter, sometimes later.
        k = ctx.n(TWICE_IN_YEAR[year])
        first = rng.choice(rows["id_number"].size, size=k, replace=False)
        twice = take(rows, first)
        later = rng.random(k) < 0.6
        year_last = min(day(f"{year}-12-31"), QUARTERS[-1].end)
        q_end = np.array(
            [
                Quarter(year, int(qq)).end
                for qq in ((quarter_index(twice["received_on"]) % 4) + 1).tolist()
            ],
            "datetime64[D]",
        )
        hi = np.where(later, year_last, np.minimum(q_end, year_last))
        lo = np.minimum(twice["received_on"] + 7, hi - 1)
        twice["received_on"] = random_workday_between(rng, lo, hi)
        # Keep the second record inside the year's data.
        bad = twice["received_on"] > year_last
        twice["received_on"][bad] = rows["received_on"][first][bad]
        years_rows[year] = concat([rows, twice])

    allrows = concat([years_rows[y] for y in sorted(years_rows)])
    n = allrows["id_number"].size
    female = allrows.pop("_female")

    # Where they work: channel by degree; employers weighted by size.
    channel = np.empty(n, dtype=object)
    for d, w in CHANNEL_BY_DEGREE.items():
        m = allrows["degree"] == d
        channel[m] = np.array(CHANNELS)[pick(rng, int(m.sum()), w)]
    channel = channel.astype(str)
    employer = ctx.employer_sample(rng, n)
    startup = rng.integers(0, len(ctx.startups), n)
    own = channel == "自主创业"
    flexible = channel == "灵活就业"
    employer_name = np.where(own, ctx.startups.name[startup], ctx.employers.name[employer])
    uscc = np.where(own, ctx.startups.uscc[startup], ctx.employers.uscc[employer])
    section = np.where(own, ctx.startups.section[startup], ctx.employers.section[employer])
    town = np.where(own, ctx.startups.town[startup], ctx.employers.town[employer])
    employer_name = np.where(flexible, "", employer_name)
    uscc = np.where(flexible, "", uscc)
    section = np.where(flexible, "", section)
    town = np.where(flexible, np.array(ctx.ref.towns)[rng.integers(0, len(ctx.ref.towns), n)], town)
    employer = np.where(own | flexible, -1, employer)

    # 登记编号: numbered through each year in the order registered.
    received = allrows["received_on"]
    record_id = yearly_ids(rng, received, "CXJS", 6)
    rows = {
        "record_id": record_id,
        "id_number": allrows["id_number"],
        "name": allrows["name"],
        "college_name": allrows["college_name"],
        "degree": allrows["degree"],
        "major": allrows["major"],
        "graduation_date": allrows["graduation_date"],
        "employer_name": employer_name,
        "employer_uscc": uscc,
        "industry_section": section,
        "town": town,
        "intake_channel": channel,
        "received_on": received,
    }
    return Intake(rows, employer, female)


def _received_dates(rng: np.random.Generator, year: int, n: int) -> np.ndarray:
    shares = QUARTER_SHARE[year]
    counts = exact_counts(n, shares)
    out = []
    for qq, k in enumerate(counts, start=1):
        q = Quarter(year, qq)
        out.append(random_workdays(rng, q.start, q.end, k, MONTH_WEIGHTS))
    dates = np.concatenate(out)
    return dates[rng.permutation(n)]


def _others(ctx: Context, rng: np.random.Generator, year: int, n: int, fixed: list[dict]) -> dict:
    """Graduates of other colleges, with degrees that bring the year's mix to DEGREE_MIX."""
    have = {d: sum(int(np.sum(p["degree"] == d)) for p in fixed) for d in DEGREE_MIX}
    total = n + sum(have.values())
    want = {d: max(0.0, DEGREE_MIX[d] * total - have[d]) for d in DEGREE_MIX}
    degrees = pick_values(rng, n, want)
    received = _received_dates(rng, year, n)
    # Graduated this year (mostly), last year or the year before.
    grad_year = year - pick(rng, n, [0.70, 0.25, 0.05])
    g = other_graduates(ctx.ids, rng, degrees, grad_year)
    grad = g.grad_date
    # No one is registered more than half a year before graduating.
    early = grad > received + 183
    grad = np.where(early, grad - 365, grad)
    return _person_rows(
        g.persons.id, g.persons.name, g.persons.female, g.college, g.degree, g.major, grad, received
    )


def intake_batches(intake: Intake) -> list[Batch]:
    return split_events("graduate_intake", intake.rows, "received_on", ("record_id",))


# Ningbo's other divisions: 2023 targets and final completion rates. Two divisions finish above
# Cixi's 102.93%, so Cixi ranks third, as the reply says.
DIVISION_TARGETS_2023 = {
    "330203": 15800,
    "330205": 11600,
    "330206": 21500,
    "330211": 10400,
    "330212": 31000,
    "330213": 6900,
    "330225": 6100,
    "330226": 7300,
    "330281": 16200,
}
FINAL_RATES = {
    2022: {
        "330203": 1.0215,
        "330205": 0.9874,
        "330206": 1.0342,
        "330211": 0.9921,
        "330212": 1.0108,
        "330213": 0.9536,
        "330225": 0.9412,
        "330226": 0.9687,
        "330281": 1.0023,
    },
    2023: {
        "330203": 0.9982,
        "330205": 1.0126,
        "330206": 1.0461,
        "330211": 0.9868,
        "330212": 1.0337,
        "330213": 0.9615,
        "330225": 0.9540,
        "330226": 0.9791,
        "330281": 1.0088,
    },
    2024: {
        "330203": 1.0050,
        "330205": 0.9950,
        "330206": 1.0200,
        "330211": 0.9900,
        "330212": 1.0150,
        "330213": 0.9700,
        "330225": 0.9600,
        "330226": 0.9800,
        "330281": 1.0000,
    },
}
TARGET_GROWTH = {2022: 0.96, 2023: 1.0, 2024: 1.03}
# Share of the year's final figure reached by each quarter's end.
PROGRESS = {1: 0.125, 2: 0.30, 3: 0.77, 4: 1.0}


def district_batches(ctx: Context, intake: Intake) -> list[Batch]:
    rng = stream("districts")
    received = intake.rows["received_on"]
    ids = id_codes(intake.rows["id_number"])
    out = []
    for q in QUARTERS:
        in_ytd = (received >= day(f"{q.year}-01-01")) & (received <= q.end)
        cixi = _distinct(ids[in_ytd])  # distinct persons, never rows
        codes, names, ytd, targets = [], [], [], []
        for code, name in ctx.ref.divisions:
            if code == "330282":
                target = ctx.ref.targets[q.year] * ctx.scale
                value = cixi
            else:
                target = int(round(DIVISION_TARGETS_2023[code] * TARGET_GROWTH[q.year], -2))
                target *= ctx.scale
                rate = FINAL_RATES[q.year][code]
                jitter = 1.0 if q.q == 4 else 1 + rng.normal(0, 0.03)
                value = int(round(target * rate * PROGRESS[q.q] * jitter))
            codes.append(code)
            names.append(name)
            ytd.append(value)
            targets.append(target)
        rows = {
            "region_code": np.array(codes),
            "region_name": np.array(names),
            "intake_ytd": np.array(ytd, np.int64),
            "annual_target": np.array(targets, np.int64),
        }
        out.append(Batch("district_intake", q, rows))
    return out


def _distinct(codes: np.ndarray) -> int:
    s = np.sort(codes)
    return int(s.size and 1 + np.count_nonzero(s[1:] != s[:-1]))
