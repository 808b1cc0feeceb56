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
import io
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
    """A file staged as text cells, with what was learnt about its layout."""

    columns: dict[str, int]  # contract column name -> staging column index
    width: int
    header_line: int
    encoding: str
    ignored_headers: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _utf8_copy(path: Path, tmp_dir: Path) -> tuple[Path, str, bool]:
    """A UTF-8 file DuckDB can read, the detected encoding, and whether any line is empty.

    UTF-8 files are only validated (one pass, no copy); GB18030 files are transcoded.
    """
    with path.open("rb") as fh:
        bom = fh.read(3) == codecs.BOM_UTF8
    encoding = "utf-8-sig" if bom else "utf-8"
    try:
        return path, encoding, _scan(path, encoding, None)
    except UnicodeDecodeError:
        pass
    target = tmp_dir / f"{path.name}.utf8"
    try:
        with target.open("wb") as out:
            return target, "gb18030", _scan(path, "gb18030", out)
    except UnicodeDecodeError as exc:
        target.unlink(missing_ok=True)
        raise FileRefused(
            "unreadable",
            detail_zh=f"文件编码既不是 UTF-8 也不是 GB18030/GBK（第 {exc.start} 字节附近）",
            detail_en=f"the text is neither UTF-8 nor GB18030/GBK (near byte {exc.start})",
        ) from exc


def _scan(path: Path, encoding: str, out: io.BufferedWriter | None) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    has_blank, tail = False, b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            data = text.encode("utf-8") if out is not None else chunk
            if out is not None:
                out.write(data)
            window = tail + data
            has_blank = has_blank or b"\n\n" in window or b"\n\r\n" in window
            tail = window[-2:]
            if not chunk:
                return has_blank


def _blank_line_numbers(path: Path) -> list[int]:
    """1-based numbers of empty lines, which DuckDB's reader skips without counting."""
    data = path.read_bytes()
    numbers, line, pos = [], 1, 0
    for match in re.finditer(rb"\n(?=\r?\n)", data):
        line += data.count(b"\n", pos, match.end())
        pos = match.end()
        numbers.append(line)
    return numbers


def _head_rows(path: Path, encoding: str, limit: int = 64) -> list[tuple[int, list[str]]]:
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
    source, encoding, has_blank = _utf8_copy(path, tmp_dir)
    try:
        rows = _head_rows(source, "utf-8-sig")
        header_line, header = find_header(feed, rows)
        mapping, ignored = map_columns(feed, header)
        width = len(header)
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
        con.execute(
            f"""create or replace temp table _csv as select * from read_csv(
                ?, header = false, skip = ?, auto_detect = false, columns = {{{columns}}},
                delim = ',', quote = '"', escape = '"', null_padding = true,
                strict_mode = false, encoding = 'utf-8')""",
            [str(source), header_line],
        )
        # DuckDB skips empty lines: each one after the header shifts later line numbers by one.
        breaks = []
        if has_blank:
            blanks = [b for b in _blank_line_numbers(source) if b > header_line]
            breaks = [b - header_line - 1 - i for i, b in enumerate(blanks)]
        shift = "len(list_filter($breaks, lambda b: b <= rowid))" if breaks else "0"
        con.execute(
            f"create or replace temp table _stage as select *, "
            f"{header_line + 1} + rowid + {shift} as _line from _csv",
            {"breaks": breaks} if breaks else None,
        )
        con.execute("drop table _csv")
    except duckdb.InvalidInputException as exc:  # what the CSV reader raises on bad input
        raise FileRefused(
            "unreadable",
            detail_zh=f"CSV 格式有误（{str(exc).splitlines()[0][:200]}）",
            detail_en=f"malformed CSV ({str(exc).splitlines()[0][:200]})",
        ) from exc
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    return Staged(mapping, width, header_line, encoding.replace("-sig", " with BOM"), ignored)


def stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, feed: Feed) -> Staged:
    import fastexcel
    import numpy as np
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
    lines = np.arange(header_line + 1, table.num_rows + 1, dtype=np.int64)
    body = body.append_column("_line", pa.array(lines))
    con.register("_xlsx", body)
    try:
        con.execute("create or replace temp table _stage as select * from _xlsx")
    finally:
        con.unregister("_xlsx")
    return Staged(mapping, table.num_columns, header_line, "xlsx", ignored)
