"""hrss.unemployed_support: the ledger of graduates who left college without a job
(离校未就业高校毕业生帮扶台账), delivered as a snapshot every quarter.

Each graduation year's ledger opens in July, when graduates are filed, and is delivered until
the next June. Every filed graduate is served within a few weeks of filing (the reply's "帮扶
全覆盖"): only a September snapshot can show someone filed too recently to have been served.
Graduates found a job in Cixi also appear in graduate_intake on the day they start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.batches import Batch
from retention.sample.calendar import QUARTERS, day, random_workday_between
from retention.sample.college import LOCAL_COLLEGE, Retention, Students
from retention.sample.context import Context
from retention.sample.graduates import Graduates, other_graduates
from retention.sample.people import Persons, region_mix
from retention.sample.randomness import pick, pick_values, stream

LEDGER_SIZE = {2021: 340, 2022: 365, 2023: 382}
LOCAL_SHARE = 0.6
EMPLOYED_SHARE = 0.58
NOT_SEEKING_SHARE = 0.10  # 暂不就业: preparing for exams, further study abroad...
IN_CIXI_SHARE = 0.65  # of the employed graduates from other colleges


@dataclass
class Ledger:
    graduates: Graduates
    local_student: np.ndarray  # index into Students, -1 for other colleges
    ledger_year: np.ndarray
    filed_on: np.ndarray
    first_service: np.ndarray
    interval: np.ndarray  # days between services
    employed_on: np.ndarray  # NaT: never in the sample period
    not_seeking: np.ndarray
    in_cixi: np.ndarray  # employed in Cixi: graduate_intake receives them on employed_on


def make_ledger(ctx: Context, students: Students, retention: Retention) -> Ledger:
    rng = stream("ledger")
    parts: list[Graduates] = []
    local_idx: list[np.ndarray] = []
    years: list[np.ndarray] = []
    for year, size in LEDGER_SIZE.items():
        n = ctx.n(size)
        n_local = int(round(n * LOCAL_SHARE))
        # The local college's graduates of that year who were not received in Cixi (the 2021
        # cohort is before the roster, so any of them).
        pool = np.flatnonzero(
            (students.cohort == year)
            & ~retention.retained
            & (students.grad_date.astype("datetime64[M]") == np.datetime64(f"{year}-06"))
        )
        chosen = np.sort(rng.choice(pool, size=n_local, replace=False))
        local = Graduates(
            students.persons.take(chosen),
            np.full(n_local, LOCAL_COLLEGE),
            students.degree[chosen],
            students.major[chosen],
            students.grad_date[chosen],
        )
        degrees = pick_values(rng, n - n_local, {"大专": 0.55, "本科": 0.42, "硕士": 0.03})
        others = other_graduates(
            ctx.ids,
            rng,
            degrees,
            np.full(n - n_local, year),
            regions=region_mix(0.9, 0.0, 0.0, 0.1),
            grad_dates=random_workday_between(
                rng,
                np.full(n - n_local, day(f"{year}-06-15")),
                np.full(n - n_local, day(f"{year}-07-10")),
            ),
        )
        parts += [local, others]
        local_idx += [chosen, np.full(n - n_local, -1)]
        years += [np.full(n, year)]
    grads = Graduates(
        Persons.concat([g.persons for g in parts]),
        np.concatenate([g.college for g in parts]),
        np.concatenate([g.degree for g in parts]),
        np.concatenate([g.major for g in parts]),
        np.concatenate([g.grad_date for g in parts]),
    )
    local = np.concatenate(local_idx)
    year = np.concatenate(years)
    n = year.size
    y = year.astype(str)
    # Filed mostly in the summer after leaving college, the rest in the autumn.
    autumn = rng.random(n) < 0.2
    lo = np.where(
        autumn,
        (np.char.add(y, "-10-09")).astype("datetime64[D]"),
        np.maximum(grads.grad_date + 5, np.char.add(y, "-07-03").astype("datetime64[D]")),
    )
    hi = np.where(
        autumn,
        np.char.add(y, "-11-30").astype("datetime64[D]"),
        np.char.add(y, "-09-29").astype("datetime64[D]"),
    )
    filed = random_workday_between(rng, lo, hi)
    year_end = np.char.add(y, "-12-31").astype("datetime64[D]")
    # First served within a fortnight of filing, before any job is found (jobs come later).
    first_service = np.minimum(filed + rng.integers(0, 11, n), year_end - 3)
    interval = rng.integers(25, 61, n)
    status = pick(
        rng, n, [EMPLOYED_SHARE, NOT_SEEKING_SHARE, 1 - EMPLOYED_SHARE - NOT_SEEKING_SHARE]
    )
    employed = status == 0
    # Jobs found from a fortnight after filing to the next June, sooner more often.
    span = np.char.add((year + 1).astype(str), "-06-28").astype("datetime64[D]") - filed - 14
    offset = (rng.beta(1.2, 2.2, n) * span.astype(int)).astype(int)
    employed_on = np.where(
        employed,
        random_workday_between(rng, filed + 14 + offset, filed + 21 + offset),
        np.datetime64("NaT"),
    )
    in_cixi = employed & (local < 0) & (rng.random(n) < IN_CIXI_SHARE)
    return Ledger(
        grads, local, year, filed, first_service, interval, employed_on, status == 1, in_cixi
    )


def ledger_batches(ledger: Ledger) -> list[Batch]:
    out = []
    for q in QUARTERS:
        ledger_year = q.year if q.q >= 3 else q.year - 1
        idx = np.flatnonzero((ledger.ledger_year == ledger_year) & (ledger.filed_on <= q.end))
        end = q.end
        employed = ~np.isnat(ledger.employed_on[idx]) & (ledger.employed_on[idx] <= end)
        # Services stop once the graduate has a job.
        until = np.where(employed, ledger.employed_on[idx], end)
        first = ledger.first_service[idx]
        served = first <= until
        count = np.where(served, 1 + (until - first).astype(int) // ledger.interval[idx], 0)
        count = np.minimum(count, 12)
        status = np.where(
            employed, "已就业", np.where(ledger.not_seeking[idx], "暂不就业", "未就业")
        )
        rows = {
            "id_number": ledger.graduates.persons.id[idx],
            "college_name": ledger.graduates.college[idx],
            "graduation_date": ledger.graduates.grad_date[idx],
            "filed_on": ledger.filed_on[idx],
            "service_count": count.astype(np.int64),
            "status": status,
            "employed_on": np.where(employed, ledger.employed_on[idx], np.datetime64("NaT")),
        }
        order = np.lexsort((rows["id_number"], rows["filed_on"]))
        out.append(Batch("unemployed_support", q, {k: v[order] for k, v in rows.items()}))
    return out
