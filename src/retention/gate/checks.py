"""The gate's checks as data: hand-written ones from expectations/checks.yml, and one suite
per raw feed built from the contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retention.contract import NUMERIC_TYPES, Contract, Feed
from retention.paths import PROJECT_ROOT

CHECKS_FILE = PROJECT_ROOT / "expectations" / "checks.yml"
SEVERITIES = {"blocking", "warning"}


@dataclass(frozen=True)
class Expectation:
    type: str  # snake_case GX expectation name
    kwargs: dict[str, Any]
    severity: str


@dataclass(frozen=True)
class Check:
    suite: str
    name: str
    zh: str
    en: str
    query: str
    expectations: list[Expectation] = field(default_factory=list)
    feeds: tuple[str, ...] = ()  # run only when these feeds were delivered for the quarter
    identify_by: tuple[str, ...] = ()  # columns that name an offending row in messages

    @property
    def id(self) -> str:
        return f"{self.suite}.{self.name}"


def load_checks(path: Path = CHECKS_FILE) -> list[Check]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    checks = []
    for suite, named in data.items():
        for name, spec in named.items():
            if spec["severity"] not in SEVERITIES:
                raise ValueError(f"{suite}.{name}: severity must be blocking or warning")
            expectations = [
                Expectation(kind, dict(kwargs), spec["severity"])
                for item in spec["expect"]
                for kind, kwargs in item.items()
            ]
            feeds = tuple(spec.get("feeds", ()))
            identify_by = tuple(spec.get("identify_by", ()))
            text = (spec["zh"], spec["en"], spec["query"])
            checks.append(Check(suite, name, *text, expectations, feeds, identify_by))
    return checks


def raw_feed_check(feed: Feed, previous_rows: int | None, band: tuple[float, float]) -> Check:
    """What good raw data of a feed looks like, from the contract: the columns, required
    values, enumerations, bounds and the key; and a row count near last quarter's."""
    stored = [name for name, _ in feed.stored_columns()]
    blocking: list[tuple[str, dict]] = [
        ("expect_table_columns_to_match_set", {"column_set": stored, "exact_match": False}),
        ("expect_compound_columns_to_be_unique", {"column_list": feed.stored_key})
        if len(feed.key) > 1
        else ("expect_column_values_to_be_unique", {"column": feed.stored_key[0]}),
    ]
    for column in feed.columns:
        names = [name for name, _ in column.stored_columns()]
        if not names:
            continue
        if column.required and not column.type_by:
            blocking.append(("expect_column_values_to_not_be_null", {"column": names[0]}))
        if column.type == "enum":
            blocking.append(
                (
                    "expect_column_values_to_be_in_set",
                    {"column": names[0], "value_set": list(column.values)},
                )
            )
        if "id" in column.kinds:
            blocking.append(
                (
                    "expect_column_values_to_match_regex",
                    {"column": names[0], "regex": "^[0-9a-f]{64}$"},
                )
            )
        bounds = {
            "min_value": column.ge if column.ge is not None else column.gt,
            "max_value": column.le,
        }
        if any(v is not None for v in bounds.values()):
            strict = {"strict_min": column.gt is not None}
            blocking.append(
                ("expect_column_values_to_be_between", {"column": names[0], **bounds, **strict})
            )
    expectations = [Expectation(kind, kwargs, "blocking") for kind, kwargs in blocking]
    if previous_rows:
        low, high = band
        expectations.append(
            Expectation(
                "expect_table_row_count_to_be_between",
                {"min_value": int(previous_rows * low), "max_value": int(previous_rows * high)},
                "warning",
            )
        )
    return Check(
        suite="raw",
        name=feed.name,
        zh=f"{feed.title}：列、必填项、取值范围、编号唯一，行数与上季度相近",
        en=f"raw {feed.name}: columns, required values, allowed values, unique keys, and a row "
        "count near last quarter's",
        query=f"select * from raw.{feed.name} where quarter = $quarter and not is_baseline",
        expectations=expectations,
        feeds=(feed.name,),
        identify_by=("line_number",),
    )


def raw_feed_checks(contract: Contract, previous_rows: dict[str, int], bands: dict) -> list[Check]:
    return [
        raw_feed_check(feed, previous_rows.get(feed.name), bands.get(feed.name, (0.5, 2.0)))
        for feed in contract.feeds.values()
    ]


def bounds_check(feed: Feed, bounds: dict[str, float]) -> Check:
    """A feed's hard plausibility bounds (seeds/reference/plausibility_bounds.csv), blocking:
    one row above its bound (a rental project of millions of units) stops the release. The
    quarter's rows and those of a baseline the quarter counts are checked."""
    for column in bounds:
        if column not in {c.name for c in feed.columns if c.type in NUMERIC_TYPES}:
            raise ValueError(f"plausibility_bounds: {feed.name}.{column} is no numeric column")
    headers = {c.name: c.header for c in feed.columns}
    identify_by = (*feed.stored_key, "quarter", "line_number")
    return Check(
        suite="plausibility",
        name=f"{feed.name}_within_bounds",
        zh=f"{feed.title}："
        + "，".join(f"{headers[c]}不超过 {_plain(m)}" for c, m in bounds.items()),
        en=f"{feed.name}: "
        + ", ".join(f"{c} at most {_plain(m)}" for c, m in bounds.items())
        + " in every row (plausibility_bounds.csv)",
        query=f"select {', '.join(dict.fromkeys([*identify_by, *bounds]))} from raw.{feed.name} "
        "where quarter = $quarter or (is_baseline and quarter <= $quarter)",
        expectations=[
            Expectation(
                "expect_column_values_to_be_between",
                {"column": column, "max_value": maximum},
                "blocking",
            )
            for column, maximum in bounds.items()
        ],
        feeds=(feed.name,),
        identify_by=identify_by,
    )


def bounds_checks(contract: Contract, bounds: list[tuple[str, str, float]]) -> list[Check]:
    """One check per feed that has bounds, from (feed, column, max_value) rows."""
    by_feed: dict[str, dict[str, float]] = {}
    for feed, column, maximum in bounds:
        if feed not in contract.feeds:
            raise ValueError(f"plausibility_bounds: no feed {feed!r} in the contract")
        by_feed.setdefault(feed, {})[column] = float(maximum)
    return [bounds_check(contract.feeds[feed], columns) for feed, columns in by_feed.items()]


def _plain(number: float) -> str:
    return f"{number:,.0f}" if number == int(number) else f"{number:,}"
