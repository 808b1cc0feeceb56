"""`retention validate`: run the gate for a quarter, keep every result, write Data Docs.

GX validates pandas frames taken from DuckDB: its SQL data source fails on DuckDB
(contract: notes on GX 1.24), and the frames of one quarter are small.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from retention import warehouse
from retention.builds import NotBuilt, current_build
from retention.contract import default_contract
from retention.errors import ExpectedError
from retention.gate.checks import (
    Check,
    Expectation,
    bounds_checks,
    load_checks,
    raw_feed_checks,
)
from retention.gate.gx_import import great_expectations
from retention.gate.tables import RESULTS_DDL
from retention.gate.waivers import Waiver, data_digest, in_force
from retention.kpis import missing_feeds
from retention.printable import printable

log = logging.getLogger(__name__)


class GateError(ExpectedError):
    """The gate could not run (no such quarter, no current build)."""


@dataclass
class Outcome:
    check: Check
    expectation: Expectation
    success: bool | None  # None: not run, its feed was not delivered for the quarter
    observed: str
    unexpected_count: int | None
    data_digest: str | None = None  # of the rows the check read; None when not run
    waiver: Waiver | None = None  # a blocking failure let through

    @property
    def blocks(self) -> bool:
        return self.success is False and self.expectation.severity == "blocking"

    @property
    def label(self) -> str:
        column = self.expectation.kwargs.get("column") or self.expectation.kwargs.get("column_A")
        return f"{self.expectation.type}({column})" if column else self.expectation.type

    def sentence(self) -> str:
        return (
            f"{self.check.id}: {self.check.en} / {self.check.zh} — {self.label} failed "
            f"({self.observed})"
        )


@dataclass
class GateRun:
    run_id: str
    quarter: str
    build_id: str
    outcomes: list[Outcome]
    data_docs: Path | None

    @property
    def blocking_failures(self) -> list[Outcome]:
        """Those not waived: a waived one lets the quarter through."""
        return [o for o in self.outcomes if o.blocks and o.waiver is None]

    @property
    def waived(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.blocks and o.waiver is not None]

    @property
    def warnings(self) -> list[Outcome]:
        return [
            o for o in self.outcomes if o.success is False and o.expectation.severity == "warning"
        ]

    @property
    def passed(self) -> bool:
        return not self.blocking_failures


def _query_params(con: duckdb.DuckDBPyConnection, quarter: str) -> dict:
    row = warehouse.one(
        con,
        "select quarter, quarter_start, quarter_end, year_start, previous_quarter "
        "from intermediate.int_quarters where quarter = ?",
        [quarter],
    )
    if row is None:
        raise GateError(
            f"仓库中没有 {quarter} 的数据：请检查季度，或先报送并运行 retention ingest 与 "
            f"retention build / the warehouse has no data for {quarter}: check the quarter, or "
            "ingest its files and run `retention build` first"
        )
    names = ("quarter", "quarter_start", "quarter_end", "year_start", "previous_quarter")
    return dict(zip(names, row, strict=True))


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict):
    used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
    frame = con.execute(sql, used).df()
    for column in frame.columns:  # GX compares numbers, not Decimal objects
        sample = frame[column].dropna()
        if len(sample) and isinstance(sample.iloc[0], Decimal):
            frame[column] = frame[column].astype(float)
    return frame


def _checks(con: duckdb.DuckDBPyConnection, params: dict) -> list[Check]:
    contract = default_contract()
    previous = {}
    for feed in contract.feeds:
        count = warehouse.one(
            con,
            f"select count(*) from raw.{feed} where quarter = ? and not is_baseline",
            [params["previous_quarter"]],
        )
        previous[feed] = count[0]
    bands = {
        feed: (low, high)
        for feed, low, high in con.execute(
            "select feed, row_count_low, row_count_high from reference.gate_thresholds"
        ).fetchall()
    }
    bounds = con.execute(
        "select feed, column_name, max_value from reference.plausibility_bounds order by all"
    ).fetchall()
    checks = raw_feed_checks(contract, previous, bands) + bounds_checks(contract, bounds)
    return checks + load_checks()


def gx_root(state: Path) -> Path:
    """GX's folder in the state: where GX's file context, which the gate used before, kept it.
    Absolute: GX's stores refuse a relative folder (`--state` may be one)."""
    return (state / "gx" / "gx").absolute()


def _gx_context(state: Path):
    """An ephemeral GX context whose stores (suites, validation results) and Data Docs are the
    folders of `<state>/gx/gx`. Its data source lives in memory: a file context writes its whole
    configuration again for every asset and batch definition added (three times a check), and
    the frames come anew from DuckDB each run, so there is nothing of it worth keeping."""
    gx = great_expectations()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        ProgressBarsConfig,
    )

    from retention.gate.data_docs import SITE_NAME, site_config

    root = gx_root(state)
    config = DataContextConfig(
        store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=root),
        data_docs_sites={SITE_NAME: site_config(root)},
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _expectation(exp: Expectation):
    import great_expectations as gx

    class_name = "".join(part.title() for part in exp.type.split("_"))
    return getattr(gx.expectations, class_name)(**exp.kwargs, meta={"severity": exp.severity})


def _plain(value: object) -> str:
    """An example value as a person reads it (no numpy reprs), and as the terminal, log or
    notification it reaches prints it (no control characters from the data)."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_plain(v) for v in value) + ")"
    return printable(str(value.item() if hasattr(value, "item") else value))


def _observed(result) -> tuple[str, int | None]:
    details = result.result or {}
    if "unexpected_count" in details:
        count = details["unexpected_count"]
        examples = details.get("unexpected_index_list") or details.get("partial_unexpected_list")
        sample = "; ".join(_plain(v) for v in (examples or [])[:3])
        text = f"{count} of {details.get('element_count')} rows unexpected"
        return (f"{text}: {sample}" if sample and count else text), count
    bounds = result.expectation_config.kwargs
    expected = ""
    if "min_value" in bounds or "max_value" in bounds:
        expected = f", expected {bounds.get('min_value', '')}–{bounds.get('max_value', '')}"
    return f"observed {_plain(details.get('observed_value'))}{expected}", None


def _data_source(context, checks: list[str]):
    """The frames' data source: a data frame asset per check, each with one batch definition
    (the whole frame), created at once; added one by one, each asset and batch definition
    serialised the context's configuration again."""
    assets = [
        {"name": check, "type": "dataframe", "batch_definitions": [{"name": "quarter"}]}
        for check in checks
    ]
    return context.data_sources.add_pandas("warehouse", assets=assets)


def _validate(context, source, run_id, check: Check, frame) -> list[Outcome]:
    import great_expectations as gx

    digest = data_digest(frame)
    batch = source.get_asset(check.id).get_batch_definition("quarter")
    suite = gx.ExpectationSuite(
        name=check.id, expectations=[_expectation(e) for e in check.expectations]
    )
    # Every run writes each definition anew, so the stored one is dropped unread: add_or_update
    # reads it first, and GX writes its files in place, so one cut short by a killed run
    # failed every later run.
    store = context.validation_definition_store
    key = store.get_key(name=check.id)
    if store.has_key(key):
        store.remove_key(key)
    # stores the suite too, as it is now (adding it first as well would store it twice)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=check.id, data=batch, suite=suite)
    )
    result_format = {"result_format": "SUMMARY"}
    if check.identify_by:  # name the offending rows by these columns, not by row index
        result_format = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": list(check.identify_by),
        }
    result = definition.run(
        batch_parameters={"dataframe": frame}, result_format=result_format, run_id=run_id
    )
    # GX does not keep the suite's order in its results: match them by expectation id.
    by_id = {res.expectation_config.id: res for res in result.results}
    outcomes = []
    for exp, configured in zip(check.expectations, definition.suite.expectations, strict=True):
        res = by_id[configured.id]
        observed, count = _observed(res)
        outcomes.append(Outcome(check, exp, bool(res.success), observed, count, digest))
    return outcomes


def _skipped(check: Check, missing: set[str]) -> list[Outcome]:
    absent = ", ".join(sorted(set(check.feeds) & missing))
    return [
        Outcome(check, e, None, f"not run: {absent} not delivered", None)
        for e in check.expectations
    ]


def _apply_waivers(outcomes: list[Outcome], waivers: list[Waiver]) -> None:
    """A blocking failure is waived by a waiver of its check and expectation made when the
    check read the very rows it reads now."""
    for outcome in outcomes:
        if outcome.blocks:
            outcome.waiver = next(
                (
                    w
                    for w in waivers
                    if (w.check, w.expectation, w.data_digest)
                    == (outcome.check.id, outcome.label, outcome.data_digest)
                ),
                None,
            )


def run_gate(state: Path, quarter: str, today: dt.date | None = None) -> GateRun:
    """Validate the quarter as the current build left it (retention.builds), let through the
    blocking failures a waiver in force covers, store every result with that build's id in
    the warehouse and write Data Docs."""
    with warehouse.connect(state, read_only=True) as con:
        try:
            build = current_build(con)
        except NotBuilt as stale:
            raise GateError(str(stale)) from None
        params = _query_params(con, quarter)
        missing = set(missing_feeds(con, quarter))
        checks = _checks(con, params)
        runnable = [c for c in checks if not set(c.feeds) & missing]
        frames = {check.id: _frame(con, check.query, params) for check in runnable}
        waivers = in_force(con, quarter, today or dt.date.today())
    context = _gx_context(state)
    from great_expectations.core.run_identifier import RunIdentifier

    source = _data_source(context, list(frames))
    run_id = uuid.uuid4().hex
    gx_run = RunIdentifier(run_name=run_id, run_time=dt.datetime.now(dt.UTC))
    outcomes = [
        outcome
        for check in checks
        for outcome in (
            _validate(context, source, gx_run, check, frames[check.id])
            if check.id in frames
            else _skipped(check, missing)
        )
    ]
    _apply_waivers(outcomes, waivers)
    from retention.gate.data_docs import build_data_docs

    docs = build_data_docs(context, gx_root(state), run_id, list(frames))
    run = GateRun(run_id, quarter, build.build_id, outcomes, docs)
    _store(state, run)
    return run


def _store(state: Path, run: GateRun) -> None:
    with warehouse.connect(state) as con:
        con.execute(RESULTS_DDL)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.execute(
            "insert into gate.runs (run_id, quarter, run_at, passed, blocking_failures, "
            "warnings, data_docs, build_id, waived) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                run.quarter,
                now,
                run.passed,
                len(run.blocking_failures),
                len(run.warnings),
                str(run.data_docs or ""),
                run.build_id,
                len(run.waived),
            ],
        )
        rows = [
            [
                run.run_id,
                run.quarter,
                o.check.suite,
                o.check.name,
                o.label,
                o.expectation.severity,
                o.success,
                o.observed,
                o.unexpected_count,
                o.check.zh,
                o.check.en,
                o.data_digest,
                o.waiver.waiver_id if o.waiver else None,
            ]
            for o in run.outcomes
        ]
        if not rows:
            return
        # one statement for all rows: DuckDB's executemany runs an insert per row (0.2 s for
        # the 169 results of a run at x1)
        values = ", ".join(["(" + ", ".join("?" * len(rows[0])) + ")"] * len(rows))
        con.execute(
            "insert into gate.results (run_id, quarter, suite, check_name, expectation, "
            "severity, success, observed_value, unexpected_count, description_zh, "
            f"description_en, data_digest, waiver_id) values {values}",
            [value for row in rows for value in row],
        )
