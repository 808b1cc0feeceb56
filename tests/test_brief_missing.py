"""A figure nobody delivered is missing, not zero: in the charts of the brief and in its town
table, for the earliest quarter (no last year) and a cohort with no rate."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import query

from retention.release import charts


@pytest.fixture
def chart_text(monkeypatch):
    """A chart's lettering (the brief draws it as outlines), one string a line."""
    monkeypatch.setitem(charts._pyplot().rcParams, "svg.fonttype", "none")

    def text(uri: str) -> list[str]:
        return re.findall(r">([^<>]+)</text>", base64.b64decode(uri.split(",", 1)[1]).decode())

    return text


def cohort_rate(year: int, value: float | None) -> dict:
    return {
        "scope": "cohort",
        "unit": "ratio",
        "dimension": {"cohort_year": year},
        "value": value,
        "name_zh": "留慈率",
    }


def test_a_cohort_without_a_rate_is_not_drawn_as_zero(chart_text) -> None:
    svg = chart_text(
        charts.retention_by_cohort([cohort_rate(2021, None), cohort_rate(2022, 0.0857)], 2022)
    )
    assert "8.57%" in svg
    assert "0.00%" not in svg and "—" in svg  # the 2021 cohort's rate: unknown


def test_the_earliest_year_has_no_last_year_of_zeros(chart_text) -> None:
    data = SimpleNamespace(
        quarter="2022Q2",
        intake_by_quarter=[
            {"quarter": "2022Q1", "value": 2505},
            {"quarter": "2022Q2", "value": 100},
        ],
    )
    svg = chart_text(charts.intake_against_last_year(data, []))
    assert "2022年累计" in svg and "2605" in svg
    assert not [text for text in svg if "2021年" in text]  # no series, no title naming it


def test_town_intake_last_year_is_unknown_before_the_first_delivered_year(built: Path) -> None:
    def last_year(quarter: str) -> set:
        sql = "select distinct ytd_intake_last_year is null from pack.pack_towns where quarter = ?"
        return {row[0] for row in query(built, sql, [quarter])}

    assert last_year("2022Q1") == {True}  # the sample's first year: nothing to compare with
    assert last_year("2023Q1") == {False}  # a town without graduates last year had 0
