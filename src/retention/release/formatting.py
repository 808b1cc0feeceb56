"""Figures written as the city's own documents write them.

Counts are whole numbers with their measure word (人, 家次, 人次, 套, 户); money is in 万元
with 2 decimals, or 亿元 with 2 decimals for large sums; rates are percentages with 2
decimals. Rounding is half up (as a person rounds), except where a rule says truncate.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

NUMERALS = "零一二三四五六七八九"
YI = Decimal(10**8)
WAN = Decimal(10**4)
# A figure the warehouse does not have (its feed is missing), wherever the pack prints it:
# never "None", never 0
MISSING = "—"


def _decimal(value: float | int | Decimal) -> Decimal:
    # str() first: Decimal(0.1) would carry the binary float's tail into the rounding.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def round_half_up(value: float | int | Decimal, places: int) -> Decimal:
    return _decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def truncate(value: float | int | Decimal, places: int) -> Decimal:
    return _decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_DOWN)


def count(value: int | float, measure: str = "") -> str:
    """20999人, 1241家次."""
    return f"{int(round_half_up(value, 0))}{measure}"


def wan_yuan(yuan: float | Decimal) -> str:
    """33547600 -> 3354.76万元."""
    return f"{round_half_up(_decimal(yuan) / WAN, 2)}万元"


def money_amount(yuan: float | Decimal) -> tuple[Decimal, str]:
    """The amount as published and its unit: 亿元 from one hundred million yuan up, 万元 below,
    each with 2 decimals (147036500 -> 1.47, 亿元; 33547600 -> 3354.76, 万元)."""
    amount = _decimal(yuan)
    if abs(amount) >= YI:
        return round_half_up(amount / YI, 2), "亿元"
    return round_half_up(amount / WAN, 2), "万元"


def money(yuan: float | Decimal) -> str:
    """147036500 -> 1.47亿元, 33547600 -> 3354.76万元."""
    amount, unit = money_amount(yuan)
    return f"{amount}{unit}"


def percent(ratio: float | Decimal, places: int = 2) -> str:
    """1.0293 -> 102.93%; the ratio is already rounded by its own rule."""
    return f"{round_half_up(_decimal(ratio) * 100, places)}%"


def wan(value: int | float, measure: str, places: int = 1) -> str:
    """35012 -> 3.5万套 (a large count in 万)."""
    return f"{round_half_up(_decimal(value) / WAN, places)}万{measure}"


def more_than(value: int | float, step: int, measure: str) -> str:
    """3946 -> 3900余个: the figure down to a round step, then 余 (more than)."""
    floor = int(value) // step * step
    return f"{floor}余{measure}" if floor < value else f"{floor}{measure}"


def chinese_number(value: int) -> str:
    """1..99 in Chinese numerals: 3 -> 三, 10 -> 十, 21 -> 二十一."""
    if not 0 < value < 100:
        raise ValueError(f"no Chinese numeral written here for {value}")
    tens, ones = divmod(value, 10)
    if tens == 0:
        return NUMERALS[ones]
    head = "" if tens == 1 else NUMERALS[tens]
    return f"{head}十{NUMERALS[ones] if ones else ''}"


def place(rank: int) -> str:
    """3 -> 第三位."""
    return f"第{chinese_number(rank)}位"


def change(value: float | None, rule: str) -> str:
    """A yoy/qoq change as leadership reads it: 增长5.20% / 下降1.10% / 提高1.23个百分点."""
    if value is None:
        return MISSING
    if rule == "difference":
        points = round_half_up(abs(_decimal(value)) * 100, 2)
        return f"{'提高' if value >= 0 else '下降'}{points}个百分点"
    return f"{'增长' if value >= 0 else '下降'}{round_half_up(abs(_decimal(value)) * 100, 2)}%"


# Measure words (量词) of the catalogue's units, as the city's documents write them.
MEASURE_WORDS = {
    "persons": "人",
    "person_times": "人次",
    "enterprises": "家",
    "enterprise_times": "家次",
    "bases": "家",
    "positions": "个",
    "units": "套",
    "households": "户",
    "contracts": "套",
}


def figure(value: float | None, unit: str) -> str:
    """Any catalogue value as text: 20999人, 3354.76万元, 102.93%, 第三位, — when missing."""
    if value is None:
        return MISSING
    if unit == "yuan":
        return money(value)
    if unit == "ratio":
        return percent(value)
    if unit == "rank":
        return place(int(value))
    return count(value, MEASURE_WORDS.get(unit, ""))


DELIVERY_NOTE = (
    "报送日期以文件标题行的填报日期为准，未填写的以首次收到文件的日期为准；"
    "历史数据批量导入的文件未记录报送日期，不计为逾期。各数据项以首个版本的报送日期对照报送截止日。"
)


def delivered_on(delivery: dict, day: Callable[[Any], str] = str) -> str:
    """2024-01-08（填报日期）, 2024-01-12（首次收到）, 未记录 for a delivery whose date nobody
    recorded, and nothing for a feed not delivered; the date written by `day`, its source named
    by pack_deliveries (reference data delivery_labels)."""
    if not delivery["is_delivered"]:
        return ""
    if delivery["delivered_on"] is None:
        return "未记录"
    return f"{day(delivery['delivered_on'])}（{delivery['delivered_on_from_zh']}）"


# A release's status and a gate check's result as the pack names them.
RELEASE_STATUS = {"final": "正式", "provisional": "临时（数据未齐）"}
CHECK_SEVERITY = {"blocking": "阻断", "warning": "警告"}
CHECK_RESULT = {  # by (success, waived)
    (True, False): "通过",
    (False, False): "未通过",
    (False, True): "未通过（已豁免）",
    (None, False): "未运行",
}


# The catalogue's scopes as the pack's tables name them (contract/kpis.md, Scopes).
SCOPES = {
    "quarter": "本季度",
    "ytd": "本年累计",
    "cumulative": "历年累计",
    "as_of": "季末",
    "cohort": "届别",
}
