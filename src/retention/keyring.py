"""Which key the warehouse's person_keys were made with, so that no load mixes two keys.

Rows hashed under two keys never join: a graduate would count twice and every KPI that links
feeds would drift without any error. The warehouse keeps a fingerprint of its key (an HMAC of
a fixed label, from which the key cannot be recovered) from its first load on, and a load
under another key is refused before anything is written. Changing the key is `retention
rekey`, never a side effect of a changed environment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import duckdb

from retention.pii import KeyRefused
from retention.warehouse import one

_LABEL = b"cixi-retention key fingerprint v1"
DDL = """
create schema if not exists ledger;
create table if not exists ledger.key_fingerprint (fingerprint varchar, recorded_at timestamp);
"""


def fingerprint(key: bytes) -> str:
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()


def recorded(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse's key fingerprint, None before its first load."""
    exists = one(
        con,
        "select 1 from information_schema.tables "
        "where table_schema = 'ledger' and table_name = 'key_fingerprint'",
    )
    row = exists and one(con, "select fingerprint from ledger.key_fingerprint")
    return row[0] if row else None


def verify(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Refuse (KeyRefused) a key other than the one the warehouse was loaded under."""
    have = recorded(con)
    if have is not None and not hmac.compare_digest(have, fingerprint(key)):
        raise KeyRefused(
            f"密钥与数据仓库不符（仓库密钥指纹 {have[:12]}，当前密钥 {fingerprint(key)[:12]}），"
            "未做任何处理：请使用原密钥；如需更换密钥，请运行 retention rekey。 / The key is not "
            f"the warehouse's (its key fingerprint {have[:12]}, this key's "
            f"{fingerprint(key)[:12]}), nothing was done: set the key the warehouse was loaded "
            "under, or change keys deliberately with `retention rekey`."
        )


def check(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Before a load: refuse another key; a warehouse without one takes this key's."""
    verify(con, key)
    if recorded(con) is None:
        record(con, key)


def record(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Make `key` the warehouse's key (its first load, or a re-key)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(DDL)
    con.execute("delete from ledger.key_fingerprint")
    con.execute("insert into ledger.key_fingerprint values (?, ?)", [fingerprint(key), now])
