"""Rows that break a rule are rejected alone, with their line and reason; the rest loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import INTAKE_HEADER, credit_code, intake_row, query, resident_id, write_csv

from retention.contract import default_contract
from retention.ingest.loader import ingest
from retention.pii import mask_id

BAD_INTAKE_ROWS = {
    "bad_id_check": ({"公民身份号码": resident_id(3)[:-1] + "Y"}, "id_number"),
    "bad_uscc_format": ({"统一社会信用代码": "91330282MA2AI0003O"}, "employer_uscc"),
    "bad_date": ({"毕业日期": "2023-13-01"}, "graduation_date"),
    "bad_enum": ({"学历": "小学"}, "degree"),
    "missing_value": ({"所属镇街": ""}, "town"),
    "out_of_period": ({"接收日期": "2023-09-30"}, "received_on"),
    "duplicate_key": ({"登记编号": "R00001"}, "record_id"),
}


@pytest.mark.parametrize("reason", BAD_INTAKE_ROWS)
def test_each_row_rule_rejects_only_its_row(landing: Path, state: Path, reason: str) -> None:
    changes, column = BAD_INTAKE_ROWS[reason]
    rows = [intake_row(1), intake_row(2), intake_row(3, **changes), intake_row(4)]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, rows)
    (result,) = ingest(landing, state)
    assert (result.status, result.rows_loaded, result.rejected_by_reason) == (
        "loaded",
        3,
        {reason: 1},
    )
    assert query(state, "select line_number, reason, column_name from ledger.rejected_rows") == [
        (4, reason, column)
    ]
    loaded = query(state, "select record_id from raw.graduate_intake order by line_number")
    assert loaded == [("R00001",), ("R00002",), ("R00004",)]


def test_flexible_employment_needs_no_credit_code(landing: Path, state: Path) -> None:
    rows = [
        intake_row(1, **{"统一社会信用代码": "", "接收方式": "灵活就业"}),
        intake_row(2, **{"统一社会信用代码": ""}),
    ]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, rows)
    (result,) = ingest(landing, state)
    assert (result.rows_loaded, result.rejected_by_reason) == (1, {"missing_value": 1})


SUBSIDY_HEADER = [c.header for c in default_contract().feeds["subsidy_payment"].columns]


def subsidy(n: int, kind: str = "个人", amount: str = "1000.00", **changes: str) -> list[str]:
    row = {
        "发放编号": f"P{n}",
        "补贴项目": "实践补贴" if kind == "个人" else "一次性扩岗补助",
        "对象类型": kind,
        "对象证件号码": resident_id(n) if kind == "个人" else credit_code(n),
        "对象名称": "张三" if kind == "个人" else "慈溪某电器有限公司",
        "受益毕业生公民身份号码": "" if kind == "个人" else resident_id(n + 50),
        "发放金额（元）": amount,
        "发放日期": "2023-10-10",
        "资金来源": "就业补助资金",
    }
    row.update(changes)
    return [row[h] for h in SUBSIDY_HEADER]


@pytest.mark.parametrize("amount", ["0", "-5", "12.345", "1千元"])
def test_amounts_that_are_not_positive_yuan_are_bad_numbers(
    landing: Path, state: Path, amount: str
) -> None:
    rows = [subsidy(1), subsidy(2, amount=amount)]
    write_csv(landing / "hrss/subsidy_payment_2023Q4.csv", SUBSIDY_HEADER, rows, "gb18030")
    (result,) = ingest(landing, state)
    assert (result.rows_loaded, result.rejected_by_reason) == (1, {"bad_number": 1})


def test_beneficiary_id_is_checked_by_beneficiary_type_and_never_stored_in_clear(
    landing: Path, state: Path
) -> None:
    rows = [
        subsidy(1),
        subsidy(2, kind="单位"),
        subsidy(3, kind="单位", **{"对象证件号码": "330282-ABC"}),  # no credit code
        subsidy(4, **{"对象证件号码": credit_code(4)}),  # a code where an ID belongs
    ]
    write_csv(landing / "hrss/subsidy_payment_2023Q4.csv", SUBSIDY_HEADER, rows)
    (result,) = ingest(landing, state)
    assert result.rejected_by_reason == {"bad_id_check": 1, "bad_uscc_format": 1}
    stored = query(
        state,
        "select beneficiary_type, beneficiary_uscc, beneficiary_id_masked, beneficiary_name, "
        "graduate_id_masked from raw.subsidy_payment order by payment_id",
    )
    assert stored == [
        ("个人", None, mask_id(resident_id(1)), None, None),
        (
            "单位",
            credit_code(2),
            None,
            "慈溪某电器有限公司",
            mask_id(resident_id(52)),
        ),
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"毕业日期": "2024-12-31"}, None),  # a year after the quarter: may be a graduation
        ({"毕业日期": "2025-01-01"}, "bad_date"),
        ({"毕业日期": "20240230"}, "bad_date"),
        ({"毕业日期": "1899年12月31日"}, "bad_date"),
        ({"接收日期": "2099-11-01"}, "bad_date"),  # a typing error, not another quarter
    ],
)
def test_dates_far_from_the_quarter_are_bad_dates(
    landing: Path, state: Path, changes: dict, reason: str | None
) -> None:
    # beside a good row: a file with no loadable row is refused whole (no_valid_rows)
    rows = [intake_row(1, **changes), intake_row(2)]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, rows)
    ingest(landing, state)
    assert query(state, "select reason from ledger.rejected_rows") == (
        [(reason,)] if reason else []
    )


def test_an_id_typed_into_another_column_is_never_stored_or_shown_in_clear(
    landing: Path, state: Path
) -> None:
    typed = [resident_id(n, "19850505") for n in (71, 72, 73, 74, 75)]
    not_an_id = typed[4][:17] + ("1" if typed[4][17] != "1" else "2")  # wrong check character
    rows = [
        intake_row(1, 专业=typed[0]),
        intake_row(2, 就业单位=f"慈溪某电器有限公司（联系人 {typed[1].lower()}）"),
        intake_row(3, 学历=typed[2]),  # rejected: not a degree
        intake_row(4, 统一社会信用代码=typed[3]),  # rejected: an ID is not a credit code
        intake_row(5, 就业单位=f"订单号{not_an_id}"),  # not an ID: kept as delivered
    ]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, rows)

    (result,) = ingest(landing, state)

    assert result.rejected_by_reason == {"bad_enum": 1, "bad_uscc_format": 1}
    stored = query(state, "select major, employer_name from raw.graduate_intake order by 1, 2")
    # masked as the ID columns are
    assert (mask_id(typed[0]), "慈溪某电器有限公司") in stored
    assert (
        "机械设计制造及其自动化",
        f"慈溪某电器有限公司（联系人 {mask_id(typed[1])}）",
    ) in stored
    assert ("机械设计制造及其自动化", f"订单号{not_an_id}") in stored
    shown = query(state, "select value_shown from ledger.rejected_rows order by line_number")
    assert shown == [(mask_id(typed[2]),), (mask_id(typed[3]),)]
    everything = str(
        [
            query(state, f"select * from {t}")
            for t in ("raw.graduate_intake", "ledger.rejected_rows")
        ]
    ).upper()
    assert not [n for n in typed[:4] if n.upper() in everything]
