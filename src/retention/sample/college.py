"""The local college (宁波大学科学技术学院): its students, the graduate roster (edu), the
industry programmes (产教融合平台, edu), and which graduates stay to work in Cixi.

The roster is the denominator of the retention rate (留慈率): a graduate counts as retained
when graduate_intake receives them between 183 days before graduating and the quarter's end.
Members of an industry programme stay more often, which is the point the city's reply makes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.batches import Batch, group_rank, split_events
from retention.sample.calendar import (
    FIRST_DAY,
    LAST_DAY,
    day,
    next_workday,
    random_workday_between,
    random_workdays,
)
from retention.sample.context import Context
from retention.sample.people import Persons, birth_dates, origin_of, region_mix
from retention.sample.randomness import exact_counts, pick, stream

LOCAL_COLLEGE = "宁波大学科学技术学院"
FACULTIES: dict[str, tuple[str, ...]] = {
    "机电工程学院": ("机械设计制造及其自动化", "机械电子工程", "电气工程及其自动化", "车辆工程"),
    "信息工程学院": (
        "计算机科学与技术",
        "软件工程",
        "电子信息工程",
        "物联网工程",
        "数据科学与大数据技术",
    ),
    "商学院": ("国际经济与贸易", "财务管理", "市场营销", "电子商务", "工商管理"),
    "人文与传媒学院": ("汉语言文学", "网络与新媒体", "法学"),
    "设计艺术学院": ("视觉传达设计", "环境设计", "产品设计", "服装与服饰设计"),
    "生物与环境学院": ("生物工程", "应用化学", "环境工程", "食品科学与工程"),
    "外国语学院": ("英语", "日语", "商务英语"),
    "建筑工程学院": ("土木工程", "工程管理", "建筑学"),
}
FACULTY_SHARE = (0.20, 0.17, 0.18, 0.08, 0.10, 0.09, 0.08, 0.10)
# How keen each faculty's students are on the industry programmes (mostly engineering).
FACULTY_IP_PULL = (3.0, 2.5, 1.0, 0.3, 1.0, 0.8, 0.3, 0.8)
# Students by graduation year (scale 1); the roster delivers 2022, 2023 and 2024H1.
COHORTS = {
    2020: 3900,
    2021: 4000,
    2022: 4120,
    2023: 4306,
    2024: 4452,
    2025: 4500,
    2026: 4550,
    2027: 4600,
}
DEGREE_SHARE = {"本科": 0.925, "大专": 0.045, "硕士": 0.03}

# Industry programmes: name and the faculties whose students join them.
PROGRAMMES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("智能家电产业学院", (0, 1)),
    ("医疗器械产业学院", (0, 5)),
    ("汽车零部件产业班", (0,)),
    ("智能制造产业班", (0, 1)),
    ("电气自动化产业班", (0,)),
    ("数字经济产业学院", (1, 2)),
    ("跨境电商产业班", (2, 6)),
    ("新材料产业班", (5,)),
    ("工业设计产业班", (4,)),
    ("智慧建造产业班", (7,)),
    ("文化创意产业班", (3, 4)),
)
# Members by cohort, all joined by 2023-12-31 (2957 in all, the reply's figure), plus the 2025
# cohort's spring-2024 joiners.
IP_MEMBERS = {2020: 180, 2021: 420, 2022: 700, 2023: 860, 2024: 560, 2025: 237}
IP_2024_JOINERS = 300  # cohort 2025, March-April 2024
IP_SECOND_PROGRAMME = 22  # members who join a second programme later (same 学号)
PROGRAMME_LAUNCH = day("2019-09-01")

# Retention by cohort: (share of the delivered cohort received in the window, share among
# industry-programme members). 2024: only the early signings before 2024-06-30.
RETENTION = {2022: (0.276, 0.50), 2023: (0.2931, 0.52), 2024: (0.09, 0.18)}
LATE_RETENTION = 0.025  # received in the first half of the following year


@dataclass
class Students:
    persons: Persons
    student_no: np.ndarray
    faculty: np.ndarray  # index into FACULTIES
    major: np.ndarray
    degree: np.ndarray
    cohort: np.ndarray
    grad_date: np.ndarray
    ip_first: np.ndarray  # first industry-programme join, NaT if none

    def __len__(self) -> int:
        return len(self.persons)

    @property
    def rostered(self) -> np.ndarray:
        """Graduations the roster files of the sample deliver."""
        return (self.grad_date >= FIRST_DAY) & (self.grad_date <= LAST_DAY)

    @property
    def faculty_name(self) -> np.ndarray:
        return np.array(list(FACULTIES))[self.faculty]


def make_students(ctx: Context) -> Students:
    rng = stream("students")
    cohorts = np.concatenate([np.full(ctx.n(v), k) for k, v in COHORTS.items()])
    n = cohorts.size
    faculty = pick(rng, n, list(FACULTY_SHARE))
    major = np.empty(n, dtype=object)
    for f, majors in enumerate(FACULTIES.values()):
        m = faculty == f
        major[m] = np.array(majors)[rng.integers(0, len(majors), int(m.sum()))]
    degree = np.array(list(DEGREE_SHARE))[pick(rng, n, DEGREE_SHARE)]

    # Diplomas are dated at each faculty's ceremony in late June; a few graduate late (December),
    # in September or in March.
    when = pick(rng, n, [0.97, 0.015, 0.008, 0.007])
    june = (cohorts - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 5
    ceremony = june.astype("datetime64[D]") + 17 + (faculty * 3) % 12  # 18-29 June
    grad = next_workday(ceremony)
    for kind, (first, last) in {
        1: ("12-10", "12-30"),
        2: ("09-01", "09-28"),
        3: ("03-01", "03-30"),
    }.items():
        m = when == kind
        years = cohorts[m]
        grad[m] = random_workday_between(
            rng,
            np.array([day(f"{y}-{first}") for y in years.tolist()], "datetime64[D]"),
            np.array([day(f"{y}-{last}") for y in years.tolist()], "datetime64[D]"),
        )
    age = np.where(degree == "硕士", 25, np.where(degree == "大专", 21, 22))
    births = birth_dates(rng, cohorts - age - (rng.random(n) < 0.35) + (rng.random(n) < 0.1))
    persons = ctx.ids.people(rng, births, region_mix(0.35, 0.22, 0.28, 0.15))

    enrolled = cohorts - np.where(degree == "本科", 4, 3)
    group = enrolled * 100 + faculty
    seq = group_rank(group, rng) + 1
    width = max(4, len(str(int(seq.max()))))
    student_no = np.array(
        [
            f"{e}{f + 1:02d}{s:0{width}d}"
            for e, f, s in zip(enrolled.tolist(), faculty.tolist(), seq.tolist(), strict=True)
        ]
    )
    students = Students(
        persons,
        student_no,
        faculty,
        major.astype(str),
        degree,
        cohorts,
        grad,
        np.full(n, np.datetime64("NaT"), "datetime64[D]"),
    )
    return students


def roster_batches(students: Students) -> list[Batch]:
    idx = np.flatnonzero(students.rostered)
    p = students.persons.take(idx)
    origin = np.array([origin_of(r) for r in p.region.tolist()])
    rows = {
        "student_no": students.student_no[idx],
        "id_number": p.id,
        "name": p.name,
        "faculty": students.faculty_name[idx],
        "major": students.major[idx],
        "degree": students.degree[idx],
        "graduation_date": students.grad_date[idx],
        "origin": origin,
    }
    return split_events("graduate_roster", rows, "graduation_date", ("student_no",))


def _join_windows(cohort: int) -> list[tuple[int, tuple[str, str], float]]:
    """(year, (first, last) month-day, weight): autumn of the second-to-last year, then the
    spring and autumn of the last year before graduating."""
    return [
        (cohort - 2, ("09-01", "10-31"), 0.45),
        (cohort - 1, ("03-01", "04-30"), 0.30),
        (cohort - 1, ("09-01", "10-31"), 0.25),
    ]


def industry_programme(ctx: Context, students: Students) -> list[Batch]:
    """Choose the members, date their joining and write the programme feed's rows."""
    rng = stream("industry-programme")
    # Each programme has one partner firm (manufacturers and IT firms mostly).
    partner_pool = np.flatnonzero(np.isin(ctx.employers.section, ["C", "I", "F", "M"]))
    partners = ctx.employers.uscc[rng.choice(partner_pool, size=len(PROGRAMMES), replace=False)]
    has_partner = np.array([not name.startswith("文化") for name, _ in PROGRAMMES])

    member_idx: list[np.ndarray] = []
    joined: list[np.ndarray] = []
    plan = {c: ctx.n(v) for c, v in IP_MEMBERS.items()}
    extra_2025 = ctx.n(IP_2024_JOINERS)
    for cohort, count in plan.items():
        pool = np.flatnonzero((students.cohort == cohort) & (students.degree != "硕士"))
        if cohort == 2025:
            count += extra_2025
        w = np.array(FACULTY_IP_PULL)[students.faculty[pool]]
        chosen = rng.choice(pool, size=count, replace=False, p=w / w.sum())
        if cohort == 2025:
            # Exactly the planned number join in autumn 2023; the rest in spring 2024.
            windows = [
                (2023, ("09-01", "10-31"), plan[2025]),
                (2024, ("03-01", "04-30"), extra_2025),
            ]
            parts = [n for _, _, n in windows]
        else:
            windows = [
                w_ for w_ in _join_windows(cohort) if day(f"{w_[0]}-{w_[1][1]}") >= PROGRAMME_LAUNCH
            ]
            parts = exact_counts(count, [w_[2] for w_ in windows])
        start = 0
        for (year, (first, last), _), k in zip(windows, parts, strict=True):
            dates = random_workdays(rng, day(f"{year}-{first}"), day(f"{year}-{last}"), k)
            member_idx.append(chosen[start : start + k])
            joined.append(dates)
            start += k
    idx = np.concatenate(member_idx)
    dates = np.concatenate(joined)
    students.ip_first[idx] = dates

    # Programme by faculty.
    programme = np.empty(idx.size, int)
    for f in range(len(FACULTIES)):
        m = students.faculty[idx] == f
        options = [i for i, (_, facs) in enumerate(PROGRAMMES) if f in facs] or [3]
        programme[m] = np.array(options)[rng.integers(0, len(options), int(m.sum()))]

    # A few members join a second programme in a later window (same 学号: counted once).
    eligible = np.flatnonzero(
        np.isin(students.cohort[idx], [2023, 2024]) & (dates < day("2023-05-01"))
    )
    second = rng.choice(
        eligible, size=min(ctx.n(IP_SECOND_PROGRAMME), eligible.size), replace=False
    )
    second_dates = random_workday_between(
        rng,
        np.maximum(dates[second] + 150, day("2022-03-01")),
        np.minimum(
            np.minimum(dates[second] + 400, students.grad_date[idx[second]] - 30), day("2023-10-31")
        ),
    )
    second_prog = (programme[second] + 1 + rng.integers(0, len(PROGRAMMES) - 1, second.size)) % len(
        PROGRAMMES
    )
    all_idx = np.concatenate([idx, idx[second]])
    all_dates = np.concatenate([dates, second_dates])
    all_prog = np.concatenate([programme, second_prog])
    names = np.array([name for name, _ in PROGRAMMES])
    rows = {
        "student_no": students.student_no[all_idx],
        "id_number": students.persons.id[all_idx],
        "major": students.major[all_idx],
        "program_name": names[all_prog],
        "partner_uscc": np.where(has_partner[all_prog], partners[all_prog], ""),
        "joined_on": all_dates,
    }
    return split_events("industry_program", rows, "joined_on", ("student_no",), baseline=True)


@dataclass
class Retention:
    """Who of the local graduates graduate_intake receives, and when."""

    student: np.ndarray  # index into Students
    received_on: np.ndarray
    retained: np.ndarray  # bool per student: received in the main window of their cohort


def choose_retention(ctx: Context, students: Students) -> Retention:
    rng = stream("retention")
    retained = np.zeros(len(students), bool)
    chosen: list[np.ndarray] = []
    dates: list[np.ndarray] = []
    for cohort, (rate, ip_rate) in RETENTION.items():
        pool = np.flatnonzero(students.rostered & (students.cohort == cohort))
        ip = ~np.isnat(students.ip_first[pool])
        n_total = int(round(rate * pool.size))
        n_ip = min(int(round(ip_rate * ip.sum())), n_total)
        pick_ip = rng.choice(pool[ip], size=n_ip, replace=False)
        pick_other = rng.choice(pool[~ip], size=n_total - n_ip, replace=False)
        idx = np.sort(np.concatenate([pick_ip, pick_other]))
        retained[idx] = True
        grad = students.grad_date[idx]
        year_first = day(f"{cohort}-01-01")
        year_last = min(day(f"{cohort}-12-31"), LAST_DAY)
        window_first = np.maximum(grad - 183, year_first)
        # Early signings before graduation, the summer wave, and the autumn stragglers.
        segment = pick(rng, idx.size, [0.15, 0.60, 0.25])
        lo = np.where(
            segment == 0, window_first, np.where(segment == 1, grad, day(f"{cohort}-10-08"))
        )
        hi = np.where(
            segment == 0, grad - 1, np.where(segment == 1, day(f"{cohort}-09-30"), year_last)
        )
        bad = (hi - lo < 7) | (lo < window_first) | (hi > year_last)
        lo = np.where(bad, window_first, lo)
        hi = np.where(bad, year_last, hi)
        if cohort == 2024:
            lo, hi = window_first, np.minimum(grad - 1, year_last)
        got = random_workday_between(rng, lo, hi)
        chosen.append(idx)
        dates.append(got)
    return Retention(np.concatenate(chosen), np.concatenate(dates), retained)


def late_retention(
    ctx: Context, students: Students, retention: Retention, excluded: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Graduates received only in the first half of the year after graduating."""
    rng = stream("late-retention")
    out_idx, out_dates = [], []
    for cohort in (2022, 2023):
        pool = np.flatnonzero(
            students.rostered & (students.cohort == cohort) & ~retention.retained & ~excluded
        )
        k = int(round(LATE_RETENTION * np.sum(students.rostered & (students.cohort == cohort))))
        idx = np.sort(rng.choice(pool, size=k, replace=False))
        got = random_workdays(rng, day(f"{cohort + 1}-01-04"), day(f"{cohort + 1}-06-28"), k)
        out_idx.append(idx)
        out_dates.append(got)
    return np.concatenate(out_idx), np.concatenate(out_dates)
