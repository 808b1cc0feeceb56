"""What a clerk's file may look like: encodings, Excel, title rows, headers, 合计 rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import INTAKE_HEADER, intake_row, query, write_csv, write_xlsx

from retention.contract import default_contract
from retention.ingest.loader import ingest

TITLE = ["2023年第四季度高校毕业生接收登记表", "填报单位：慈溪市人力资源和社会保障局"]
ROWS = [intake_row(n) for n in range(1, 6)]
LOADED = "select record_id, id_masked, degree, received_on, line_number from raw.graduate_intake"


def only(results: list) -> object:
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_each_csv_encoding_loads_the_same_rows(landing: Path, state: Path, encoding: str) -> None:
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS, encoding, TITLE)
    result = only(ingest(landing, state))
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 5, 0)
    rows = query(state, LOADED + " order by record_id")
    assert [r[0] for r in rows] == ["R00001", "R00002", "R00003", "R00004", "R00005"]
    assert {r[2] for r in rows} == {"本科"}
    # two title lines, then the header: the first data row is line 4
    assert rows[0][4] == 4


def test_xlsx_with_title_rows_date_cells_and_total(landing: Path, state: Path) -> None:
    total = ["合计"] + [""] * 12
    write_xlsx(
        landing / "hrss/graduate_intake_2023Q4.xlsx",
        INTAKE_HEADER,
        ROWS,
        title=TITLE,
        total=total,
        date_columns=(6, 12),
    )
    result = only(ingest(landing, state))
    assert (result.status, result.rows_loaded) == ("loaded", 5)
    first = query(state, LOADED + " order by line_number limit 1")[0]
    assert str(first[3]) == "2023-11-01"
    assert first[4] == 4  # worksheet row 4, below two title rows and the header


def test_unreadable_bytes_are_refused(landing: Path, state: Path) -> None:
    (landing / "hrss").mkdir()
    (landing / "hrss/graduate_intake_2023Q4.csv").write_bytes(bytes(range(128, 256)) * 40)
    (landing / "hrss/graduate_intake_2023Q3.xlsx").write_bytes(b"not a zip file")
    results = ingest(landing, state)
    assert [(r.status, r.reason) for r in results] == [("refused", "unreadable")] * 2


def test_english_headers_fullwidth_parentheses_and_extra_columns(
    landing: Path, state: Path
) -> None:
    feed = default_contract().feeds["subsidy_payment"]
    header = [c.name.upper() if i % 2 else f" {c.header} " for i, c in enumerate(feed.columns)]
    header[6] = "发放金额(元)"  # half-width parentheses for （元）
    header.append("备注")
    row = ["P1", "实践补贴", "个人", "330282199901010007", "", "", "1,200.50", "2023/10/9", "", "x"]
    write_csv(landing / "hrss/subsidy_payment_2023Q4.csv", header, [row])
    result = only(ingest(landing, state))
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    amount, paid_on, key = query(
        state, "select amount_yuan, paid_on, beneficiary_person_key from raw.subsidy_payment"
    )[0]
    assert (str(amount), str(paid_on), len(key)) == ("1200.50", "2023-10-09", 64)
    ignored = query(state, "select ignored_columns from ledger.submissions")[0][0]
    assert ignored == ["备注"]
    assert "备注" in result.message


def test_header_below_six_non_empty_rows_is_not_found(landing: Path, state: Path) -> None:
    title = [f"说明第{i}行" for i in range(6)]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS, title=title)
    result = only(ingest(landing, state))
    assert (result.status, result.reason) == ("refused", "no_header")
    assert "登记编号" in result.message and "header row" in result.message


def test_missing_required_column_is_named(landing: Path, state: Path) -> None:
    header = [h for h in INTAKE_HEADER if h != "学历"]
    rows = [[v for h, v in zip(INTAKE_HEADER, r, strict=True) if h != "学历"] for r in ROWS]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", header, rows)
    result = only(ingest(landing, state))
    assert (result.status, result.reason) == ("refused", "missing_column")
    assert "“学历”（degree）" in result.message and "“学历” (degree)" in result.message


def test_missing_optional_column_loads_as_null(landing: Path, state: Path) -> None:
    header = [h for h in INTAKE_HEADER if h != "专业"]
    rows = [[v for h, v in zip(INTAKE_HEADER, r, strict=True) if h != "专业"] for r in ROWS]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", header, rows)
    assert only(ingest(landing, state)).rows_loaded == 5
    assert query(state, "select count(major) from raw.graduate_intake") == [(0,)]


def base_rows(positions: list[int]) -> list[list]:
    return [
        [
            f"B{i}",
            f"单位{i}",
            "91350100M000100Y43",
            "管理类",
            "市级",
            "2020-01-01",
            "",
            "合格",
            p,
            1,
            1,
        ]
        for i, p in enumerate(positions)
    ]


BASE_HEADER = [c.header for c in default_contract().feeds["internship_base"].columns]


def test_control_total_that_adds_up_is_not_a_data_row(landing: Path, state: Path) -> None:
    total = ["合计", "", "", "", "", "", "", "", "1,510", "", ""]
    rows = base_rows([10, 500, 1000])
    write_csv(landing / "hrss/internship_base_2023Q4.csv", BASE_HEADER, rows, total=total)
    result = only(ingest(landing, state))
    assert (result.status, result.rows_loaded) == ("loaded", 3)


def test_control_total_mismatch_refuses_the_file(landing: Path, state: Path) -> None:
    total = ["合计", "", "", "", "", "", "", "", "1500", "", ""]
    rows = base_rows([10, 500, 1000])
    write_csv(landing / "hrss/internship_base_2023Q4.csv", BASE_HEADER, rows, total=total)
    result = only(ingest(landing, state))
    assert (result.status, result.reason) == ("refused", "control_total_mismatch")
    assert "1500" in result.message and "1510" in result.message and "见习岗位数" in result.message
    assert query(state, "select count(*) from raw.internship_base") == [(0,)]


def test_total_counts_rows_that_are_later_rejected(landing: Path, state: Path) -> None:
    rows = base_rows([10, 20])
    rows[1][3] = "未知类"  # bad_enum: rejected, yet delivered and part of the total
    total = ["合计", "", "", "", "", "", "", "", "30", "", ""]
    write_csv(landing / "hrss/internship_base_2023Q4.csv", BASE_HEADER, rows, total=total)
    result = only(ingest(landing, state))
    assert (result.status, result.rows_loaded, result.rejected_by_reason) == (
        "loaded",
        1,
        {"bad_enum": 1},
    )


def test_header_only_file_is_empty(landing: Path, state: Path) -> None:
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [], title=TITLE)
    result = only(ingest(landing, state))
    assert (result.status, result.reason) == ("refused", "empty")


def test_blank_rows_are_skipped_and_line_numbers_stay_true(landing: Path, state: Path) -> None:
    path = write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS[:2])
    bad = intake_row(9, received="2023-01-05")  # out of the quarter: rejected with its line
    path.write_bytes(path.read_bytes() + b"\r\n,,,\r\n\r\n" + ",".join(bad).encode() + b"\r\n")
    result = only(ingest(landing, state))
    assert (result.rows_loaded, result.rejected_by_reason) == (2, {"out_of_period": 1})
    assert query(state, "select line_number, column_name from ledger.rejected_rows") == [
        (7, "received_on")
    ]
