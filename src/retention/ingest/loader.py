"""`retention ingest`: load a landing folder of department files into the warehouse.

Each delivery (delivery.py) is taken once into a snapshot, archived encrypted, checked against
its name and the ledger, read in the sandbox (sandbox.py), validated in SQL and then loaded in
one transaction together with its ledger entry and rejected rows. The landing folder is only
read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from retention import errors, keyring, pii, state_files, vault, warehouse
from retention.contract import Contract, Feed, default_contract
from retention.ingest import checking, ledger, rules
from retention.ingest.delivery import (
    Delivered,
    delivered_files,
    file_sha256,
    printable_name,
    settle_seconds,
    snapshot,
    still_changing,
)
from retention.ingest.messages import file_message
from retention.ingest.naming import NAME_PATTERN, FileName, parse_file_name
from retention.ingest.reading import FileRefused, Parsed, Spec
from retention.ingest.sandbox import ReaderLost, Request, Sandbox, seconds_for, unnamed_file

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str
    department: str
    feed: str | None
    quarter: str | None
    version: int | None
    status: str  # loaded | refused | duplicate | already_ingested | waiting
    reason: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    message: str | None = None
    encoding: str | None = None  # as detected: utf-8, utf-8 with BOM, gb18030 or xlsx
    seconds: float = 0.0

    @classmethod
    def of(cls, item: Delivered, name: FileName | None, status: str, **fields) -> FileResult:
        """The result for a delivered entry, with what its name tells."""
        return cls(
            file=item.relative,
            department=fields.pop("department", item.department),
            feed=name.feed if name else None,
            quarter=str(name.quarter) if name else None,
            version=name.version if name else None,
            status=status,
            **fields,
        )

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


def ingest(
    landing: Path,
    state: Path,
    contract: Contract | None = None,
    on_file: Callable[[Path, int], None] | None = None,
    departments: set[str] | None = None,
    settle: float | None = None,
) -> list[FileResult]:
    """Load every file of the landing folder (or of these departments' folders).

    Each file is handled alone: whatever happens while it is read, checked or loaded ends as
    that file's result, and the run goes on with the next."""
    state_files.owner_only()
    require_landing(landing)
    contract = contract or default_contract()
    settle = settle_seconds() if settle is None else settle
    key = pii.pii_key()
    try:
        con = warehouse.connect(state)
    except duckdb.IOException as exc:
        # Writers wait for each other on the state folder's lock (retention.state_lock), but a
        # reader (`retention kpis`, a DuckDB client) holds DuckDB's lock without taking that.
        detail = str(exc).splitlines()[0][:300]
        raise IngestStopped(
            f"另一个命令正在使用 {state} 中的数据仓库，请等其结束后重试 / another command is "
            f"using the warehouse in {state}: wait for it to finish and run again ({detail})"
        ) from exc
    try:
        state_files.clear_scratch(state)
        ledger.ensure(con)
        keyring.check(con, key)
        for feed in contract.feeds.values():  # every raw table exists, delivered or not yet
            ledger.ensure_feed_table(con, feed)
        results = []
        watched = ledger.watched_departments(con)
        with Sandbox() as sandbox:
            for item in delivered_files(landing):
                if departments and item.department not in departments:
                    continue
                if item.department in watched:
                    item = replace(item, seen_on=ledger.today())
                if on_file:
                    on_file(item.path, 0 if item.problem else item.path.lstat().st_size)
                started = time.perf_counter()
                try:
                    result = _handle(con, sandbox, contract, item, state, key, settle)
                # Still being written, or moved away by its department after the listing.
                except (FileChanging, FileNotFoundError):
                    result = _waiting(item)
                except ReaderLost:
                    log.error("%s: the reading worker died; read again next run", item.relative)
                    result = _waiting(item)
                except Exception as exc:
                    if not errors.disk_full(exc):
                        raise
                    raise IngestStopped(
                        f"磁盘已满，已停止入库（{item.relative} 未处理，已入库的不受影响），"
                        f"请清理 {state} 所在磁盘后重试 / the disk is full: ingest stopped at "
                        f"{item.relative} (files already loaded are intact); free space where "
                        f"{state} lives and run again",
                        results,
                    ) from exc
                if result is None:
                    continue
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
            log.info("the largest reading child peaked at %.0f MiB", sandbox.peak_mib)
        return results
    finally:
        con.close()


def require_landing(landing: Path) -> None:
    """A mistyped folder must not look like a quiet quarter."""
    if not landing.is_dir():
        raise IngestStopped(
            f"找不到报送目录 {landing}，请检查 --landing / landing folder {landing} does not "
            "exist or is not a folder: check --landing"
        )


def _handle(con, sandbox, contract, item: Delivered, state, key, settle) -> FileResult | None:
    if item.problem:
        return _not_a_file(con, item)
    if still_changing(item.path, settle):
        return _waiting(item)
    return _ingest_file(con, sandbox, contract, item, state, key)


class IngestStopped(errors.ExpectedError):
    """The run cannot go on (no landing folder, a full disk): one bilingual line saying why
    and what to do. Files handled before it stay as they are, and `results` reports them."""

    def __init__(self, message: str, results: list[FileResult] | None = None):
        super().__init__(message)
        self.results = results or []


class FileChanging(Exception):
    """The file changed while it was read: a department is still writing it."""


def _waiting(item: Delivered) -> FileResult:
    log.info("%s is still being written: left for the next run", item.relative)
    return FileResult.of(
        item,
        None,
        "waiting",
        message="文件仍在写入，下次运行时读取 / still being written: read on the next run",
    )


def _not_a_file(con: duckdb.DuckDBPyConnection, item: Delivered) -> FileResult | None:
    """Recorded once per path: a link or folder is refused, never followed."""
    if ledger.seen_before(con, item.relative, ""):
        return None
    zh, en = file_message("not_a_file", name=item.relative, kind=item.problem)
    entry = ledger.Entry(
        department=printable_name(item.department),
        file_name=printable_name(item.path.name),
        landing_path=item.relative,
        file_sha256="",
        size_bytes=0,
        status="refused",
        reason="not_a_file",
        message_zh=zh,
        message_en=en,
    )
    ledger.record(con, entry)
    return FileResult.of(
        item,
        None,
        "refused",
        department=entry.department,
        reason="not_a_file",
        message=f"{zh} / {en}",
    )


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    sandbox: Sandbox,
    contract: Contract,
    item: Delivered,
    state: Path,
    key: bytes,
) -> FileResult:
    path, relative = item.path, item.relative
    sha, _ = file_sha256(path)
    name = parse_file_name(path.name)
    result = FileResult.of(item, name, "already_ingested")
    if ledger.seen_before(con, relative, sha):
        return result
    taken = snapshot(path, state / "tmp")
    if taken is None or taken.sha256 != sha:
        raise FileChanging(relative)
    try:
        return _ingest_snapshot(con, sandbox, contract, item, taken, name, result, state, key)
    finally:
        taken.close()


def _ingest_snapshot(con, sandbox, contract, item, taken, name, result, state, key) -> FileResult:
    path, relative, department, sha = item.path, item.relative, item.department, taken.sha256
    log.info("loading %s (%d bytes)", relative, taken.size)
    archive = vault.store(
        Path(taken.path), state / "archive" / (department or "_") / f"{sha[:16]}-{path.name}", key
    )
    entry = ledger.Entry(
        department=department,
        file_name=path.name,
        landing_path=relative,
        file_sha256=sha,
        size_bytes=taken.size,
        status="refused",
        feed=result.feed,
        quarter=result.quarter,
        version=result.version,
        is_baseline=name.is_baseline if name else None,
        file_format=name.extension if name else path.suffix.lstrip("."),
        archive_path=str(archive.relative_to(state)),
        seen_on=item.seen_on,
    )
    try:
        feed = _feed_for(contract, name, department)
        _check_version(con, feed, name, sha, entry)
        if entry.status == "duplicate":
            ledger.record(con, entry)
            result.status = "duplicate"
            return result
        checking.check_counted_once(con, feed, name, sha)
        rejected_by_reason = _load(con, sandbox, feed, name, taken, state, key, entry)
    except ReaderLost:
        raise  # the run's trouble, not the file's: nothing is recorded for it
    except Exception as exc:  # noqa: BLE001 - whatever happened, this file alone is refused
        if errors.disk_full(exc):  # the run's trouble too, however DuckDB or Arrow said it
            raise
        if _interrupted(exc):  # Ctrl-C inside a DuckDB query arrives as its error
            raise KeyboardInterrupt from exc
        refused = exc if isinstance(exc, FileRefused) else _failed(exc, relative)
        _quarantine(con, refused, name, item, taken, state, entry, key)
        result.status, result.reason = "refused", refused.reason
        result.message = f"{entry.message_zh} / {entry.message_en}"
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


def _interrupted(exc: Exception) -> bool:
    return isinstance(exc, duckdb.InterruptException) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()
    )


def _failed(exc: Exception, relative: str) -> FileRefused:
    """An error no rule foresaw: the file is refused rather than the run ended. The log gets
    the error's type and first line, with anything shaped like a resident ID masked."""
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    first = pii.mask_ids_in_text(first)
    log.error("%s: unexpected %s while loading: %s", relative, type(exc).__name__, first)
    return FileRefused(
        "unreadable",
        detail_zh=f"入库时出错（{type(exc).__name__}），已记录，数据管理员会跟进",
        detail_en=f"an error occurred while loading ({type(exc).__name__}); it was logged for "
        "the data team",
    )


def _quarantine(con, refused: FileRefused, name, item, taken, state, entry, key) -> None:
    zh, en = _refusal_text(refused, name)
    entry.status, entry.reason, entry.message_zh, entry.message_en = (
        "refused",
        refused.reason,
        zh,
        en,
    )
    folder = state / "quarantine" / (item.department or "_")
    target = folder / f"{taken.sha256[:16]}-{item.path.name}"
    quarantine = vault.store(Path(taken.path), target, key)
    quarantine.with_name(quarantine.name + ".reason.txt").write_text(
        f"{item.relative}\n{zh}\n{en}\n", encoding="utf-8"
    )
    entry.quarantine_path = str(quarantine.relative_to(state))
    ledger.record(con, entry)


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


def _spec(feed: Feed) -> Spec:
    textual = [c.name for c in feed.columns if c.kinds & {"id", "uscc"}]
    return Spec([(c.header, c.name) for c in feed.columns], textual)


def _stage(con, sandbox: Sandbox, feed: Feed, name: FileName, taken, state: Path):
    """The file's cells in the temp table `_stage`, read in the sandbox."""
    handle, out = unnamed_file(state / "tmp")
    try:
        request = Request(taken.path, out, name.extension, _spec(feed), str(state / "tmp"))
        parsed, batches = sandbox.read(request, seconds_for(taken.size))
        con.register("_arrow", batches)
        try:
            con.execute("create or replace temp table _stage as select * from _arrow")
        finally:
            con.unregister("_arrow")
    finally:
        handle.close()
    return parsed


def _load(
    con: duckdb.DuckDBPyConnection,
    sandbox: Sandbox,
    feed: Feed,
    name: FileName,
    taken,
    state: Path,
    key: bytes,
    entry: ledger.Entry,
) -> dict[str, int]:
    """Load the file's valid rows in place of the feed and quarter's earlier version."""
    parsed = _stage(con, sandbox, feed, name, taken, state)
    try:
        mapping, ignored = checking.map_columns(feed, parsed.header)
        staged = checking.Staged(
            mapping, parsed.width, parsed.header_line, parsed.encoding, ignored
        )
        entry.ignored_columns, entry.encoding = staged.ignored_headers, staged.encoding
        entry.ignored_sheets, entry.declared_on = parsed.ignored_sheets, parsed.declared_on
        total_row = checking.control_total(con, feed, staged)
        rows_sql = checking.parsed_rows_sql(feed, staged, total_row)
        data_rows = checking.find_rejects(con, feed, staged, name, rows_sql)
        if data_rows == 0:
            raise FileRefused("empty")
        _account(con, staged, parsed, data_rows, total_row is not None, entry)
        return _insert(con, feed, name, staged, rows_sql, key, entry, data_rows)
    finally:
        con.execute("drop table if exists _rejects; drop table if exists _stage")


def _account(con, staged, parsed: Parsed, data_rows: int, has_total: bool, entry) -> None:
    """Every line of the file is title, header, blank, data, control total or inside a cell;
    a file whose lines do not add up was read wrongly and is refused."""
    staged_blank = con.execute(
        f"select count(*) from _stage where {checking.first_cell(staged)} is null"
    ).fetchone()[0]
    entry.lines_read, entry.lines_title, entry.lines_header = (
        parsed.lines_read,
        parsed.lines_title,
        1,
    )
    entry.lines_blank = parsed.lines_blank + staged_blank
    entry.lines_total, entry.lines_in_cells = int(has_total), parsed.lines_in_cells
    counted = (
        entry.lines_title
        + entry.lines_header
        + entry.lines_blank
        + data_rows
        + entry.lines_total
        + entry.lines_in_cells
    )
    if counted != entry.lines_read:
        raise FileRefused(
            "unreadable",
            detail_zh=f"文件共 {entry.lines_read} 行，只能识别其中 {counted} 行",
            detail_en=f"the file has {entry.lines_read} lines but only {counted} could be "
            "accounted for",
        )


def _insert(con, feed: Feed, name: FileName, staged, rows_sql: str, key, entry, data_rows: int):
    rejected = con.execute("select count(*) from _rejects").fetchone()[0]
    if rejected == data_rows:  # nothing would load: never let this replace a loaded version
        reasons = con.execute(
            "select split_part(_reject, '|', 1) as r, count(*) from _rejects "
            "group by r order by 2 desc"
        ).fetchall()
        listed = ", ".join(f"{r} {n}" for r, n in reasons)
        raise FileRefused("no_valid_rows", rows=data_rows, reasons=listed)
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
    params |= {"baseline": name.is_baseline}
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
    return counts
