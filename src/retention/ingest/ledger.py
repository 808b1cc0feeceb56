"""The submission ledger: every delivered file, loaded or not, and every rejected row.

It lives in the warehouse (schema `ledger`) so that a file's rows and its ledger entry are
written in one transaction: a load either happened completely or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import duckdb

from retention.contract import LINEAGE_COLUMNS, Feed
from retention.gate.tables import RESULTS_DDL
from retention.orchestration.settings import TIMEZONE
from retention.warehouse import one

DDL = """
create schema if not exists raw;
create schema if not exists ledger;
create sequence if not exists ledger.submission_seq;
create table if not exists ledger.submissions (
    submission_id bigint default nextval('ledger.submission_seq'),
    ingested_at timestamp,
    department varchar,
    file_name varchar,
    landing_path varchar,
    feed varchar,
    quarter varchar,
    version integer,
    is_baseline boolean,
    file_sha256 varchar,
    size_bytes bigint,
    file_format varchar,
    encoding varchar,
    status varchar,
    reason varchar,
    message_zh varchar,
    message_en varchar,
    rows_loaded bigint,
    rows_rejected bigint,
    ignored_columns varchar[],
    archive_path varchar,
    quarantine_path varchar
);
-- Every line of a loaded file is accounted for (contract/feeds.md): lines_read = title +
-- header + blank + rows loaded + rows rejected + control total + line breaks inside cells.
alter table ledger.submissions add column if not exists lines_read bigint;
alter table ledger.submissions add column if not exists lines_title bigint;
alter table ledger.submissions add column if not exists lines_header bigint;
alter table ledger.submissions add column if not exists lines_blank bigint;
alter table ledger.submissions add column if not exists lines_total bigint;
alter table ledger.submissions add column if not exists lines_in_cells bigint;
alter table ledger.submissions add column if not exists ignored_sheets varchar[];
alter table ledger.submissions add column if not exists declared_on date;
alter table ledger.submissions add column if not exists seen_on date;
create table if not exists ledger.rejected_rows (
    file_sha256 varchar,
    feed varchar,
    quarter varchar,
    version integer,
    is_baseline boolean,
    line_number bigint,
    reason varchar,
    column_name varchar,
    value_shown varchar,
    message varchar
);
-- What counts as delivered, in one place (contract/feeds.md): one row per feed and quarter
-- that a regular file (not a baseline) delivered, loaded then or replaced since. The first
-- version is the delivery; its date is the 填报日期 of a title row, else the day the file was
-- first seen, else unknown (null): a first load of history nobody watched arrive. The
-- completeness check reads this view before any build; dbt's int_feed_deliveries reads it to
-- judge each delivery against the submission calendar.
create or replace view ledger.deliveries as
with delivered as (
    select
        department,
        feed,
        quarter,
        version,
        declared_on,
        seen_on,
        max(version) over (partition by feed, quarter) as latest_version,
        row_number() over (partition by feed, quarter order by version, submission_id) as nth
    from ledger.submissions
    where status in ('loaded', 'superseded') and not is_baseline
)
select
    department,
    feed,
    quarter,
    version as first_version,
    latest_version,
    coalesce(declared_on, seen_on) as delivered_on,
    case
        when declared_on is not null then 'declared'
        when seen_on is not null then 'first_seen'
        else 'unknown'
    end as delivered_on_from
from delivered
where nth = 1;
"""


@dataclass
class Entry:
    """One ledger row: what happened to one delivered file."""

    department: str
    file_name: str
    landing_path: str
    file_sha256: str
    size_bytes: int
    status: str
    feed: str | None = None
    quarter: str | None = None
    version: int | None = None
    is_baseline: bool | None = None
    file_format: str | None = None
    encoding: str | None = None
    reason: str | None = None
    message_zh: str | None = None
    message_en: str | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    archive_path: str | None = None
    quarantine_path: str | None = None
    lines_read: int | None = None
    lines_title: int | None = None
    lines_header: int | None = None
    lines_blank: int | None = None
    lines_total: int | None = None
    lines_in_cells: int | None = None
    ignored_sheets: list[str] = field(default_factory=list)
    declared_on: str | None = None  # the 填报日期 a title row states
    seen_on: dt.date | None = None  # the day the file was first seen (None: nobody watched)


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL + RESULTS_DDL)


def ensure_feed_table(con: duckdb.DuckDBPyConnection, feed: Feed) -> None:
    """raw.<feed> with the contract's stored columns; columns added to the contract later are
    added to the table, so a contract change needs no migration script."""
    wanted = feed.stored_columns() + LINEAGE_COLUMNS
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in wanted)
    con.execute(f"create table if not exists raw.{feed.name} ({columns})")
    have = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = ?",
            [feed.name],
        ).fetchall()
    }
    for name, sql_type in wanted:
        if name not in have:
            con.execute(f"alter table raw.{feed.name} add column {name} {sql_type}")


def record(con: duckdb.DuckDBPyConnection, entry: Entry) -> None:
    values = dict(entry.__dict__, ingested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    names = ", ".join(values)
    con.execute(
        f"insert into ledger.submissions ({names}) values ({', '.join('?' * len(values))})",
        list(values.values()),
    )


def watched_departments(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Departments whose folder an earlier run has read: a file of theirs found now arrived
    since, and the day it is first seen is its delivery date. A department's first run (the
    warehouse's first load, a restore into a new state) finds history whose delivery nobody
    recorded."""
    rows = con.execute("select distinct department from ledger.submissions").fetchall()
    return frozenset(department for (department,) in rows)


def today() -> dt.date:
    """Today in Cixi, where the submission deadlines fall."""
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


def seen_before(con: duckdb.DuckDBPyConnection, landing_path: str, sha256: str) -> bool:
    """This very file (path and bytes) was handled by an earlier run."""
    sql = "select 1 from ledger.submissions where landing_path = ? and file_sha256 = ? limit 1"
    return one(con, sql, [landing_path, sha256]) is not None


def loaded_version(
    con: duckdb.DuckDBPyConnection, feed: str, quarter: str, is_baseline: bool
) -> tuple[int, str, str] | None:
    """(version, sha256, file name) of the feed and quarter's loaded submission, if any."""
    return one(
        con,
        "select version, file_sha256, file_name from ledger.submissions where feed = ? "
        "and quarter = ? and is_baseline = ? and status = 'loaded'",
        [feed, quarter, is_baseline],
    )
