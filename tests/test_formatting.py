"""Figures as the city's reply writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from retention.release import formatting as fmt


def test_money_in_wan_and_yi_yuan_with_two_decimals() -> None:
    assert fmt.wan_yuan(33547600) == "3354.76万元"
    assert fmt.wan_yuan(Decimal("33547550.00")) == "3354.76万元"  # half up
    assert fmt.money(147036500) == "1.47亿元"
    assert fmt.money(99999999) == "10000.00万元"
    assert fmt.money(1500) == "0.15万元"


def test_percent_of_a_truncated_ratio() -> None:
    ratio = fmt.truncate(Decimal(20999) / Decimal(20400), 4)
    assert ratio == Decimal("1.0293")
    assert fmt.percent(ratio) == "102.93%"
    assert fmt.round_half_up(Decimal(20999) / Decimal(20400), 4) == Decimal("1.0294")
    assert fmt.percent(1.0) == "100.00%"


def test_truncation_against_rounding() -> None:
    assert fmt.truncate(0.66666, 2) == Decimal("0.66")
    assert fmt.round_half_up(0.66666, 2) == Decimal("0.67")
    assert fmt.round_half_up(2.675, 2) == Decimal("2.68")  # not the float's 2.67
    assert fmt.truncate(-1.239, 2) == Decimal("-1.23")


def test_counts_and_large_counts() -> None:
    assert fmt.count(20999, "人") == "20999人"
    assert fmt.count(1241.0, "家次") == "1241家次"
    assert fmt.wan(35012, "套") == "3.5万套"
    assert fmt.more_than(3946, 100, "个") == "3900余个"
    assert fmt.more_than(8342, 1000, "名") == "8000余名"
    assert fmt.more_than(3900, 100, "个") == "3900个"


@pytest.mark.parametrize(("rank", "text"), [(1, "第一位"), (3, "第三位"), (10, "第十位")])
def test_rank_in_chinese_numerals(rank: int, text: str) -> None:
    assert fmt.place(rank) == text


def test_changes_read_as_growth_or_points() -> None:
    assert fmt.change(0.052, "ratio") == "增长5.20%"
    assert fmt.change(-0.011, "ratio") == "下降1.10%"
    assert fmt.change(0.0123, "difference") == "提高1.23个百分点"
    assert fmt.change(None, "ratio") == "—"
