"""Waivers: a blocking failure of the gate let through, for one quarter and one check, by a
named person with a reason (`retention waive`, or the Airflow step offered when the gate
fails).

A waiver names the data the check saw: the digest of the rows the check's query returned when
it failed. The gate counts a failure as waived only while the check sees those same rows, so
a waiver lapses by itself when a department sends new data, as it does after its `until` day.
Waivers are kept (gate.waivers), named in the release manifest and shown in the pack's quality
appendix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from retention import warehouse
from retention.builds import NotBuilt, current_build
from retention.errors import ExpectedError
from retention.gate.tables import RESULTS_DDL
from retention.printable import printable

WAIVERS_DDL = """
create schema if not exists gate;
create table if not exists gate.waivers (
    waiver_id varchar, quarter varchar, check_name varchar, expectation varchar,
    observed_value varchar, data_digest varchar, waived_by varchar, reason varchar,
    valid_until date, recorded_at timestamp, gate_run_id varchar
);
"""
COLUMNS = (
    "waiver_id, quarter, check_name, expectation, observed_value, data_digest, waived_by, "
    "reason, valid_until, recorded_at, gate_run_id"
)


class WaiverRefused(ExpectedError):
    """The waiver was not recorded; the message says why in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class Waiver:
    waiver_id: str
    quarter: str
    check: str  # the check's id, suite.name
    expectation: str  # the outcome's label, e.g. expect_column_values_to_not_be_null(name)
    observed: str  # what the check found when it was waived
    data_digest: str
    by: str
    reason: str
    until: dt.date | None
    recorded_at: dt.datetime
    gate_run_id: str  # the run whose failure was waived

    def as_json(self) -> dict[str, Any]:
        return {
            "waiver_id": self.waiver_id,
            "check": self.check,
            "expectation": self.expectation,
            "observed": self.observed,
            "waived_by": self.by,
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
            "recorded_at": f"{self.recorded_at.isoformat(timespec='seconds')}Z",
            "data_digest": self.data_digest,
            "gate_run_id": self.gate_run_id,
        }

    def sentence(self) -> str:
        until = f"，有效至 {self.until}" if self.until else ""
        until_en = f", until {self.until}" if self.until else ""
        return (
            f"{self.check} {self.expectation} 已由 {self.by} 豁免{until}（理由：{self.reason}）/ "
            f"waived by {self.by}{until_en}: {self.reason}"
        )


def data_digest(frame) -> str:
    """SHA-256 of the rows a check read, whatever order the query returned them in: the
    columns' names, then every row's hash, sorted."""
    import numpy as np
    import pandas as pd

    rows = np.sort(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    digest = hashlib.sha256(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(rows.tobytes())
    return digest.hexdigest()


def _waiver(row: tuple) -> Waiver:
    return Waiver(*row)


def in_force(con: duckdb.DuckDBPyConnection, quarter: str, today: dt.date) -> list[Waiver]:
    """The quarter's waivers not past their day; whether one still matches the data is the
    gate's to judge (its digest against the rows the check reads now)."""
    try:
        rows = con.execute(
            f"select {COLUMNS} from gate.waivers where quarter = ? "
            "and (valid_until is null or valid_until >= ?) order by recorded_at",
            [quarter, today],
        ).fetchall()
    except duckdb.CatalogException:  # nothing was ever waived
        return []
    return [_waiver(r) for r in rows]


def by_id(con: duckdb.DuckDBPyConnection, waiver_ids: list[str]) -> list[Waiver]:
    if not waiver_ids:
        return []
    rows = con.execute(
        f"select {COLUMNS} from gate.waivers where list_contains(?, waiver_id) "
        "order by check_name, expectation",
        [waiver_ids],
    ).fetchall()
    return [_waiver(r) for r in rows]


# A reason is read in the pack's quality appendix and in the approval step: a paragraph, not a
# document (100 KB of it made the brief's PDF 79 pages and overflowed the workbook's cell).
REASON_LIMIT = 2000


def _clean(text: str | None) -> str:
    """One line: a name or a reason is shown in the pack, the log and the approval step. Only
    control characters (a bell, an escape) are no name and no reason: they count as empty."""
    words = " ".join((text or "").split())
    return printable(words) if any(c.isprintable() and not c.isspace() for c in words) else ""


def _latest_failures(con: duckdb.DuckDBPyConnection, quarter: str) -> tuple[str, list[dict]]:
    """The gate's latest run for the quarter on the current build, and its results."""
    validate = f"`retention validate --quarter {quarter}`"
    try:
        build = current_build(con)
    except NotBuilt as stale:
        raise WaiverRefused(str(stale), "the warehouse is not built") from None
    run = warehouse.one(
        con,
        "select run_id, build_id from gate.runs where quarter = ? order by run_at desc limit 1",
        [quarter],
    )
    if run is None or run[1] != build.build_id:
        raise WaiverRefused(
            f"{quarter} 在当前构建上尚未经过质量检查，请先运行 {validate}",
            f"{quarter} has not been through the gate on the current build: run {validate} first",
        )
    cursor = con.execute(
        "select suite || '.' || check_name as check_id, expectation, severity, success, "
        "observed_value, data_digest, waiver_id from gate.results where run_id = ?",
        [run[0]],
    )
    names = [d[0] for d in cursor.description]
    return run[0], [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def waive(
    state: Path,
    quarter: str,
    check: str,
    by: str,
    reason: str,
    until: dt.date | None = None,
    today: dt.date | None = None,
) -> list[Waiver]:
    """Record a waiver of each blocking expectation of `check` that failed in the gate's
    latest run for the quarter; the gate must run again for it to count."""
    by, reason, today = _clean(by), _clean(reason), today or dt.date.today()
    if not by:
        raise WaiverRefused("豁免须写明豁免人（--by）", "a waiver needs the name of who waives it")
    if not reason:
        raise WaiverRefused("豁免须写明理由（--reason）", "a waiver needs a reason")
    if len(reason) > REASON_LIMIT:
        raise WaiverRefused(
            f"理由过长（{len(reason)} 字），请写在 {REASON_LIMIT} 字以内，详细说明另附",
            f"the reason is too long ({len(reason)} characters): keep it within {REASON_LIMIT} "
            "and file the details elsewhere",
        )
    if until is not None and until < today:
        raise WaiverRefused(f"有效期 {until} 已过", f"the day it holds until, {until}, has passed")
    with warehouse.connect(state) as con:
        con.execute(RESULTS_DDL + WAIVERS_DDL)  # a warehouse from before waivers
        run_id, results = _latest_failures(con, quarter)
        blocking = [r for r in results if r["severity"] == "blocking" and r["success"] is False]
        failing = sorted({r["check_id"] for r in blocking})
        mine = [r for r in results if r["check_id"] == check]
        if not mine:
            typed = printable(check)  # as typed, but never an escape sequence for the terminal
            raise WaiverRefused(
                f"没有名为 {typed} 的检查；未通过的阻断检查：{'、'.join(failing) or '无'}",
                f"there is no check {typed}; the blocking checks that failed: "
                f"{', '.join(failing) or 'none'}",
            )
        waivable = [r for r in blocking if r["check_id"] == check and not r["waiver_id"]]
        if any(r["data_digest"] is None for r in waivable):  # a run from before waivers
            validate = f"`retention validate --quarter {quarter}`"
            raise WaiverRefused(
                f"请先重新运行 {validate}", f"run {validate} again first: its latest run is too old"
            )
        if not waivable:
            raise WaiverRefused(
                f"{check} 在最近一次质量检查（{run_id}）中没有未通过且未豁免的阻断项",
                f"{check} has no blocking failure left to waive in the gate's latest run "
                f"({run_id})",
            )
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        waivers = [
            Waiver(
                uuid.uuid4().hex,
                quarter,
                check,
                r["expectation"],
                r["observed_value"],
                r["data_digest"],
                by,
                reason,
                until,
                now,
                run_id,
            )
            for r in waivable
        ]
        con.executemany(
            f"insert into gate.waivers ({COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    w.waiver_id,
                    w.quarter,
                    w.check,
                    w.expectation,
                    w.observed,
                    w.data_digest,
                    w.by,
                    w.reason,
                    w.until,
                    w.recorded_at,
                    w.gate_run_id,
                ]
                for w in waivers
            ],
        )
    return waivers
