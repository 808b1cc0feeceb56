"""The submission ledger: every delivered file, loaded or not, and every rejected row.

It lives in the warehouse (schema `ledger`) so that a file's rows and its ledger entry are
written in one transaction: a load either happened completely or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from retention.contract import LINEAGE_COLUMNS, Feed
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


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


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
