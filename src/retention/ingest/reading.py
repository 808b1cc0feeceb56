"""Reading a delivered file's untrusted bytes into a table of text cells.

This runs inside the sandbox's child process (`sandbox.py`), under its limits, never in the
process that holds the warehouse. It finds the header below any title rows and returns the
cells as Arrow (columns c0..cN of text and `_line`, the line or worksheet row a clerk sees),
with an account of every line of the file. CSV is read by DuckDB's own reader, and by Python's
csv module when a quoted cell holds a line break (DuckDB cannot then say on which line a row
starts); GB18030 is transcoded to UTF-8 first into an unnamed file that vanishes with the
process, since DuckDB has no GB18030 decoder here. XLSX is read by fastexcel (calamine), after
the workbook's own description of its sheets has been checked against the limits.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from retention.contract import normalise_header

CHUNK = 16 << 20
HEADER_SEARCH_ROWS = 6  # the header is among the first six non-empty rows
TOTAL_MARK = "合计"
# A title row may carry the delivery date: 填报日期：2024年7月8日 (or 报送日期, or 2024-07-08).
DECLARED = re.compile(
    r"(?:填报|报送)日期\s*[:：]?\s*(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})"
)


class FileRefused(Exception):
    """The file is refused whole; `reason` is a contract reason code."""

    def __init__(self, reason: str, **values: object):
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class Limits:
    """What an untrusted file may ask of the reader before it is refused."""

    extra_columns: int = 30  # beyond the contract's columns
    field_chars: int = 4000  # no contract value comes near this
    xlsx_cells: int = 50_000_000  # a worksheet's used range, rows x columns
    xlsx_unpacked_bytes: int = 4 << 30  # the workbook's parts, uncompressed


@dataclass(frozen=True)
class Spec:
    """What the reader needs of a feed: its columns' headers and names, and which hold IDs
    or credit codes (such a cell typed as a number has lost digits)."""

    columns: list[tuple[str, str]]  # (Chinese header, English name)
    textual: list[str]  # names of the ID and credit-code columns

    def lookup(self) -> dict[str, str]:
        names = {}
        for header, name in self.columns:
            names[normalise_header(header)] = name
            names[normalise_header(name)] = name
        return names


@dataclass
class Parsed:
    """A file read: its layout and the account of its lines; the cells travel as Arrow."""

    encoding: str
    header_line: int
    header: list[str]
    width: int
    lines_read: int = 0  # physical lines (CSV) or worksheet rows up to the last used one
    lines_title: int = 0
    lines_blank: int = 0  # blank lines not in the cells: above the header, or skipped
    lines_in_cells: int = 0  # line breaks inside quoted cells: a row may span lines
    ignored_sheets: list[str] = field(default_factory=list)
    declared_on: str | None = None  # the 填报日期 of a title row, ISO

    def as_dict(self) -> dict:
        return asdict(self)


def find_header(spec: Spec, rows: list[tuple[int, list]]) -> tuple[int, list[str]]:
    """The first of the first six non-empty rows naming at least two of the feed's columns."""
    names = spec.lookup()
    non_empty = [(n, r) for n, r in rows if any(str(c or "").strip() for c in r)]
    for number, cells in non_empty[:HEADER_SEARCH_ROWS]:
        hits = {names.get(normalise_header(c)) for c in cells if c is not None} - {None}
        if len(hits) >= 2:
            cells = ["" if c is None else str(c) for c in cells]
            while cells and not cells[-1].strip():  # Excel's trailing empty columns
                cells.pop()
            return number, cells
    example = "、".join(h for h, _ in spec.columns[:3])
    raise FileRefused("no_header", example=example)


def _title_facts(rows: list[tuple[int, list]], header_line: int) -> tuple[int, int, str | None]:
    """(title lines, blank lines) above the header, and the declared delivery date."""
    above = [cells for n, cells in rows if n < header_line]
    titles = [c for c in above if any(str(x or "").strip() for x in c)]
    declared = None
    for cells in titles:
        for cell in cells:
            if match := DECLARED.search(str(cell or "")):
                declared = _calendar_date(*(int(g) for g in match.groups())) or declared
    return len(titles), len(above) - len(titles), declared


def _calendar_date(year: int, month: int, day: int) -> str | None:
    """The date ISO-formatted, or None for a slip such as 2024年2月30日: a title row is not
    data, so an impossible 填报日期 is passed over (the day the file is first seen stands) rather
    than refusing the file."""
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _check_width(spec: Spec, header: list[str], limits: Limits) -> None:
    allowed = len(spec.columns) + limits.extra_columns
    if len(header) > allowed:
        raise FileRefused(
            "unreadable",
            detail_zh=f"表头有 {len(header)} 列，本数据项约定 {len(spec.columns)} 列，"
            f"最多可多出 {limits.extra_columns} 列；请删除多余的列",
            detail_en=f"the header row has {len(header)} columns where the feed has "
            f"{len(spec.columns)} and at most {limits.extra_columns} more are accepted; "
            "delete the extra columns",
        )


def _field_too_long(line: int, column: str, chars: int, limits: Limits) -> FileRefused:
    return FileRefused(
        "unreadable",
        detail_zh=f"第 {line} 行“{column}”列有 {chars} 个字符，超过上限 {limits.field_chars}",
        detail_en=f"line {line}, column “{column}” holds {chars} characters, more than the "
        f"{limits.field_chars} accepted",
    )


# --- CSV ---------------------------------------------------------------------------------


def _decode(path: Path, tmp_dir: Path) -> tuple[bytes, str, Path, object]:
    """The file's text as UTF-8 bytes, the encoding found, a path DuckDB can read and the
    open unnamed file behind that path, if any (it lives as long as the caller holds it)."""
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8 with BOM", data[len(codecs.BOM_UTF8) :]
    else:
        encoding = "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data = data.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRefused(
                "unreadable",
                detail_zh="文件编码既不是 UTF-8 也不是 GB18030/GBK",
                detail_en="the text is neither UTF-8 nor GB18030/GBK",
            ) from exc
        encoding = "gb18030"
    if encoding == "utf-8":
        return data, encoding, path, None
    # An unnamed file in the state's tmp folder: nothing of it outlives this process.
    unnamed = tempfile.TemporaryFile(dir=tmp_dir)  # noqa: SIM115 - the caller holds it
    unnamed.write(data)
    unnamed.flush()
    return data, encoding, Path(f"/proc/{os.getpid()}/fd/{unnamed.fileno()}"), unnamed


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_csv_bytes(data: bytes) -> None:
    """Refuse what DuckDB's reader would read wrongly without a word."""
    if (lone := re.search(rb"\r(?!\n)", data)) is not None:
        line = _line_of(data, lone.start())
        raise FileRefused(
            "unreadable",
            detail_zh=f"第 {line} 行的单元格中有单独的回车符（CR），会使一行被拆成两行；"
            "请删除该字符",
            detail_en=f"line {line} holds a lone carriage return (CR) inside a cell, which "
            "would split the row in two; remove it",
        )
    if data.count(b'"') % 2:
        line = _open_quote_line(data)
        raise FileRefused(
            "unreadable",
            detail_zh=f'第 {line} 行起的引号（"）没有闭合，文件可能不完整',
            detail_en=f'a quote (") opened on line {line} is never closed: the file may be '
            "cut short",
        )


def _open_quote_line(data: bytes) -> int:
    """The line on which the record with the unclosed quote starts."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True)
    csv.field_size_limit(len(data) + 1)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error:
        pass
    return start


def _check_last_line(data: bytes, width: int) -> None:
    """A last line without its line break and short of cells was cut off in transfer."""
    if not data or data.endswith(b"\n"):
        return
    last = data[data.rfind(b"\n") + 1 :].decode("utf-8")
    cells = next(csv.reader([last]), [])
    if len(cells) < width and not (cells and cells[0].strip().startswith(TOTAL_MARK)):
        line = _line_of(data, len(data))
        raise FileRefused(
            "unreadable",
            detail_zh=f"最后一行（第 {line} 行）不完整，文件可能在传输中被截断；请重新导出后报送",
            detail_en=f"the last line ({line}) is incomplete: the file was probably cut off "
            "in transfer; export it again and send it",
        )


def connect():
    """DuckDB for one CSV, its first query's costs paid (the sandbox does this in a child
    before that child's file arrives)."""
    import duckdb
    import pyarrow.compute as pc

    con = duckdb.connect()
    con.execute("set threads = 1; set memory_limit = '1GB'; set enable_progress_bar = false")
    warm = "select * from read_csv('/dev/null', header = false, columns = {'c0': 'VARCHAR'})"
    pc.utf8_length(con.sql(warm).to_arrow_table().column("c0"))
    return con


def read_csv(path: Path, spec: Spec, tmp_dir: Path, limits: Limits, con):
    import duckdb

    data, encoding, source, _unnamed = _decode(path, tmp_dir)
    _check_csv_bytes(data)
    # Lines end at LF alone, as for DuckDB (str.splitlines would also split at \u2028 etc.).
    head = [ln.removesuffix("\r") for ln in data[: 1 << 16].decode("utf-8", "replace").split("\n")]
    head = head[:64]
    rows = [(i + 1, next(csv.reader([line]), [])) for i, line in enumerate(head)]
    header_line, header = find_header(spec, rows)
    _check_width(spec, header, limits)
    _check_last_line(data, len(header))
    titles, blanks_above, declared = _title_facts(rows, header_line)
    parsed = Parsed(encoding, header_line, header, len(header), declared_on=declared)
    parsed.lines_read = data.count(b"\n") + (not data.endswith(b"\n") and bool(data))
    parsed.lines_title = titles
    try:
        _duckdb_stage(con, source, len(header), header_line)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0][:200]
        raise FileRefused(
            "unreadable", detail_zh=f"CSV 格式有误（{first}）", detail_en=f"malformed CSV ({first})"
        ) from exc
    cells = [f"coalesce(c{i}, '')" for i in range(len(header))]
    in_cells = 0
    if b'"' in data:  # only a quoted cell can hold a line break
        breaks = " + ".join(f"(length({c}) - length(replace({c}, chr(10), '')))" for c in cells)
        in_cells = con.execute(f"select coalesce(sum({breaks}), 0) from _stage").fetchall()[0][0]
    if in_cells:
        table, blanks_below = _python_rows(data, header_line, len(header))
        parsed.lines_in_cells = in_cells
    else:
        blank = [b for b in _blank_line_numbers(data) if b > header_line]
        shift = [b - header_line - 1 - i for i, b in enumerate(blank)]
        line = f"{header_line + 1} + rowid + len(list_filter($shift, lambda b: b <= rowid))"
        sql = f"select *, ({line})::bigint as _line from _stage"
        table = con.sql(sql, params={"shift": shift}).to_arrow_table()
        blanks_below = len(blank)
    _check_field_lengths(table, header, limits)
    parsed.lines_blank = blanks_above + blanks_below
    return parsed, table


def _duckdb_stage(con, source: Path, width: int, header_line: int) -> None:
    import duckdb

    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))

    def stage(parallel: bool) -> None:
        con.execute(
            f"""create or replace table _stage as select * from read_csv(
            ?, header = false, skip = ?, auto_detect = false, columns = {{{columns}}},
            delim = ',', quote = '"', escape = '"', null_padding = true, strict_mode = false,
            encoding = 'utf-8', max_line_size = 16777216, parallel = {parallel})""",
            [str(source), header_line],
        )

    try:
        stage(parallel=True)
    except duckdb.Error:
        # DuckDB's parallel scanner cannot pad short rows once a cell holds a line break;
        # the single-threaded one can, and says what is wrong with a file that is truly bad.
        stage(parallel=False)


def _blank_line_numbers(data: bytes) -> list[int]:
    """1-based numbers of empty lines, which DuckDB's CSV reader skips without counting."""
    if b"\n\n" not in data and b"\n\r\n" not in data:  # the usual case: none
        return []
    numbers, line, pos = [], 1, 0
    for match in re.finditer(rb"\n(?=\r?\n)", data):
        line += data.count(b"\n", pos, match.end())
        pos = match.end()
        numbers.append(line)
    return numbers


def _python_rows(data: bytes, header_line: int, width: int):
    """Rows and their first lines by Python's csv module, for files with multi-line cells.
    Over-long cells are left to _check_field_lengths, which names their column."""
    import pyarrow as pa

    csv.field_size_limit(len(data) + 1)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True)
    columns: list[list] = [[] for _ in range(width)]
    lines, blanks, start = [], 0, 1
    try:
        for cells in reader:
            if start > header_line:
                blanks += not cells  # an empty line; a line of commas is a row of empty cells
                if cells:
                    _check_swallowed(cells, start, width)
                    cells = (cells + [None] * width)[:width]
                    for i, value in enumerate(cells):
                        columns[i].append(value)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileRefused(
            "unreadable",
            detail_zh=f"第 {start} 行 CSV 格式有误（{exc}）",
            detail_en=f"malformed CSV on line {start} ({exc})",
        ) from exc
    arrays = {f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)}
    return pa.table({**arrays, "_line": pa.array(lines, pa.int64())}), blanks


def _check_swallowed(cells: list[str], line: int, width: int) -> None:
    """A quote opened by mistake and closed rows later makes one cell of whole rows: a line
    inside a cell with a row's worth of commas is that, not a line break typed in a cell."""
    for cell in cells:
        if "\n" in cell and any(part.count(",") >= width - 2 for part in cell.split("\n")[1:]):
            raise FileRefused(
                "unreadable",
                detail_zh=f'第 {line} 行的引号（"）把后面的几行并进了一个单元格；请删除多余的引号',
                detail_en=f'a quote (") on line {line} swallows the following rows into one '
                "cell; remove the stray quote",
            )


def _check_field_lengths(table, header: list[str], limits: Limits) -> None:
    import pyarrow.compute as pc

    for i, name in enumerate(header):
        lengths = pc.utf8_length(table.column(f"c{i}"))
        longest = pc.max(lengths).as_py()
        if longest and longest > limits.field_chars:
            row = pc.index(lengths, longest).as_py()
            line = table.column("_line")[row].as_py()
            raise _field_too_long(line, name or f"#{i + 1}", longest, limits)


# --- XLSX --------------------------------------------------------------------------------

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')


@dataclass(frozen=True)
class Sheet:
    index: int
    name: str
    hidden: bool
    part: str  # its XML inside the zip


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _not_xlsx(exc: Exception) -> FileRefused:
    return FileRefused(
        "unreadable",
        detail_zh=f"不是有效的 Excel（.xlsx）文件（{type(exc).__name__}）",
        detail_en=f"not a valid Excel (.xlsx) workbook ({type(exc).__name__}: {exc})"[:300],
    )


def workbook_sheets(path: Path, limits: Limits) -> list[Sheet]:
    """The workbook's sheets in order, from its own parts, refused before any cell is read
    when a sheet's used range or the unpacked workbook exceed the limits."""
    try:
        with zipfile.ZipFile(path) as book:
            unpacked = sum(i.file_size for i in book.infolist())
            if unpacked > limits.xlsx_unpacked_bytes:
                raise FileRefused(
                    "unreadable",
                    detail_zh=f"工作簿解压后有 {unpacked >> 20} MB，超出上限",
                    detail_en=f"the workbook unpacks to {unpacked >> 20} MB, over the limit",
                )
            workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
            sheets = []
            for index, sheet in enumerate(workbook.findall("m:sheets/m:sheet", _NS)):
                name = sheet.get("name") or f"#{index + 1}"
                target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                _check_dimension(book, part, name, limits)
                hidden = sheet.get("state") in ("hidden", "veryHidden")
                sheets.append(Sheet(index, name, hidden, part))
            return sheets
    except FileRefused:
        raise
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise _not_xlsx(exc) from exc


def _check_dimension(book: zipfile.ZipFile, part: str, name: str, limits: Limits) -> None:
    try:
        with book.open(part) as fh:
            head = fh.read(4096)
    except KeyError:
        return
    match = _DIMENSION.search(head)
    if not match or not match.group(3):
        return
    last_column, last_row = match.group(3).decode(), match.group(4).decode()
    if _column_number(last_column) * int(last_row) > limits.xlsx_cells:
        used = f"A1:{last_column}{last_row}"
        raise FileRefused(
            "unreadable",
            detail_zh=f"工作表“{name}”的已用区域为 {used}，远大于数据；请删除数据以外的空行和空列"
            "（选中后右键“删除”）再保存",
            detail_en=f"sheet “{name}” claims a used range of {used}, far beyond the data; "
            "delete the empty rows and columns outside the table (select, right-click, Delete) "
            "and save again",
        )


def read_xlsx(path: Path, spec: Spec, limits: Limits):
    import fastexcel
    import pyarrow as pa
    import pyarrow.compute as pc

    sheets = workbook_sheets(path, limits)
    try:
        reader = fastexcel.read_excel(str(path))
        found, ignored, table = [], [], None
        for sheet in sheets:
            # Whole sheets: calamine parses all of a sheet even for its first rows.
            cells = reader.load_sheet(sheet.index, header_row=None, dtypes="string").to_arrow()
            try:
                found.append((sheet, *find_header(spec, _rows(cells.slice(0, 64)))))
            except FileRefused:
                ignored.append(sheet.name)
                continue
            table = pa.Table.from_batches([cells])
        if not found:
            raise FileRefused("no_header", example="、".join(h for h, _ in spec.columns[:3]))
        if len(found) > 1 or found[0][0].hidden:
            raise _multiple_sheets(found)
        sheet, header_line, header = found[0]
        _check_width(spec, header, limits)
        numeric = _numeric_cells(path, sheet.part, spec, header, header_line)
    except FileRefused:
        raise
    except Exception as exc:  # fastexcel raises its own hierarchy for every unreadable case
        raise _not_xlsx(exc) from exc
    rows = _rows(table.slice(0, 64))
    titles, blanks_above, declared = _title_facts(rows, header_line)
    width = len(header)
    # With skip_rows=0 fastexcel keeps leading empty rows, so index i is worksheet row i + 1.
    body = table.slice(header_line)
    columns = {}
    for i in range(width):
        column = body.column(i) if i < body.num_columns else pa.nulls(body.num_rows, pa.string())
        if i in numeric:  # a number where text is due: no longer the ID that was typed
            mask = pa.array([r in numeric[i] for r in range(body.num_rows)])
            marked = pc.binary_join_element_wise("数值:", column, "")
            column = pc.if_else(mask, marked, column)
        columns[f"c{i}"] = column
    lines = pa.array(range(header_line + 1, header_line + 1 + body.num_rows), pa.int64())
    out = pa.table({**columns, "_line": lines})
    _check_field_lengths(out, header, limits)
    parsed = Parsed("xlsx", header_line, header, width, declared_on=declared)
    parsed.lines_read = table.num_rows
    parsed.lines_title = titles
    parsed.lines_blank = blanks_above
    parsed.ignored_sheets = ignored
    return parsed, out


def _rows(table) -> list[tuple[int, list]]:
    data = table.to_pydict().values()
    return [(i + 1, list(r)) for i, r in enumerate(zip(*data, strict=True))]


def _multiple_sheets(found: list) -> FileRefused:
    names = "、".join(f"“{s.name}”{'（隐藏）' if s.hidden else ''}" for s, _, _ in found)
    names_en = ", ".join(f"“{s.name}”{' (hidden)' if s.hidden else ''}" for s, _, _ in found)
    return FileRefused("multiple_sheets", sheets=names, sheets_en=names_en)


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _matches(path: Path, part: str, pattern: re.Pattern):
    """The pattern's matches in a zip part, read in chunks: a sheet's XML can be ten times the
    workbook's size. A chunk is searched up to its last tag start; the rest carries over."""
    with zipfile.ZipFile(path) as book, book.open(part) as xml:
        carry = b""
        while chunk := xml.read(CHUNK):
            text = carry + chunk
            cut = text.rfind(b"<")
            yield from pattern.finditer(text, 0, cut)
            carry = text[cut:]
        yield from pattern.finditer(carry)


def _numeric_cells(path: Path, part: str, spec: Spec, header: list[str], header_line: int):
    """Rows (counted from below the header) of numeric cells in the ID and credit-code
    columns, from the sheet's XML: a cell without a text type (`t="s"`, `str`, `inlineStr`)
    holds a number, and calamine would hand it over as digits that look like text."""
    names = spec.lookup()
    wanted = {
        _column_letters(i): i
        for i, h in enumerate(header)
        if names.get(normalise_header(h)) in spec.textual
    }
    if not wanted:
        return {}
    letters = "|".join(wanted).encode()
    # A cell's reference attribute, the rest of its tag after it. Starting at the literal
    # ' r="' (as every writer separates attributes) is four times faster than at '<c'.
    cell = re.compile(rb' r="(' + letters + rb')(\d+)"([^>]*)>')
    found: dict[int, set[int]] = {}
    for match in _matches(path, part, cell):
        attributes = match.group(3)
        if re.search(rb'\bt="(?:s|str|inlineStr|e|b)"', attributes):
            continue
        if attributes.endswith(b"/"):  # an empty cell
            continue
        row = int(match.group(2)) - header_line - 1
        if row >= 0:
            found.setdefault(wanted[match.group(1).decode()], set()).add(row)
    return found
