"""hrss.subsidy_payment (补贴发放明细): employment subsidies (就业补贴) and talent subsidies
(人才补贴), every amount within its item's standard on the payment date (subsidy catalogue).

2023 reproduces the reply: 就业补贴 33,547,600.00 yuan (3354.76万元) over 1241 lines paid to
firms (家次) and 2864 lines naming a graduate (人次), 人才补贴 147,036,500.00 yuan (1.47亿元).
Who is paid is drawn from the other feeds: graduates received in Cixi and their employers,
internship bases, young people of the practice camp, talents. 2023Q2 comes twice: a first
delivery with a late batch missing and a few typing errors, then a corrected _v2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.amounts import fit_total, round_to, tiers
from retention.sample.batches import Batch, concat, split_events, take
from retention.sample.calendar import Quarter, random_workdays, year_of
from retention.sample.context import Context
from retention.sample.graduates import other_graduates
from retention.sample.intake import Intake
from retention.sample.internships import Bases
from retention.sample.numbering import yearly_ids
from retention.sample.people import Persons
from retention.sample.randomness import exact_counts, pick_values, stream
from retention.sample.youth import Participants

SB = "中小微企业吸纳高校毕业生社保补贴"
GRAD = "高校毕业生就业补贴"
EXPAND = "一次性扩岗补助"
PRACTICE = "实践补贴"
TRANSPORT = "交通补助"
TRAINEE = "就业见习补贴"
GRASSROOTS = "基层岗位补贴"
PROJECT = "人才项目资助"
HOME = "购房补贴"
SETTLE = "安家补助"
RENT = "租房补贴"

# Lines per year (2024: first half). Firm lines: SB, EXPAND, TRAINEE (+ PROJECT to firms).
LINES: dict[int, dict[str, int]] = {
    2022: {
        SB: 640,
        EXPAND: 180,
        TRAINEE: 215,
        GRAD: 1080,
        PRACTICE: 230,
        TRANSPORT: 190,
        GRASSROOTS: 175,
        PROJECT: 62,
        HOME: 380,
        SETTLE: 190,
        RENT: 1300,
    },
    2023: {
        SB: 700,
        EXPAND: 300,
        TRAINEE: 241,
        GRAD: 1200,
        PRACTICE: 260,
        TRANSPORT: 204,
        GRASSROOTS: 200,
        PROJECT: 70,
        HOME: 420,
        SETTLE: 210,
        RENT: 1450,
    },
    2024: {
        SB: 330,
        EXPAND: 140,
        TRAINEE: 100,
        GRAD: 560,
        PRACTICE: 90,
        TRANSPORT: 70,
        GRASSROOTS: 95,
        PROJECT: 30,
        HOME: 190,
        SETTLE: 95,
        RENT: 640,
    },
}
PROJECT_TO_FIRM = 0.64  # 人才项目资助 goes to a firm or to the talent
# The reply's 2023 totals, in cents (scaled with the row counts).
EMPLOYMENT_TOTAL_2023 = 3_354_760_000
TALENT_TOTAL_2023 = 14_703_650_000
QUARTER_SHARE = {2022: [0.18, 0.25, 0.24, 0.33], 2023: [0.18, 0.25, 0.24, 0.33], 2024: [0.42, 0.58]}
BATCHES_PER_QUARTER = 6
FUND = {
    SB: "就业补助资金",
    GRAD: "就业补助资金",
    EXPAND: "失业保险基金",
    PRACTICE: "就业补助资金",
    TRANSPORT: "就业补助资金",
    TRAINEE: "就业补助资金",
    GRASSROOTS: "就业补助资金",
    PROJECT: "人才专项资金",
    HOME: "人才专项资金",
    SETTLE: "人才专项资金",
    RENT: "人才专项资金",
}


@dataclass
class Payees:
    """Where each payment line's beneficiary comes from."""

    kind: np.ndarray  # 单位 / 个人
    bid: np.ndarray  # credit code or resident ID
    name: np.ndarray
    graduate: np.ndarray  # 受益毕业生公民身份号码 ('' blank)
    size: np.ndarray  # trainees (见习) or degree weight, for amounts


def _pay_days(
    rng: np.random.Generator,
    year: int,
    n: int,
    first_allowed: np.datetime64,
) -> np.ndarray:
    """Payment days: a few batch days per quarter, quarters weighted to the year's end."""
    shares = QUARTER_SHARE[year]
    counts = exact_counts(n, shares)
    out = []
    for qq, k in enumerate(counts, start=1):
        q = Quarter(year, qq)
        start = max(q.start, first_allowed)
        if start > q.end:
            # The item is not in force yet: move its lines to the next quarter with room.
            counts_next = qq
            if counts_next < len(counts):
                counts[counts_next] += k
            continue
        batch_days = random_workdays(rng, start, q.end, BATCHES_PER_QUARTER)
        out.append(batch_days[rng.integers(0, batch_days.size, k)])
    days = np.concatenate(out)
    return days[rng.permutation(days.size)]


def _by_date(rng, pool_dates: np.ndarray, paid: np.ndarray, lead: int) -> np.ndarray:
    """Per payment, a random pool row dated at least `lead` days before it (-1 if none)."""
    order = np.argsort(pool_dates, kind="stable")
    hi = np.searchsorted(pool_dates[order], paid - lead, side="right")
    got = (rng.random(paid.size) * np.maximum(hi, 1)).astype(np.int64)
    return np.where(hi > 0, order[np.minimum(got, order.size - 1)], -1)


class _Sources:
    """The people and firms that subsidies are paid to, with fallbacks for early 2022."""

    def __init__(
        self,
        ctx: Context,
        intake: Intake,
        bases: Bases,
        participants: Participants,
        talents: Persons,
    ):
        rng = stream("subsidy-sources")
        self.ctx, self.intake, self.bases = ctx, intake, bases
        self.participants, self.talents = participants, talents
        r = intake.rows
        self.hired = np.flatnonzero(intake.employer >= 0)
        # Graduates received before the sample (2020-2021), paid in its first months.
        n = ctx.n(1500)
        g = other_graduates(
            ctx.ids,
            rng,
            pick_values(rng, n, {"大专": 0.5, "本科": 0.45, "硕士": 0.05}),
            rng.integers(2020, 2022, n),
        )
        self.earlier = g
        self.earlier_employer = ctx.employer_sample(rng, n)
        degree_w = {"大专": 0.6, "本科": 1.0, "硕士": 1.4, "博士": 1.4}
        self.degree_weight = np.array([degree_w[d] for d in r["degree"].tolist()])

    def graduate_lines(self, rng, paid: np.ndarray, need_employer: bool) -> Payees:
        r = self.intake.rows
        pool = self.hired if need_employer else np.arange(r["id_number"].size)
        hit = _by_date(rng, r["received_on"][pool], paid, 20)
        # Too early in the sample for anyone received in it: a graduate of 2020-2021.
        early = (hit < 0) | (rng.random(paid.size) < np.where(year_of(paid) == 2022, 0.35, 0.0))
        row = pool[np.maximum(hit, 0)]
        e = rng.integers(0, len(self.earlier), paid.size)
        gid = np.where(early, self.earlier.persons.id[e], r["id_number"][row])
        gname = np.where(early, self.earlier.persons.name[e], r["name"][row])
        deg = np.where(early, self.earlier.degree[e], r["degree"][row])
        emp = np.where(early, self.earlier_employer[e], self.intake.employer[row])
        size = np.array([{"大专": 1, "本科": 2, "硕士": 3, "博士": 3}[d] for d in deg.tolist()])
        if need_employer:
            return Payees(
                np.full(paid.size, "单位"),
                self.ctx.employers.uscc[emp],
                self.ctx.employers.name[emp],
                gid,
                size,
            )
        return Payees(np.full(paid.size, "个人"), gid, gname, gid, size)

    def base_lines(self, rng, paid: np.ndarray) -> Payees:
        b = self.bases
        out = np.empty(paid.size, np.int64)
        # Paid to a base active on the day and designated at least two months before.
        for when in np.unique(paid):
            m = paid == when
            active = np.flatnonzero(b.active_on(when) & (b.designated_on <= when - 60))
            out[m] = active[rng.integers(0, active.size, int(m.sum()))]
        org = b.org[out]
        size = np.maximum(1, np.rint(b.positions[out] * b.uptake[out] / 4)).astype(int)
        return Payees(
            np.full(paid.size, "单位"),
            self.ctx.employers.uscc[org],
            self.ctx.employers.name[org],
            np.full(paid.size, ""),
            size,
        )

    def practice_lines(self, rng, paid: np.ndarray) -> Payees:
        p = self.participants.rows
        hit = _by_date(rng, p["end_on"], paid, 5)
        hit = np.where(hit < 0, 0, hit)
        return Payees(
            np.full(paid.size, "个人"),
            p["id_number"][hit],
            p["name"][hit],
            p["id_number"][hit],
            np.ones(paid.size, int),
        )

    def talent_lines(self, rng, n: int) -> Payees:
        t = rng.integers(0, len(self.talents), n)
        return Payees(
            np.full(n, "个人"),
            self.talents.id[t],
            self.talents.name[t],
            np.full(n, ""),
            np.ones(n, int),
        )

    def graduate_or_talent_lines(self, rng, paid: np.ndarray, talent_share: float) -> Payees:
        """Personal payments, to graduates or, for this share, to older talents."""
        n = paid.size
        grads = self.graduate_lines(rng, paid, need_employer=False)
        talents = self.talent_lines(rng, n)
        use_talent = rng.random(n) < talent_share
        return Payees(
            grads.kind,
            np.where(use_talent, talents.bid, grads.bid),
            np.where(use_talent, talents.name, grads.name),
            np.full(n, ""),
            grads.size,
        )

    def firm_lines(self, rng, n: int) -> Payees:
        pool = np.flatnonzero(np.isin(self.ctx.employers.section, ["C", "I", "M"]))
        f = pool[rng.integers(0, pool.size, n)]
        return Payees(
            np.full(n, "单位"),
            self.ctx.employers.uscc[f],
            self.ctx.employers.name[f],
            np.full(n, ""),
            np.ones(n, int),
        )


def _amounts(rng, item: str, payees: Payees, n: int) -> np.ndarray:
    """Natural amounts in cents, before the bounds of the payment date are applied."""
    if item == SB:
        # Months of employer contributions reimbursed, at about 1,200 yuan a month.
        months = rng.integers(3, 10, n)
        return np.rint(months * rng.uniform(1050, 1350, n) * 100).astype(np.int64)
    if item == EXPAND:
        return tiers(rng, n, {1000: 0.8, 1500: 0.2})
    if item == TRAINEE:
        months = rng.integers(3, 7, n)
        return round_to(payees.size * months * rng.uniform(1500, 2100, n) * 100, 100)
    if item == GRAD:
        by_degree = {1: {12000: 0.4, 15000: 0.6}, 2: {20000: 0.6, 25000: 0.4}, 3: {30000: 1.0}}
        out = np.empty(n, np.int64)
        for s, levels in by_degree.items():
            m = payees.size == s
            out[m] = tiers(rng, int(m.sum()), levels)
        return out
    if item == PRACTICE:
        return round_to(rng.uniform(500, 3000, n) * 100, 10000)
    if item == TRANSPORT:
        return round_to(rng.uniform(100, 900, n) * 100, 5000)
    if item == GRASSROOTS:
        return round_to(rng.uniform(2000, 16000, n) * 100, 100000)
    if item == PROJECT:
        return round_to(np.exp(rng.uniform(np.log(50_000), np.log(2_500_000), n)) * 100, 1_000_000)
    if item == HOME:
        return tiers(
            rng,
            n,
            {50000: 0.40, 100000: 0.25, 200000: 0.20, 300000: 0.10, 500000: 0.04, 800000: 0.01},
        )
    if item == SETTLE:
        return tiers(
            rng,
            n,
            {20000: 0.30, 50000: 0.30, 100000: 0.25, 200000: 0.10, 300000: 0.04, 500000: 0.01},
        )
    if item == RENT:
        months = np.where(rng.random(n) < 0.5, 6, 12)
        return round_to(months * rng.uniform(500, 1500, n) * 100, 10000)
    raise ValueError(item)


def make_payments(
    ctx: Context, intake: Intake, bases: Bases, participants: Participants, talents: Persons
) -> dict[str, np.ndarray]:
    rng = stream("subsidies")
    src = _Sources(ctx, intake, bases, participants, talents)
    ref = ctx.ref
    parts = []
    for year, plan in LINES.items():
        items: dict[str, dict[str, np.ndarray]] = {}
        for item, count in plan.items():
            n = ctx.n(count)
            paid = _pay_days(rng, year, n, ref.in_force_from(item))
            if item in (SB, EXPAND):
                payees = src.graduate_lines(rng, paid, need_employer=True)
            elif item in (GRAD, GRASSROOTS):
                payees = src.graduate_lines(rng, paid, need_employer=False)
            elif item == TRAINEE:
                payees = src.base_lines(rng, paid)
            elif item in (PRACTICE, TRANSPORT):
                payees = src.practice_lines(rng, paid)
            elif item == PROJECT:
                firm = rng.random(n) < PROJECT_TO_FIRM
                a, b = src.firm_lines(rng, n), src.talent_lines(rng, n)
                payees = Payees(
                    np.where(firm, a.kind, b.kind),
                    np.where(firm, a.bid, b.bid),
                    np.where(firm, a.name, b.name),
                    np.full(n, ""),
                    a.size,
                )
            elif item == HOME:
                payees = src.graduate_or_talent_lines(rng, paid, talent_share=0.5)
            elif item == SETTLE:
                payees = src.talent_lines(rng, n)
            else:  # RENT: young graduates mostly
                payees = src.graduate_or_talent_lines(rng, paid, talent_share=0.15)
            lo, hi = ref.bounds(item, paid)
            if (lo < 0).any():
                raise AssertionError(f"{item} paid before its standard is in force")
            amount = np.clip(_amounts(rng, item, payees, n), lo, hi)
            # Payments to a person name the graduate about half the time (it defaults to them).
            graduate = payees.graduate
            if ref.category(item) == "就业补贴":
                graduate = np.where((payees.kind == "个人") & (rng.random(n) < 0.5), "", graduate)
            else:
                graduate = np.full(n, "")
            items[item] = {
                "subsidy_item": np.full(n, item),
                "beneficiary_type": payees.kind,
                "beneficiary_id": payees.bid,
                "beneficiary_name": payees.name,
                "graduate_id_number": graduate,
                "amount_yuan": amount,
                "paid_on": paid,
                "_lo": lo,
                "_hi": hi,
            }
        if year == 2023:
            # The reply's totals: employment via the irregular social-insurance amounts (to the
            # cent), talent via the project grants (to the hundred yuan).
            employment = sum(
                int(v["amount_yuan"].sum())
                for k, v in items.items()
                if ref.category(k) == "就业补贴" and k != SB
            )
            s = items[SB]
            s["amount_yuan"] = fit_total(
                s["amount_yuan"], s["_lo"], s["_hi"], ctx.scale * EMPLOYMENT_TOTAL_2023 - employment
            )
            talent = sum(
                int(v["amount_yuan"].sum())
                for k, v in items.items()
                if ref.category(k) == "人才补贴" and k != PROJECT
            )
            p = items[PROJECT]
            p["amount_yuan"] = fit_total(
                p["amount_yuan"],
                p["_lo"],
                p["_hi"],
                ctx.scale * TALENT_TOTAL_2023 - talent,
                step=10_000,
            )
        parts += list(items.values())
    rows = concat(parts)
    n = rows["paid_on"].size
    for k in ("_lo", "_hi"):
        rows.pop(k)
    fund = np.array([FUND[i] for i in rows["subsidy_item"].tolist()])
    rows["fund_source"] = np.where(rng.random(n) < 0.05, "", fund)
    rows["payment_id"] = yearly_ids(rng, rows["paid_on"], "BTFF", 5, headroom=1000)
    return rows


# The corrected quarter.
CORRECTED = Quarter(2023, 2)


def payment_batches(ctx: Context, rows: dict[str, np.ndarray]) -> list[Batch]:
    batches = split_events("subsidy_payment", rows, "paid_on", ("payment_id",))
    ids = rows["payment_id"][year_of(rows["paid_on"]) == CORRECTED.year]
    last_seq = max(int(x[8:]) for x in ids.tolist())
    for i, b in enumerate(batches):
        if b.quarter == CORRECTED:
            v1 = _first_delivery(ctx, b.rows, last_seq)
            batches[i : i + 1] = [
                Batch("subsidy_payment", CORRECTED, v1, version=1),
                Batch("subsidy_payment", CORRECTED, b.rows, version=2),
            ]
            break
    return batches


def _first_delivery(
    ctx: Context, v2: dict[str, np.ndarray], last_seq: int
) -> dict[str, np.ndarray]:
    """What HR first sent for the quarter: the last batch day's lines missing, a few amounts
    mistyped, and a few lines paid twice by mistake (later reversed). Every row is valid."""
    rng = stream("subsidies-v1")
    n = v2["paid_on"].size
    last_day = v2["paid_on"].max()
    late = np.flatnonzero(v2["paid_on"] == last_day)
    missing = rng.choice(late, size=min(late.size, ctx.n(30)), replace=False)
    keep = np.setdiff1d(np.arange(n), missing)
    v1 = take(v2, keep)
    lo, hi = ctx.ref.bounds("高校毕业生就业补贴", v1["paid_on"])
    typo = rng.choice(np.flatnonzero(v1["subsidy_item"] == GRAD), size=ctx.n(8), replace=False)
    # A transposed digit: 20000.00 typed as 2000.00, or 15000.00 as 25000.00, within bounds.
    wrong = np.where(
        v1["amount_yuan"][typo] >= 20_000_00,
        v1["amount_yuan"][typo] // 10,
        v1["amount_yuan"][typo] + 1_000_000,
    )
    v1["amount_yuan"][typo] = np.clip(wrong, lo[typo], hi[typo])
    twice = rng.choice(v1["paid_on"].size, size=ctx.n(3), replace=False)
    extra = take(v1, twice)
    # New numbers after the year's last one (payment_id = BTFF + year + sequence).
    sample_id = str(v2["payment_id"][0])
    width = len(sample_id) - 8
    extra["payment_id"] = np.array(
        [f"{sample_id[:8]}{last_seq + 1 + i:0{width}d}" for i in range(twice.size)]
    )
    v1 = concat([v1, extra])
    order = np.lexsort((v1["payment_id"], v1["paid_on"]))
    return take(v1, order)
