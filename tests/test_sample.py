"""The bundled sample data and the deliberately broken files, as a user of them sees them."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import fastexcel
import numpy as np
import pytest

from retention.contract import Feed, default_contract, normalise_header
from retention.identifiers import (
    id_check_char,
    is_valid_id,
    is_valid_uscc,
    is_valid_uscc_format,
    uscc_check_char,
)
from retention.paths import SAMPLE_LANDING
from retention.sample import BrokenCase, generate, generate_broken
from retention.sample.writers import Style, _write_xlsx

# The reason codes of contract/feeds.md ("What happens to bad input").
FILE_CODES = {
    "unreadable",
    "no_header",
    "missing_column",
    "control_total_mismatch",
    "empty",
    "version_conflict",
    "multiple_sheets",
    "not_a_file",
    "no_valid_rows",
    "duplicate_key",  # a second baseline, a snapshot sent again as another quarter
}
ROW_CODES = {
    "bad_id_check",
    "bad_uscc_format",
    "bad_date",
    "bad_enum",
    "bad_number",
    "missing_value",
    "out_of_period",
    "duplicate_key",
}
NAME = re.compile(
    r"^(?P<feed>[a-z_]+?)_(?:baseline_)?(?P<year>\d{4})Q(?P<q>[1-4])(?:_v\d+)?"
    r"\.(?:csv|xlsx)$"
)


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(out)
    return out


# ---- identifiers -------------------------------------------------------------------------------


def test_resident_id_check_character_known_examples() -> None:
    # The example of GB 11643-1999 itself.
    assert id_check_char("11010519491231002") == "X"
    assert is_valid_id("11010519491231002X")
    assert is_valid_id("11010519491231002x")  # X is accepted in either case
    assert not is_valid_id("110105194912310021")  # wrong check character
    assert not is_valid_id("11010519491231002")  # 17 characters
    assert not is_valid_id("11010519490230002" + id_check_char("11010519490230002"))  # 30 Feb
    with pytest.raises(ValueError):
        id_check_char("1101051949123100")


def test_credit_code_check_character_known_examples() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert is_valid_uscc("91350100M000100Y43")
    assert not is_valid_uscc("91350100M000100Y44")  # wrong check character
    assert is_valid_uscc_format("91350100M000100Y44")  # ...but a well-formed code
    assert not is_valid_uscc_format("91350100M000100YI3")  # I is not in the alphabet
    assert not is_valid_uscc_format("91350100M000100Y4")  # 17 characters
    with pytest.raises(ValueError):
        uscc_check_char("91350100O000100Y4")


# ---- the bundled sample ------------------------------------------------------------------------


def test_generating_scale_1_reproduces_the_committed_sample_byte_for_byte(sample: Path) -> None:
    committed = _digests(SAMPLE_LANDING)
    assert committed, f"no bundled sample under {SAMPLE_LANDING}"
    generated = _digests(sample)
    assert sorted(generated) == sorted(committed)
    changed = [p for p in generated if generated[p] != committed[p]]
    assert not changed, f"files differ from seeds/sample: {changed[:5]}"


def test_sample_files_are_named_and_placed_by_the_contract(sample: Path) -> None:
    contract = default_contract()
    seen_feeds = set()
    for rel in _digests(sample):
        department, name = rel.split("/")
        match = NAME.match(name)
        assert match, rel
        feed = contract.feeds[match["feed"]]
        assert feed.department == department, rel
        seen_feeds.add(feed.name)
    assert seen_feeds == set(contract.feeds)
    # One realistic correction: a quarter delivered again as version 2.
    assert any("_v2." in rel for rel in _digests(sample))


def _cells(path: Path) -> list[list[str]]:
    if path.suffix == ".xlsx":
        sheet = fastexcel.read_excel(str(path)).load_sheet(
            0, header_row=None, skip_rows=0, dtypes="string"
        )
        columns = list(sheet.to_arrow().to_pydict().values())
        return [[c[i] or "" for c in columns] for i in range(len(columns[0]))]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return list(csv.reader(io.StringIO(text, newline="")))


def _data_rows(feed: Feed, cells: list[list[str]]) -> tuple[dict[str, int], list[list[str]]]:
    """Column positions and data rows: after the header row, without blanks and the 合计 row."""
    names = {}
    for c in feed.columns:
        names[normalise_header(c.header)] = c.name
        names[normalise_header(c.name)] = c.name
    rows = [r for r in cells if any(x.strip() for x in r)]
    for i, row in enumerate(rows[:6]):
        found = {names.get(normalise_header(x)): j for j, x in enumerate(row)}
        found.pop(None, None)
        if len(found) >= 2:
            body = rows[i + 1 :]
            if body and next(x for x in body[-1] if x.strip()).startswith("合计"):
                body = body[:-1]
            return found, body
    raise AssertionError("no header row")


def test_every_resident_id_and_credit_code_in_the_sample_is_valid(sample: Path) -> None:
    contract = default_contract()
    checked = {"id": 0, "uscc": 0}
    bad: list[str] = []
    for path in sorted(sample.rglob("*.*")):
        feed = contract.feeds[NAME.match(path.name)["feed"]]
        position, body = _data_rows(feed, _cells(path))
        for column in feed.columns:
            if column.name not in position:
                continue
            j = position[column.name]
            for row in body:
                value = row[j].strip()
                if not value:
                    continue
                kind = column.type
                if column.type_by:
                    by = column.type_by
                    kind = by["map"][row[position[by["column"]]].strip()]
                if kind not in checked:
                    continue
                checked[kind] += 1
                ok = is_valid_id(value) if kind == "id" else is_valid_uscc(value)
                if not ok:
                    bad.append(f"{path.name}: {column.header} {value}")
    assert not bad, bad[:10]
    assert checked["id"] > 50_000 and checked["uscc"] > 20_000


# ---- the broken files --------------------------------------------------------------------------


def test_generate_broken_covers_every_reason_code(tmp_path: Path) -> None:
    cases = generate_broken(tmp_path)
    assert all(isinstance(c, BrokenCase) for c in cases)
    assert {c.reason for c in cases} == FILE_CODES | ROW_CODES
    written = set(_digests(tmp_path))
    for case in cases:
        # a case is a file, or for not_a_file a folder holding one
        assert case.path in written or any(w.startswith(case.path + "/") for w in written)
        if case.status == "refused":  # duplicate_key refuses a file or rejects rows
            assert case.reason in FILE_CODES
            assert (case.rows_loaded, case.rows_rejected) == (0, 0)
        else:
            assert (case.status, case.reason in ROW_CODES) == ("loaded", True)
            assert case.rows_loaded > 0 and case.rows_rejected > 0
            assert len(case.rejected_lines) == case.rows_rejected
    conflict = next(c for c in cases if c.reason == "version_conflict")
    assert conflict.conflicts_with in written and conflict.conflicts_with != conflict.path
    # The first of the two same-version files, in the loader's order, is the one that stays.
    assert sorted([conflict.path, conflict.conflicts_with])[0] == conflict.conflicts_with


def test_broken_files_can_share_a_landing_folder_with_the_sample(
    sample: Path, tmp_path: Path
) -> None:
    cases = generate_broken(tmp_path)
    sample_slots = {
        (m["feed"], m["year"], m["q"])
        for m in (NAME.match(rel.split("/")[1]) for rel in _digests(sample))
    }
    for rel in _digests(tmp_path):
        m = NAME.match(rel.split("/")[-1])
        assert m, rel
        assert (m["feed"], m["year"], m["q"]) not in sample_slots, rel
    again = tmp_path / "again"
    assert generate_broken(again) == cases
    assert _digests(again) == {
        k: v for k, v in _digests(tmp_path).items() if not k.startswith("again/")
    }


def test_the_quick_xlsx_writer_writes_exactly_what_xlsxwriter_writes(tmp_path: Path) -> None:
    # Text xlsxwriter escapes or marks up (&, <, quotes, _xHHHH_, control characters, edge
    # spaces) beside plain text, numbers, dates and blanks.
    feed = default_contract().feeds["internship_base"]
    names = [
        "慈溪市A&B电器有限公司",
        " 前导空格",
        "尾随空格 ",
        "<标签>",
        "_x0041_公司",
        "控制\x01符",
        '引号"公司',
        "普通公司",
    ]
    n = len(names)
    rows = {
        "base_id": np.array([f"CXJX2023{i:03d}" for i in range(n)]),
        "org_name": np.array(names),
        "org_uscc": np.full(n, "91350100M000100Y43"),
        "base_type": np.full(n, "管理类"),
        "level": np.array(["县级", ""] * (n // 2)),
        "designated_on": np.full(n, np.datetime64("2023-03-24"), "datetime64[D]"),
        "revoked_on": np.array(["NaT", "2023-11-30"] * (n // 2), "datetime64[D]"),
        "review_result": np.full(n, "合格"),
        "positions": np.arange(n, dtype=np.int64),
        "trainees": np.arange(n, dtype=np.int64) * 2,
        "retained": np.arange(n, dtype=np.int64),
    }
    style = Style("xlsx", titles=("标题", "填报单位：测试"), total=True, serial=True)
    created = dt.datetime(2024, 1, 8, 9, 30)
    _write_xlsx(tmp_path / "quick.xlsx", feed, rows, style, created, fast=True)
    _write_xlsx(tmp_path / "stock.xlsx", feed, rows, style, created, fast=False)
    assert (tmp_path / "quick.xlsx").read_bytes() == (tmp_path / "stock.xlsx").read_bytes()


def test_the_loader_has_a_clerks_message_for_every_reason_code() -> None:
    from retention.ingest.messages import FILE_REASONS, ROW_REASONS

    assert set(FILE_REASONS) == FILE_CODES
    assert set(ROW_REASONS) == ROW_CODES
    contract = default_contract()
    assert (set(contract.file_reasons), set(contract.row_reasons)) == (FILE_CODES, ROW_CODES)
