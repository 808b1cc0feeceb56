"""`retention ingest`: load a landing folder of department files into the warehouse.

Each file is archived, checked against its name and the ledger, staged, validated in SQL and
then loaded in one transaction together with its ledger entry and rejected rows. The landing
folder is only read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from retention import pii, warehouse
from retention.contract import Contract, Feed, default_contract
from retention.ingest import checking, ledger, rules
from retention.ingest.messages import file_message
from retention.ingest.naming import NAME_PATTERN, FileName, parse_file_name
from retention.ingest.reading import (
    FileRefused,
    file_sha256,
    stage_csv,
    stage_xlsx,
)

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str
    department: str
    feed: str | None
    quarter: str | None
    version: int | None
    status: str  # loaded | refused | duplicate | already_ingested
    reason: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    message: str | None = None
    encoding: str | None = None  # as detected: utf-8, utf-8 with BOM, gb18030 or xlsx
    seconds: float = 0.0

    def as_json(self) -> dict:
        keys = (
            "file",
            "department",
            "feed",
            "quarter",
            "version",
            "status",
            "reason",
            "rows_loaded",
            "rows_rejected",
            "rejected_by_reason",
            "message",
        )
        return {k: getattr(self, k) for k in keys}


def delivered_files(landing: Path) -> list[Path]:
    """Every file in the department folders; Excel's lock files and dotfiles are not files
    a department delivered."""
    files = [
        p
        for p in landing.rglob("*")
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith(".partial")
    ]

    def order(path: Path) -> tuple:
        name = parse_file_name(path.name)
        if name is None:
            return (1, "", 0, 0, 0, path.name)
        q = name.quarter
        return (0, name.feed, q.year * 10 + q.q, not name.is_baseline, name.version, path.name)

    return sorted(files, key=order)


def ingest(
    landing: Path,
    state: Path,
    contract: Contract | None = None,
    on_file: Callable[[Path, int], None] | None = None,
    departments: set[str] | None = None,
) -> list[FileResult]:
    """Load every file of the landing folder (or of these departments' folders)."""
    contract = contract or default_contract()
    key = pii.pii_key()
    con = warehouse.connect(state)
    try:
        ledger.ensure(con)
        for feed in contract.feeds.values():  # every raw table exists, delivered or not yet
            ledger.ensure_feed_table(con, feed)
        results = []
        for path in delivered_files(landing):
            if departments and path.relative_to(landing).parts[0] not in departments:
                continue
            if on_file:
                on_file(path, path.stat().st_size)
            started = time.perf_counter()
            result = _ingest_file(con, contract, landing, path, state, key)
            result.seconds = time.perf_counter() - started
            log.info(
                "%s %s: %s rows loaded, %s rejected%s",
                result.status,
                result.file,
                result.rows_loaded,
                result.rows_rejected,
                f" ({result.reason})" if result.reason else "",
            )
            results.append(result)
        return results
    finally:
        con.close()


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    landing: Path,
    path: Path,
    state: Path,
    key: bytes,
) -> FileResult:
    relative = path.relative_to(landing).as_posix()
    department = relative.split("/")[0] if "/" in relative else ""
    sha, size = file_sha256(path)
    name = parse_file_name(path.name)
    result = FileResult(
        file=relative,
        department=department,
        feed=name.feed if name else None,
        quarter=str(name.quarter) if name else None,
        version=name.version if name else None,
        status="already_ingested",
    )
    if ledger.seen_before(con, relative, sha):
        return result
    log.info("loading %s (%d bytes)", relative, size)
    archive = ledger.copy_once(
        path, state / "archive" / (department or "_") / f"{sha[:16]}-{path.name}"
    )
    entry = ledger.Entry(
        department=department,
        file_name=path.name,
        landing_path=relative,
        file_sha256=sha,
        size_bytes=size,
        status="refused",
        feed=result.feed,
        quarter=result.quarter,
        version=result.version,
        is_baseline=name.is_baseline if name else None,
        file_format=name.extension if name else path.suffix.lstrip("."),
        archive_path=str(archive.relative_to(state)),
    )
    try:
        feed = _feed_for(contract, name, department)
        _check_version(con, feed, name, sha, entry)
        if entry.status == "duplicate":
            ledger.record(con, entry)
            result.status = "duplicate"
            return result
        checking.check_counted_once(con, feed, name, sha)
        rejected_by_reason = _load(con, feed, name, path, state, key, entry)
    except FileRefused as refused:
        zh, en = _refusal_text(refused, name)
        entry.status, entry.reason, entry.message_zh, entry.message_en = (
            "refused",
            refused.reason,
            zh,
            en,
        )
        quarantine = ledger.copy_once(
            path, state / "quarantine" / (department or "_") / f"{sha[:16]}-{path.name}"
        )
        quarantine.with_name(quarantine.name + ".reason.txt").write_text(
            f"{relative}\n{zh}\n{en}\n", encoding="utf-8"
        )
        entry.quarantine_path = str(quarantine.relative_to(state))
        ledger.record(con, entry)
        result.status, result.reason, result.message = "refused", refused.reason, f"{zh} / {en}"
        return result
    result.status = "loaded"
    result.rows_loaded, result.rows_rejected = entry.rows_loaded, entry.rows_rejected
    result.rejected_by_reason, result.encoding = rejected_by_reason, entry.encoding
    if entry.ignored_columns:
        ignored = "、".join(entry.ignored_columns)
        result.message = (
            f"已忽略约定以外的列：{ignored} / columns not in the contract, ignored: {ignored}"
        )
    return result


def _refusal_text(refused: FileRefused, name: FileName | None) -> tuple[str, str]:
    values = dict(refused.values, pattern=NAME_PATTERN)
    if name:
        q = f"{name.feed}_{'baseline_' if name.is_baseline else ''}{name.quarter}"
        values.setdefault("next_name", f"{q}_v{name.version + 1}.{name.extension}")
    return file_message(refused.reason, **values)


def _feed_for(contract: Contract, name: FileName | None, department: str) -> Feed:
    if name is None:
        raise FileRefused(
            "unreadable",
            detail_zh=f"文件名不符合“{NAME_PATTERN}”的约定",
            detail_en=f"the file name does not follow {NAME_PATTERN}",
        )
    feed = contract.feeds.get(name.feed)
    if feed is None:
        known = ", ".join(sorted(contract.feeds))
        raise FileRefused(
            "unreadable",
            detail_zh=f"没有名为“{name.feed}”的数据项（约定的数据项：{known}）",
            detail_en=f"there is no feed named {name.feed!r} (the contract's feeds: {known})",
        )
    if feed.department != department:
        raise FileRefused(
            "unreadable",
            detail_zh=f"{feed.name} 应由 {feed.department} 报送，请放入 {feed.department}/ 目录",
            detail_en=f"{feed.name} is sent by {feed.department}: put it in {feed.department}/",
        )
    return feed


def _check_version(
    con: duckdb.DuckDBPyConnection, feed: Feed, name: FileName, sha: str, entry: ledger.Entry
) -> None:
    loaded = ledger.loaded_version(con, feed.name, str(name.quarter), name.is_baseline)
    if loaded is None:
        return
    version, loaded_sha, loaded_name = loaded
    if loaded_sha == sha and version == name.version:
        entry.status = "duplicate"
        entry.message_zh = f"与已入库的 {loaded_name} 内容相同，未重复入库。"
        entry.message_en = f"Same bytes as the loaded {loaded_name}; nothing changed."
    elif version > name.version:
        raise FileRefused(
            "version_conflict",
            detail_zh=f"已入库更高版本 v{version}（{loaded_name}），低版本不能替换它。",
            detail_en=f"A higher version v{version} ({loaded_name}) is already loaded.",
        )
    elif version == name.version:
        raise FileRefused(
            "version_conflict",
            detail_zh=f"v{version} 已由内容不同的 {loaded_name} 入库。",
            detail_en=f"Version {version} was already loaded from {loaded_name}, with other bytes.",
        )


def _load(
    con: duckdb.DuckDBPyConnection,
    feed: Feed,
    name: FileName,
    path: Path,
    state: Path,
    key: bytes,
    entry: ledger.Entry,
) -> dict[str, int]:
    """Load the file's valid rows in place of the feed and quarter's earlier version."""
    if name.extension == "xlsx":
        staged = stage_xlsx(con, path, feed)
    else:
        staged = stage_csv(con, path, feed, state / "tmp")
    entry.ignored_columns, entry.encoding = staged.ignored_headers, staged.encoding
    rows_sql = checking.parsed_rows_sql(feed, staged, checking.control_total(con, feed, staged))
    data_rows = checking.find_rejects(con, feed, staged, name, rows_sql)
    if data_rows == 0:
        raise FileRefused("empty")
    stored = [
        sql for column in feed.columns for sql in rules.stored_values(column, "$ipad", "$opad")
    ]
    stored_names = [n for n, _ in feed.stored_columns()]
    lineage = "file_sha256, line_number, quarter, version, is_baseline"
    insert = (
        f"insert into raw.{feed.name} ({', '.join(stored_names)}, {lineage}) "
        f"with {rows_sql} "
        f"select {', '.join(stored)}, $sha, _line, $quarter, $version, $baseline from parsed "
        "where _row not in (select _row from _rejects)"
    )
    unit = [str(name.quarter), name.is_baseline]
    params = {"sha": entry.file_sha256, "quarter": unit[0], "version": name.version}
    params |= {"baseline": name.is_baseline, **staged.params()}
    if "$ipad" in insert:  # DuckDB refuses parameters a statement does not use
        params["ipad"], params["opad"] = pii.hmac_pads(key)
    log.info("replacing raw.%s rows of %s with %s", feed.name, unit[0], entry.landing_path)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from raw.{feed.name} where quarter = ? and is_baseline = ?", unit)
        entry.rows_loaded = con.execute(insert, params).fetchall()[0][0]
        counts = checking.record_rejects(con, feed, name, entry.file_sha256)
        entry.rows_rejected = sum(counts.values())
        con.execute(
            "update ledger.submissions set status = 'superseded' where feed = ? and quarter = ? "
            "and is_baseline = ? and status = 'loaded'",
            [feed.name, *unit],
        )
        entry.status = "loaded"
        ledger.record(con, entry)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _rejects; drop table if exists _stage")
    return counts
