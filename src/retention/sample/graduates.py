"""Graduates of colleges other than the local one, as the intake and the ledger meet them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.sample.calendar import year_of
from retention.sample.people import IdAllocator, Persons, birth_dates, region_mix
from retention.sample.randomness import pick_values

DEGREES = ("大专", "本科", "硕士", "博士")
# Typical age on graduating, by degree.
GRADUATION_AGE = {"大专": 21, "本科": 22, "硕士": 25, "博士": 29}

COLLEGES: dict[str, dict[str, float]] = {
    "大专": {
        "宁波职业技术学院": 10,
        "浙江工商职业技术学院": 9,
        "宁波城市职业技术学院": 7,
        "浙江纺织服装职业技术学院": 6,
        "宁波卫生职业技术学院": 4,
        "浙江医药高等专科学校": 3,
        "浙江机电职业技术学院": 4,
        "金华职业技术学院": 3,
        "温州职业技术学院": 2,
        "杭州职业技术学院": 2,
        "浙江交通职业技术学院": 2,
        "浙江经济职业技术学院": 2,
        "安徽职业技术学院": 2,
        "江西应用技术职业学院": 1.5,
        "河南工业职业技术学院": 1.5,
        "湖南铁道职业技术学院": 1,
        "四川工程职业技术学院": 1,
        "贵州职业技术学院": 1,
    },
    "本科": {
        "宁波大学": 8,
        "浙江万里学院": 6,
        "宁波工程学院": 6,
        "浙大宁波理工学院": 5,
        "宁波财经学院": 5,
        "浙江工业大学": 4,
        "浙江理工大学": 3,
        "浙江科技大学": 3,
        "杭州电子科技大学": 3,
        "浙江工商大学": 3,
        "中国计量大学": 3,
        "浙江师范大学": 2,
        "温州大学": 2,
        "绍兴文理学院": 2,
        "嘉兴大学": 2,
        "湖州师范学院": 1.5,
        "台州学院": 1.5,
        "宁波诺丁汉大学": 1,
        "安徽工程大学": 1.5,
        "江西理工大学": 1,
        "河南理工大学": 1,
        "湖北工业大学": 1,
        "湖南工程学院": 1,
        "西南科技大学": 1,
    },
    "硕士": {
        "宁波大学": 6,
        "浙江大学": 3,
        "浙江工业大学": 3,
        "浙江理工大学": 2,
        "杭州电子科技大学": 2,
        "中国计量大学": 2,
        "华东理工大学": 1,
        "上海大学": 1,
        "南京理工大学": 1,
        "江南大学": 1,
        "中国科学院大学": 1.5,
    },
    "博士": {
        "浙江大学": 3,
        "宁波大学": 2,
        "中国科学院大学": 3,
        "上海交通大学": 1,
        "华东理工大学": 1,
        "东华大学": 1,
        "哈尔滨工业大学": 1,
    },
}
MAJORS: dict[str, tuple[str, ...]] = {
    "大专": (
        "机电一体化技术",
        "电气自动化技术",
        "数控技术",
        "模具设计与制造",
        "工业机器人技术",
        "汽车检测与维修技术",
        "会计",
        "电子商务",
        "市场营销",
        "国际经济与贸易",
        "物流管理",
        "计算机应用技术",
        "软件技术",
        "大数据技术",
        "护理",
        "药学",
        "学前教育",
        "建筑工程技术",
        "服装设计与工艺",
        "酒店管理",
    ),
    "本科": (
        "机械设计制造及其自动化",
        "电气工程及其自动化",
        "材料成型及控制工程",
        "工业设计",
        "计算机科学与技术",
        "软件工程",
        "电子信息工程",
        "自动化",
        "化学工程与工艺",
        "国际经济与贸易",
        "财务管理",
        "会计学",
        "市场营销",
        "人力资源管理",
        "土木工程",
        "英语",
        "汉语言文学",
        "临床医学",
        "视觉传达设计",
        "物流管理",
    ),
    "硕士": (
        "机械工程",
        "材料科学与工程",
        "电气工程",
        "计算机技术",
        "控制工程",
        "化学工程",
        "工商管理",
        "会计",
        "生物医学工程",
        "应用统计",
    ),
    "博士": ("材料科学与工程", "机械工程", "化学", "控制科学与工程", "生物医学工程"),
}
# Graduation month weights: the June-July peak, a few winter and delayed graduations.
GRADUATION_MONTHS = {6: 0.55, 7: 0.25, 1: 0.04, 12: 0.05, 3: 0.03, 9: 0.04, 5: 0.02, 11: 0.02}


@dataclass
class Graduates:
    persons: Persons
    college: np.ndarray
    degree: np.ndarray
    major: np.ndarray
    grad_date: np.ndarray

    def __len__(self) -> int:
        return len(self.persons)


def graduation_days(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    months = pick_values(rng, years.size, {str(k): v for k, v in GRADUATION_MONTHS.items()})
    months = months.astype(int)
    first = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (months - 1)
    first = first.astype("datetime64[D]")
    length = ((first.astype("datetime64[M]") + 1).astype("datetime64[D]") - first).astype(int)
    # June graduations bunch at the end of the month, when diplomas are issued.
    offset = np.where(
        months == 6,
        length - 1 - (rng.random(years.size) * 12).astype(int),
        (rng.random(years.size) * length).astype(int),
    )
    return first + offset


def other_graduates(
    ctx_ids: IdAllocator,
    rng: np.random.Generator,
    degrees: np.ndarray,
    grad_years: np.ndarray,
    regions: dict[str, float] | None = None,
    grad_dates: np.ndarray | None = None,
) -> Graduates:
    """New graduates of other colleges, one per (degree, graduation year)."""
    n = degrees.size
    if grad_dates is None:
        grad_dates = graduation_days(rng, grad_years)
    age = np.array([GRADUATION_AGE[d] for d in degrees.tolist()], int)
    # A year or two older now and then, hardly ever younger.
    noise = np.clip(np.rint(rng.normal(0, 0.8, n)), -1, 2).astype(int)
    births = birth_dates(rng, year_of(grad_dates) - age - noise - (rng.random(n) < 0.4))
    persons = ctx_ids.people(rng, births, regions or region_mix(0.30, 0.15, 0.20, 0.35))
    college = np.empty(n, dtype=object)
    major = np.empty(n, dtype=object)
    for d in DEGREES:
        m = degrees == d
        k = int(m.sum())
        if k:
            college[m] = pick_values(rng, k, COLLEGES[d])
            majors = MAJORS[d]
            major[m] = np.array(majors)[rng.integers(0, len(majors), k)]
    return Graduates(persons, college.astype(str), degrees, major.astype(str), grad_dates)
