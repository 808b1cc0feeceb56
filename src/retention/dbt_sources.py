"""dbt sources generated from the contract, so a feed's columns are declared only once.

`retention dbt-sources` writes dbt/models/staging/<department>/_<department>__sources.yml;
a test fails when the committed files differ from what the contract generates.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from retention.contract import LINEAGE_COLUMNS, Column, Contract, Feed

HEADER = "# Generated from contract/feeds.yaml by `retention dbt-sources`: edit the contract.\n"
LINEAGE = {
    "file_sha256": "SHA-256 of the delivered file the row came from (ledger.submissions)",
    "line_number": "line (CSV) or worksheet row (XLSX) of the row in that file",
    "quarter": "the quarter the file was delivered for",
    "version": "the submission version (a higher one replaced every row of its quarter)",
    "is_baseline": "true for rows of a baseline file carrying history",
}


def _describe(column: Column, stored: str) -> str:
    if stored.endswith("person_key"):
        return f"{column.header}: HMAC-SHA256 of the resident ID (the clear ID is never stored)"
    if stored.endswith("id_masked"):
        return f"{column.header}: masked for display, last two characters only"
    if stored.endswith("_check_ok"):
        return f"{column.header}: whether the credit code's check character is right"
    return column.header


def _table(feed: Feed) -> dict:
    columns = [
        {"name": name, "description": _describe(column, name)}
        for column in feed.columns
        for name, _ in column.stored_columns()
    ]
    columns += [{"name": name, "description": LINEAGE[name]} for name, _ in LINEAGE_COLUMNS]
    kind = f"event feed, dated by {feed.event_date}" if feed.kind == "event" else "snapshot feed"
    return {
        "name": feed.name,
        "description": f"{feed.title} ({kind})",
        "meta": {"title_zh": feed.title},  # the feed's name in the pack (int_feed_names)
        "columns": columns,
    }


def sources_files(contract: Contract) -> dict[str, str]:
    """Path inside dbt/ -> file text, one sources file per department."""
    files = {}
    for code, names in contract.departments.items():
        source = {
            "name": code,
            "description": f"{names['zh']} ({names['en']}): raw tables loaded by retention ingest",
            "schema": "raw",
            "meta": {"department_zh": names["zh"]},
            "tables": [_table(feed) for feed in contract.feeds_of(code)],
        }
        text = yaml.safe_dump(
            {"version": 2, "sources": [source]}, allow_unicode=True, sort_keys=False, width=100
        )
        files[f"models/staging/{code}/_{code}__sources.yml"] = HEADER + text
    return files


def write_sources(contract: Contract, dbt_dir: Path) -> list[Path]:
    written = []
    for relative, text in sources_files(contract).items():
        path = dbt_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
