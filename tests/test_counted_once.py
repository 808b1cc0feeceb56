"""No double counting across files: an event key loaded once, one baseline per feed, and no
snapshot that repeats another quarter's file (contract/feeds.md, "An event is counted once")."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import INTAKE_HEADER, credit_code, intake_row, query, resident_id, write_csv

from retention.ingest.loader import ingest

INTAKE = "hrss/graduate_intake_{}.csv"
LOADED = "select quarter, record_id from raw.graduate_intake order by all"


def rejected(state: Path) -> list[tuple]:
    return query(
        state,
        "select file_name, line_number, rejected.reason, value_shown, message "
        "from ledger.rejected_rows as rejected join ledger.submissions using (file_sha256) "
        "order by all",
    )


def test_a_key_loaded_in_an_earlier_quarter_is_rejected_naming_its_file(
    landing: Path, state: Path
) -> None:
    write_csv(landing / INTAKE.format("2023Q3"), INTAKE_HEADER, [intake_row(1, "2023-08-01")])
    ingest(landing, state)
    # The Q4 file repeats Q3's registration R00001 (in lower case) beside a new one.
    q4 = [intake_row(2), intake_row(1, "2023-11-02", 登记编号="r00001")]
    write_csv(landing / INTAKE.format("2023Q4"), INTAKE_HEADER, q4)

    (q3, result) = sorted(ingest(landing, state), key=lambda r: r.file)

    assert (result.status, result.rows_loaded, result.rejected_by_reason) == (
        "loaded",
        1,
        {"duplicate_key": 1},
    )
    assert query(state, LOADED) == [("2023Q3", "R00001"), ("2023Q4", "R00002")]
    ((file, line, reason, shown, message),) = rejected(state)
    assert (file, line, reason, shown) == (
        "graduate_intake_2023Q4.csv",
        3,
        "duplicate_key",
        "r00001",
    )
    assert "graduate_intake_2023Q3.csv" in message
    assert "已由 graduate_intake_2023Q3.csv 入库" in message and "counted once" in message


def test_a_new_version_of_the_same_quarter_replaces_its_rows_unaffected(
    landing: Path, state: Path
) -> None:
    write_csv(landing / INTAKE.format("2023Q3"), INTAKE_HEADER, [intake_row(9, "2023-08-01")])
    write_csv(landing / INTAKE.format("2023Q4"), INTAKE_HEADER, [intake_row(1), intake_row(2)])
    ingest(landing, state)
    # v2 corrects R00001 and R00002 (their keys are v1's, which it replaces) and repeats Q3's
    # R00009, which stays a duplicate.
    v2 = [
        intake_row(1, 专业="电气工程及其自动化"),
        intake_row(2),
        intake_row(9, "2023-11-03"),
    ]
    write_csv(landing / "hrss/graduate_intake_2023Q4_v2.csv", INTAKE_HEADER, v2)

    result = next(r for r in ingest(landing, state) if r.file.endswith("_v2.csv"))

    assert (result.status, result.rows_loaded, result.rejected_by_reason) == (
        "loaded",
        2,
        {"duplicate_key": 1},
    )
    assert query(
        state, "select quarter, version, record_id, major from raw.graduate_intake order by all"
    ) == [
        ("2023Q3", 1, "R00009", "机械设计制造及其自动化"),
        ("2023Q4", 2, "R00001", "电气工程及其自动化"),
        ("2023Q4", 2, "R00002", "机械设计制造及其自动化"),
    ]


def test_a_key_from_the_baseline_is_not_counted_again(landing: Path, state: Path) -> None:
    baseline = [intake_row(1, "2021-05-10"), intake_row(2, "2022-11-01")]
    write_csv(landing / "hrss/graduate_intake_baseline_2022Q4.csv", INTAKE_HEADER, baseline)
    # with a new row beside it: a file of nothing but repeats would be no_valid_rows
    again = [intake_row(2, "2023-02-01"), intake_row(3, "2023-02-02")]
    write_csv(landing / INTAKE.format("2023Q1"), INTAKE_HEADER, again)

    results = {r.file: r for r in ingest(landing, state)}

    assert results["hrss/" + "graduate_intake_2023Q1.csv"].rejected_by_reason == {
        "duplicate_key": 1
    }
    (row,) = rejected(state)
    assert "graduate_intake_baseline_2022Q4.csv" in row[4]


PROGRAM = [
    "学号",
    "公民身份号码",
    "专业",
    "产业学院或产业班",
    "合作单位统一社会信用代码",
    "加入日期",
]
ALLOCATION = ["保障编号", "申请人公民身份号码", "家庭人口数", "保障方式", "保障开始日期"]


def test_keys_that_may_recur_load_in_both_quarters(landing: Path, state: Path) -> None:
    for quarter, joined in (("2023Q3", "2023-09-01"), ("2023Q4", "2023-10-09")):
        program = [
            ["2023010001", resident_id(1), "机械", "智能家电产业学院", credit_code(1), joined]
        ]
        write_csv(landing / f"edu/industry_program_{quarter}.csv", PROGRAM, program)
        allocation = [["GZF0001", resident_id(2, "19800101"), "3", "实物配租", joined]]
        write_csv(
            landing / f"housing/public_rental_allocation_{quarter}.csv", ALLOCATION, allocation
        )

    results = ingest(landing, state)

    assert {(r.status, r.rows_loaded, r.rows_rejected) for r in results} == {("loaded", 1, 0)}
    assert query(state, "select quarter, student_no from raw.industry_program order by 1") == [
        ("2023Q3", "2023010001"),
        ("2023Q4", "2023010001"),
    ]
    assert query(state, "select count(*) from raw.public_rental_allocation") == [(2,)]


def test_a_second_baseline_is_refused_naming_the_first(landing: Path, state: Path) -> None:
    first = [intake_row(1, "2021-05-10")]
    write_csv(landing / "hrss/graduate_intake_baseline_2022Q4.csv", INTAKE_HEADER, first)
    ingest(landing, state)
    # A second history up to 2023Q2, overlapping the first: a cumulative KPI would double.
    second = [intake_row(1, "2021-05-10"), intake_row(3, "2023-04-03")]
    write_csv(landing / "hrss/graduate_intake_baseline_2023Q2.csv", INTAKE_HEADER, second)
    # A corrected version of the first baseline is a new version, not a second baseline.
    corrected = [intake_row(1, "2021-05-10"), intake_row(2, "2022-10-08")]
    write_csv(landing / "hrss/graduate_intake_baseline_2022Q4_v2.csv", INTAKE_HEADER, corrected)

    results = {r.file.split("/")[1]: r for r in ingest(landing, state)}

    assert results["graduate_intake_baseline_2022Q4_v2.csv"].status == "loaded"
    refused = results["graduate_intake_baseline_2023Q2.csv"]
    assert (refused.status, refused.reason) == ("refused", "duplicate_key")
    assert "graduate_intake_baseline_2022Q4_v2.csv" in refused.message
    assert "基线只报送一次" in refused.message and "a baseline is sent once" in refused.message
    assert "graduate_intake_baseline_2022Q4_v3.csv" in refused.message  # how to correct it
    assert query(state, LOADED) == [("2022Q4", "R00001"), ("2022Q4", "R00002")]
    (reason_file,) = (state / "quarantine/hrss").glob("*baseline_2023Q2.csv*.reason.txt")
    assert "graduate_intake_baseline_2022Q4_v2.csv" in reason_file.read_text(encoding="utf-8")


BASES = [
    "基地编号",
    "单位名称",
    "统一社会信用代码",
    "基地类型",
    "基地级别",
    "认定日期",
    "撤销日期",
    "年度考核结果",
    "见习岗位数",
    "见习人数",
    "留用人数",
]


def test_a_snapshot_sent_again_as_another_quarter_is_refused(landing: Path, state: Path) -> None:
    roster = [
        [
            f"CXJX{n:04d}",
            "慈溪某电器有限公司",
            credit_code(n),
            "管理类",
            "县级",
            "2022-03-01",
            "",
            "合格",
            "5",
            "3",
            "1",
        ]
        for n in (1, 2)
    ]
    q3 = write_csv(landing / "hrss/internship_base_2023Q3.csv", BASES, roster)
    ingest(landing, state)
    shutil.copyfile(q3, landing / "hrss/internship_base_2023Q4.csv")

    (result,) = [r for r in ingest(landing, state) if r.status != "already_ingested"]

    assert (result.file, result.status, result.reason) == (
        "hrss/internship_base_2023Q4.csv",
        "refused",
        "duplicate_key",
    )
    assert "internship_base_2023Q3.csv" in result.message
    assert "再次报送" in result.message and "sent again" in result.message
    assert query(state, "select quarter, count(*) from raw.internship_base group by 1") == [
        ("2023Q3", 2)
    ]
