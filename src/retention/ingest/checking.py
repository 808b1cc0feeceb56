"""Checking a staged file: its 合计 control total, then every row against the contract.

Only the rejected rows are materialised (`_rejects`); the valid rows go straight from the
staging table into the warehouse, parsed a second time on the way, which costs less than
keeping a parsed copy of every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from retention.contract import NUMERIC_TYPES, Feed, normalise_header
from retention.ingest import rules
from retention.ingest.messages import loaded_before_message, row_message
from retention.ingest.naming import FileName
from retention.ingest.reading import TOTAL_MARK, FileRefused
from retention.pii import mask_ids_in_text
from retention.warehouse import one

# Plain trim() strips spaces at twice the speed of trim() with a character set.
TRIM = "trim({})"
TAIL = 1000  # rows searched from the end for the 合计 row before a full scan


@dataclass
class Staged:
    """A file staged as text cells in `_stage` (c0..cN and `_line`, the line a clerk sees)."""

    columns: dict[str, int]  # contract column name -> staging column index
    width: int
    header_line: int
    encoding: str
    ignored_headers: list[str] = field(default_factory=list)


def map_columns(feed: Feed, header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Contract column -> position in the file; unknown headers are reported, not fatal."""
    lookup = {}
    for column in feed.columns:
        lookup[normalise_header(column.header)] = column.name
        lookup[normalise_header(column.name)] = column.name
    mapping: dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(header):
        name = lookup.get(normalise_header(cell))
        if name and name not in mapping:
            mapping[name] = index
        elif cell.strip():  # reported back to the clerk: an ID typed in a header is masked
            ignored.append(mask_ids_in_text(cell.strip()))
    for column in feed.columns:
        if column.required and column.name not in mapping:
            raise FileRefused("missing_column", header=column.header, name=column.name)
    return mapping, ignored


def first_cell(staged: Staged) -> str:
    """The first non-empty cell of a staged row, NULL for a blank row."""
    cells = ", ".join(f"nullif({TRIM.format(f'c{i}')}, '')" for i in range(staged.width))
    return f"coalesce({cells})"


def control_total(con: duckdb.DuckDBPyConnection, feed: Feed, staged: Staged) -> int | None:
    """The staged row of a last 合计 row, once the totals it gives match all the data rows
    as delivered (before any is rejected)."""
    rows = one(con, "select count(*) from _stage")[0]
    last_sql = (
        f"select rowid, {first_cell(staged)} as first from _stage "
        "where first is not null {tail} order by rowid desc limit 1"
    )
    last = one(con, last_sql.format(tail=f"and rowid >= {rows - TAIL}"))
    if last is None and rows > TAIL:
        last = one(con, last_sql.format(tail=""))
    if last is None or not last[1].startswith(TOTAL_MARK):
        return None
    numeric = [c for c in feed.columns if c.type in NUMERIC_TYPES and c.name in staged.columns]
    sums = []
    for column in numeric:
        cell = TRIM.format(f"c{staged.columns[column.name]}")
        number = f"try_cast(replace(replace({cell}, ',', ''), '，', '') as decimal(38, 4))"
        sums += [
            f"max({number}) filter (where rowid = $total)",
            f"coalesce(sum({number}) filter (where rowid <> $total), 0)",
        ]
    found = one(con, f"select {', '.join(sums)} from _stage", {"total": last[0]}) if sums else ()
    for i, column in enumerate(numeric):
        total, actual = found[2 * i], found[2 * i + 1]
        if total is not None and total != actual:
            raise FileRefused(
                "control_total_mismatch",
                header=column.header,
                name=column.name,
                total=_plain(total),
                actual=_plain(actual),
            )
    return last[0]


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def check_counted_once(
    con: duckdb.DuckDBPyConnection, feed: Feed, name: FileName, sha: str
) -> None:
    """Refuse a file whose data the warehouse already counts (`duplicate_key`): a second
    baseline of the feed (a baseline for another quarter than the loaded one), or a snapshot
    with the very bytes of another quarter's loaded file. Called before the file is staged."""
    if name.is_baseline:
        loaded = one(
            con,
            "select file_name, quarter, version from ledger.submissions where feed = ? "
            "and is_baseline and status = 'loaded' and quarter <> ?",
            [feed.name, str(name.quarter)],
        )
        if loaded:
            file, quarter, version = loaded
            again = f"{feed.name}_baseline_{quarter}_v{version + 1}.{name.extension}"
            raise FileRefused(
                "duplicate_key",
                detail_zh=f"本数据项的历史数据（基线）已由 {file}（截至 {quarter}）入库，"
                "基线只报送一次。",
                detail_en=f"The feed's history (its baseline) was already loaded from {file} "
                f"(up to {quarter}); a baseline is sent once.",
                fix_zh=f"如需更正基线，请报送 {again}；{quarter} 以后的数据请按季度文件报送。",
                fix_en=f"To correct the baseline, send {again}; send the quarters after "
                f"{quarter} as quarterly files.",
            )
    if feed.kind == "snapshot":
        # Superseded files count too: an old version sent again is no newer a state.
        same = one(
            con,
            "select file_name, quarter from ledger.submissions where feed = ? "
            "and file_sha256 = ? and quarter <> ? and status in ('loaded', 'superseded') "
            "order by quarter limit 1",
            [feed.name, sha, str(name.quarter)],
        )
        if same:
            file, quarter = same
            raise FileRefused(
                "duplicate_key",
                detail_zh=f"内容与已入库的 {file}（{quarter}）完全相同，"
                f"看起来是把 {quarter} 的文件再次报送。",
                detail_en=f"The bytes are those of the loaded {file} ({quarter}): it looks like "
                f"{quarter}'s file sent again.",
                fix_zh=f"请报送截至 {name.quarter} 季度末的{feed.title}。",
                fix_en=f"Send {feed.name} as it stands at the end of {name.quarter}.",
            )


def parsed_rows_sql(feed: Feed, staged: Staged, total_row: int | None) -> str:
    """CTEs `cells` (trimmed text) and `parsed` (cells plus typed p_ values) of data rows."""
    cells = ", ".join(
        f"nullif({TRIM.format(f'c{staged.columns[c.name]}')}, '') as {rules.raw(c.name)}"
        if c.name in staged.columns
        else f"null::varchar as {rules.raw(c.name)}"
        for c in feed.columns
    )
    values = ", ".join(f'{rules.parsed(c)} as "p_{c.name}"' for c in feed.columns)
    not_total = f"and rowid <> {total_row}" if total_row is not None else ""
    return f"""cells as (
            select rowid as _row, _line, {cells} from _stage
            where {first_cell(staged)} is not null {not_total}
        ),
        parsed as (select *, {values} from cells)"""


def find_rejects(
    con: duckdb.DuckDBPyConnection, feed: Feed, staged: Staged, name: FileName, rows_sql: str
) -> int:
    """`_rejects`: each rejected row with its first broken rule; returns the data row count.

    A row whose key, counted once, was loaded from another file has `_earlier`, that file."""
    checks = [
        check
        for column in feed.columns
        for check in rules.column_checks(feed, column, name.quarter, name.is_baseline)
    ]
    cascade = " ".join(f"when {c.condition} then '{c.reason}|{c.column}'" for c in checks)
    # Most rows break no rule: one OR over every rule finds the few that do several times
    # faster than the CASE cascade, which then names the first broken rule of those few.
    broken = " or ".join(f"({c.condition})" for c in checks)
    key = ", ".join(f"upper({rules.raw(k)})" for k in feed.key)
    params = {}
    if feed.counted_once:  # DuckDB refuses parameters a statement does not use
        params = {"quarter": str(name.quarter), "baseline": name.is_baseline}
    # The first valid row with a key loads; the window sees only the key, not whole rows.
    con.execute(
        f"""create or replace temp table _rejects as
        with {rows_sql},
        checked as (
            select *, case when coalesce({broken}, false) then case {cascade} end end as _first
            from parsed
        ),
        {_flagged_sql(feed)},
        repeated as (
            select _row from (
                select _row, row_number() over (partition by {key} order by _line) as _rank
                from flagged where _first is null and _earlier is null
            ) where _rank > 1
        )
        select *, coalesce(_first, 'duplicate_key|{feed.key[0]}') as _reject from flagged
        where _first is not null or _earlier is not null
            or _row in (select _row from repeated)""",
        params,
    )
    return one(con, f"with {rows_sql} select count(*) from cells")[0]


def _flagged_sql(feed: Feed) -> str:
    """CTE `flagged`: the checked rows, and for a valid row whose key is counted once and was
    already loaded from another file of the feed (another quarter, a baseline), `_earlier`
    names the file it was loaded from first. The rows of the feed and quarter that this file
    replaces (a new version) are not earlier. An anti-join on the key, set-wise."""
    if not feed.counted_once:
        return "flagged as (select *, null::varchar as _earlier from checked)"
    loaded_keys = ", ".join(f"upper(loaded.{k}) as k_{k}" for k in feed.key)
    in_file = " and ".join(
        f"upper(loaded.{k}) in (select upper({rules.raw(k)}) from cells)" for k in feed.key
    )
    same_key = " and ".join(f"upper(checked.{rules.raw(k)}) = earlier.k_{k}" for k in feed.key)
    return f"""earlier as (
            select {loaded_keys},
                arg_min(loaded.file_sha256, (loaded.quarter, not loaded.is_baseline)) as sha
            from raw.{feed.name} as loaded
            where {in_file}
                and not (loaded.quarter = $quarter and loaded.is_baseline = $baseline)
            group by all
        ),
        loaded_files as (
            select file_sha256 as sha, min(file_name) as file_name from ledger.submissions
            where status = 'loaded' group by all
        ),
        flagged as (
            select checked.*,
                case when _first is null then coalesce(loaded_files.file_name, earlier.sha) end
                    as _earlier
            from checked
            left join earlier on {same_key}
            left join loaded_files on loaded_files.sha = earlier.sha
        )"""


def record_rejects(
    con: duckdb.DuckDBPyConnection, feed: Feed, name: FileName, sha: str
) -> dict[str, int]:
    """Keep each rejected row's line, reason, column and what may be shown of its value."""
    counts = con.execute(
        "select split_part(_reject, '|', 1), count(*) from _rejects group by 1 order by 1"
    ).fetchall()
    if not counts:  # the usual case: skip planning the long CASE below
        return {}
    shown = " ".join(f"when '{c.name}' then {rules.shown_value(c)}" for c in feed.columns)
    messages = " ".join(
        f"when '{reason}|{c.name}' then {rules.quote(row_message(reason, c.header, c.name))}"
        for c in feed.columns
        for reason in sorted(
            {ch.reason for ch in rules.column_checks(feed, c, name.quarter, name.is_baseline)}
            | {"duplicate_key"}
        )
    )
    key = feed.column(feed.key[0])
    loaded_before = rules.quote(loaded_before_message(key.header, key.name))
    con.execute(
        f"""insert into ledger.rejected_rows
        select $sha, $feed, $quarter, $version, $baseline, _line,
            split_part(_reject, '|', 1), split_part(_reject, '|', 2),
            case split_part(_reject, '|', 2) {shown} end,
            case when _earlier is not null then replace({loaded_before}, '{{file}}', _earlier)
                else case _reject {messages} end end
        from _rejects""",
        {
            "sha": sha,
            "feed": feed.name,
            "quarter": str(name.quarter),
            "version": name.version,
            "baseline": name.is_baseline,
        },
    )
    return dict(counts)
