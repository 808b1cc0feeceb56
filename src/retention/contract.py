"""The department data contract, read from contract/feeds.yaml into typed objects.

Everything that depends on a feed's columns (the loader, the dbt sources, the raw checks) asks
this module, so a feed is declared once.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from retention.paths import CONTRACT_FILE, REFERENCE_DIR

TYPES = {"text", "id", "uscc", "date", "int", "yuan", "decimal", "bool", "enum"}
NUMERIC_TYPES = {"int", "yuan", "decimal"}

# Warehouse types of the stored columns.
SQL_TYPES = {
    "text": "VARCHAR",
    "uscc": "VARCHAR",
    "date": "DATE",
    "int": "BIGINT",
    "yuan": "DECIMAL(18,2)",
    "decimal": "DECIMAL(18,4)",
    "bool": "BOOLEAN",
    "enum": "VARCHAR",
}


class ContractError(ValueError):
    """The contract file itself is inconsistent."""


@dataclass(frozen=True)
class Column:
    header: str
    name: str
    type: str
    required: bool = False
    key: bool = False
    values: tuple[str, ...] = ()
    personal: bool = False
    personal_when: dict[str, str] = field(default_factory=dict)
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    le_column: str | None = None
    ge_column: str | None = None
    not_after: str | None = None
    required_when: dict[str, str] = field(default_factory=dict)
    required_unless: dict[str, str] = field(default_factory=dict)
    type_by: dict[str, Any] = field(default_factory=dict)

    @property
    def kinds(self) -> set[str]:
        """The value types this column can hold (two when the type depends on another column)."""
        return set(self.type_by["map"].values()) if self.type_by else {self.type}

    @property
    def stem(self) -> str:
        """`x_id_number` -> `x`, `beneficiary_id` -> `beneficiary`, `id_number` -> ''."""
        for suffix in ("id_number", "id"):
            if self.name == suffix:
                return ""
            if self.name.endswith("_" + suffix):
                return self.name[: -len(suffix) - 1]
        return self.name

    def stored_columns(self) -> list[tuple[str, str]]:
        """(name, SQL type) of what the warehouse keeps of this column.

        A resident ID is never stored in clear: it becomes a keyed hash and a masked form.
        """
        if self.personal:
            return []
        prefix = f"{self.stem}_" if self.stem else ""
        out: list[tuple[str, str]] = []
        if "id" in self.kinds:
            out += [(f"{prefix}person_key", "VARCHAR"), (f"{prefix}id_masked", "VARCHAR")]
        if self.type_by and "uscc" in self.kinds:
            out.append((f"{prefix}uscc", "VARCHAR"))
        elif self.type != "id":
            out.append((self.name, SQL_TYPES[self.type]))
        if "uscc" in self.kinds:
            # A wrong check character only flags the row: some early codes fail it.
            uscc_name = f"{prefix}uscc" if self.type_by else self.name
            out.append((f"{uscc_name}_check_ok", "BOOLEAN"))
        return out


@dataclass(frozen=True)
class Feed:
    name: str
    department: str
    title: str
    kind: str  # event | snapshot
    columns: tuple[Column, ...]
    event_date: str | None = None
    # once: the key names one event for good, counted once across all files of the feed;
    # per_quarter: unique within a quarter only (every snapshot; an event key that may recur).
    key_counted: str | None = None

    @property
    def counted_once(self) -> bool:
        return self.key_counted == "once"

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.columns if c.key]

    @property
    def stored_key(self) -> list[str]:
        """The key as stored: a resident ID key is its person_key."""
        return [self.column(name).stored_columns()[0][0] for name in self.key]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def stored_columns(self) -> list[tuple[str, str]]:
        return [sc for c in self.columns for sc in c.stored_columns()]


@dataclass(frozen=True)
class Contract:
    departments: dict[str, dict[str, str]]
    feeds: dict[str, Feed]
    # The reason codes of refused files and rejected rows; each has a clerk's message.
    file_reasons: tuple[str, ...] = ()
    row_reasons: tuple[str, ...] = ()

    def feeds_of(self, department: str) -> list[Feed]:
        return [f for f in self.feeds.values() if f.department == department]


# Lineage columns appended to every raw table.
LINEAGE_COLUMNS = [
    ("file_sha256", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("quarter", "VARCHAR"),
    ("version", "INTEGER"),
    ("is_baseline", "BOOLEAN"),
]

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "\u3000": " "})


def normalise_header(text: str) -> str:
    """Headers match whatever the spaces, full-width parentheses or letter case."""
    return re.sub(r"\s+", "", str(text).translate(_FULLWIDTH)).lower()


def reference_values(spec: str, reference_dir: Path) -> tuple[str, ...]:
    """`table.column` of a reference CSV (seeds/reference), distinct, in file order."""
    table, _, column = spec.partition(".")
    path = reference_dir / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or column not in rows[0]:
        raise ContractError(f"{path}: no column {column!r} for values_from {spec!r}")
    return tuple(dict.fromkeys(r[column].strip() for r in rows if r[column].strip()))


def _column(raw: dict[str, Any], feed: str, reference_dir: Path) -> Column:
    raw = dict(raw)
    if raw.get("type") not in TYPES:
        raise ContractError(f"{feed}.{raw.get('name')}: unknown type {raw.get('type')!r}")
    if "values_from" in raw:
        raw["values"] = reference_values(raw.pop("values_from"), reference_dir)
    raw["values"] = tuple(str(v) for v in raw.get("values", ()))
    if raw["type"] == "enum" and not raw["values"]:
        raise ContractError(f"{feed}.{raw['name']}: an enum needs values")
    return Column(**raw)


def parse_contract(data: dict[str, Any], reference_dir: Path = REFERENCE_DIR) -> Contract:
    feeds = {}
    for name, spec in data["feeds"].items():
        spec = dict(spec)
        if spec["department"] not in data["departments"]:
            raise ContractError(f"{name}: unknown department {spec['department']!r}")
        columns = tuple(_column(c, name, reference_dir) for c in spec.pop("columns"))
        # The contract's rule: an event feed's key is counted once unless it says it recurs.
        default_counted = "once" if spec.get("kind") == "event" else "per_quarter"
        spec.setdefault("key_counted", default_counted)
        feed = Feed(name=name, columns=columns, **spec)
        if feed.kind not in {"event", "snapshot"}:
            raise ContractError(f"{name}: kind must be event or snapshot")
        if not feed.key:
            raise ContractError(f"{name}: no key column")
        if feed.kind == "event" and feed.event_date not in {c.name for c in columns}:
            raise ContractError(f"{name}: an event feed names its event_date column")
        if feed.key_counted not in {"once", "per_quarter"}:
            raise ContractError(f"{name}: key_counted must be once or per_quarter")
        if feed.counted_once and feed.kind != "event":
            raise ContractError(f"{name}: a snapshot's key recurs every quarter")
        if feed.counted_once and any("id" in feed.column(k).kinds for k in feed.key):
            # Keys loaded earlier are compared as stored: a resident ID is stored hashed.
            raise ContractError(f"{name}: a key counted once cannot be a resident ID")
        feeds[name] = feed
    reasons = data.get("reasons", {})
    return Contract(
        departments=data["departments"],
        feeds=feeds,
        file_reasons=tuple(reasons.get("file", ())),
        row_reasons=tuple(reasons.get("row", ())),
    )


def load_contract(path: Path = CONTRACT_FILE, reference_dir: Path = REFERENCE_DIR) -> Contract:
    with path.open(encoding="utf-8") as fh:
        return parse_contract(yaml.safe_load(fh), reference_dir)


@cache
def default_contract() -> Contract:
    return load_contract()
