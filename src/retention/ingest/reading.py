"""Reading a delivered file into a DuckDB staging table of text cells.

CSV is read by DuckDB's own reader; GB18030 is transcoded to UTF-8 in streaming chunks first,
since DuckDB has no GB18030 decoder here. XLSX is read by fastexcel (calamine) straight into
Arrow. Either way the staging table `_stage` holds columns c0..cN of text and `_line`, the
line (CSV) or row (XLSX) number a clerk sees in the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from retention.contract import Feed, normalise_header

CHUNK = 4 << 20
HEADER_SEARCH_ROWS = 6  # the header is among the first six non-empty rows
TOTAL_MARK = "合计"


class FileRefused(Exception):
    """The file is refused whole; `reason` is a contract reason code."""

    def __init__(self, reason: str, **values: object):
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass
class Staged:
    """A file staged as text cells in `_stage`, with what was learnt about its layout."""

    columns: dict[str, int]  # contract column name -> staging column index
    width: int
    header_line: int
    encoding: str
    ignored_headers: list[str] = field(default_factory=list)
    # Staged row r stands on line header_line + 1 + r, plus one for each empty line above it
    # that DuckDB's CSV reader skipped: `breaks` holds the rows at which such a shift starts.
    breaks: list[int] = field(default_factory=list)

    def line_sql(self) -> str:
        shift = " + len(list_filter($breaks, lambda b: b <= rowid))" if self.breaks else ""
        return f"({self.header_line + 1} + rowid{shift})"

    def params(self) -> dict:
        return {"breaks": self.breaks} if self.breaks else {}


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _looks_utf8(path: Path) -> bool:
    """Whether the file's start decodes as UTF-8; DuckDB checks the rest while it reads."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _transcode_gb18030(path: Path, tmp_dir: Path) -> Path:
    """A UTF-8 copy for DuckDB, which has no GB18030 decoder here; streamed in chunks."""
    target = tmp_dir / f"{path.name}.utf8"
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        with path.open("rb") as source, target.open("wb") as out:
            while True:
                chunk = source.read(CHUNK)
                out.write(decoder.decode(chunk, final=not chunk).encode("utf-8"))
                if not chunk:
                    return target
    except UnicodeDecodeError as exc:
        target.unlink(missing_ok=True)
        raise FileRefused(
            "unreadable",
            detail_zh="文件编码既不是 UTF-8 也不是 GB18030/GBK",
            detail_en="the text is neither UTF-8 nor GB18030/GBK",
        ) from exc


def _blank_line_numbers(path: Path) -> list[int]:
    """1-based numbers of empty lines, which DuckDB's CSV reader skips without counting."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        if view.find(b"\n\n") < 0 and view.find(b"\n\r\n") < 0:  # the usual case: none
            return []
    data = path.read_bytes()
    numbers, line, pos = [], 1, 0
    for match in re.finditer(rb"\n(?=\r?\n)", data):
        line += data.count(b"\n", pos, match.end())
        pos = match.end()
        numbers.append(line)
    return numbers


def head_rows(path: Path, encoding: str, limit: int = 64) -> list[tuple[int, list[str]]]:
    """The first physical lines as (line number, cells) for header detection."""
    with path.open(encoding=encoding, newline="") as fh:
        lines = []
        for _ in range(limit):
            line = fh.readline()
            if not line:
                break
            lines.append(line)
    rows = []
    for number, line in enumerate(lines, start=1):
        cells = next(csv.reader([line]), [])
        rows.append((number, cells))
    return rows


def find_header(feed: Feed, rows: list[tuple[int, list]]) -> tuple[int, list[str]]:
    """The first of the first six non-empty rows naming at least two of the feed's columns."""
    names = {}
    for column in feed.columns:
        names[normalise_header(column.header)] = column.name
        names[normalise_header(column.name)] = column.name
    non_empty = [(n, r) for n, r in rows if any(str(c or "").strip() for c in r)]
    for number, cells in non_empty[:HEADER_SEARCH_ROWS]:
        hits = {names.get(normalise_header(c)) for c in cells if c is not None} - {None}
        if len(hits) >= 2:
            return number, ["" if c is None else str(c) for c in cells]
    example = "、".join(c.header for c in feed.columns[:3])
    raise FileRefused("no_header", example=example)


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
        elif cell.strip():
            ignored.append(cell.strip())
    for column in feed.columns:
        if column.required and column.name not in mapping:
            raise FileRefused("missing_column", header=column.header, name=column.name)
    return mapping, ignored


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed, tmp_dir: Path) -> Staged:
    with path.open("rb") as fh:
        encoding = "utf-8-sig" if fh.read(3) == codecs.BOM_UTF8 else "utf-8"
    if not _looks_utf8(path):
        encoding = "gb18030"
    source = _transcode_gb18030(path, tmp_dir) if encoding == "gb18030" else path
    try:
        header_line, header = find_header(feed, head_rows(source, "utf-8-sig"))
        mapping, ignored = map_columns(feed, header)
        try:
            _read_csv(con, source, len(header), header_line)
        except duckdb.InvalidInputException as exc:
            if source != path or "Invalid unicode" not in str(exc):
                raise
            # Valid UTF-8 at the start, GB18030 further on: what Excel sometimes writes.
            encoding, source = "gb18030", _transcode_gb18030(path, tmp_dir)
            _read_csv(con, source, len(header), header_line)
        blanks = [b for b in _blank_line_numbers(source) if b > header_line]
    except duckdb.InvalidInputException as exc:  # what the CSV reader raises on bad input
        first = str(exc).splitlines()[0][:200]
        raise FileRefused(
            "unreadable",
            detail_zh=f"CSV 格式有误（{first}）",
            detail_en=f"malformed CSV ({first})",
        ) from exc
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    breaks = [b - header_line - 1 - i for i, b in enumerate(blanks)]
    label = {"utf-8-sig": "utf-8 with BOM"}.get(encoding, encoding)
    return Staged(mapping, len(header), header_line, label, ignored, breaks)


def _read_csv(con: duckdb.DuckDBPyConnection, source: Path, width: int, header_line: int) -> None:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    con.execute(
        f"""create or replace temp table _stage as select * from read_csv(
            ?, header = false, skip = ?, auto_detect = false, columns = {{{columns}}},
            delim = ',', quote = '"', escape = '"', null_padding = true,
            strict_mode = false, encoding = 'utf-8')""",
        [str(source), header_line],
    )


def stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed) -> Staged:
    import fastexcel
    import pyarrow as pa

    try:
        sheet = fastexcel.read_excel(str(path)).load_sheet(
            0, header_row=None, skip_rows=0, dtypes="string", eager=True
        )
    except Exception as exc:  # fastexcel raises its own hierarchy for every unreadable case
        raise FileRefused(
            "unreadable",
            detail_zh=f"不是有效的 Excel（.xlsx）文件（{type(exc).__name__}）",
            detail_en=f"not a valid Excel (.xlsx) workbook ({type(exc).__name__}: {exc})"[:300],
        ) from exc
    table = pa.Table.from_batches([sheet])
    head = [
        (i + 1, r) for i, r in enumerate(zip(*table.slice(0, 64).to_pydict().values(), strict=True))
    ]
    header_line, header = find_header(feed, [(n, list(r)) for n, r in head])
    mapping, ignored = map_columns(feed, header)
    # With skip_rows=0 fastexcel keeps leading empty rows, so index i is worksheet row i + 1.
    body = table.slice(header_line).rename_columns([f"c{i}" for i in range(table.num_columns)])
    con.register("_xlsx", body)
    try:
        con.execute("create or replace temp table _stage as select * from _xlsx")
    finally:
        con.unregister("_xlsx")
    return Staged(mapping, table.num_columns, header_line, "xlsx", ignored)
