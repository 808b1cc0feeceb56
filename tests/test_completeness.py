"""A quarter is checked for completeness before any build, and each delivery is judged on time
or late from its delivery date (contract/feeds.md, "Delivery date"), never from when it was
loaded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import INTAKE_HEADER, intake_row, query, resident_id, write_csv

from retention.completeness import QuarterNotReady, check
from retention.ingest.ledger import today
from retention.ingest.loader import ingest
from retention.orchestration import steps

AFTER_THE_SAMPLE = dt.date(2025, 1, 6)  # every deadline of the sample's quarters has passed
EVERY_FEED = {
    "hrss": [
        "graduate_intake",
        "subsidy_payment",
        "internship_base",
        "unemployed_support",
        "district_intake",
    ],
    "edu": ["graduate_roster", "industry_program", "talent_child_enrollment"],
    "housing": ["talent_apartment_sale", "rental_housing_project", "public_rental_allocation"],
    "youth": ["practice_position", "practice_participant"],
}
HRSS_LISTED = (
    "人力资源和社会保障局 (HR and social security): graduate_intake, subsidy_payment, "
    "internship_base, unemployed_support, district_intake"
)
ROSTER_HEADER = ["学号", "公民身份号码", "姓名", "二级学院", "专业", "学历", "毕业日期", "生源地"]
SAMPLE_QUARTERS = [f"{y}Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)][:10]


def refusal(state: Path, quarter: str, on: dt.date) -> QuarterNotReady:
    with pytest.raises(QuarterNotReady) as refused:
        check(state, quarter, today=on)
    return refused.value


def test_a_quarter_with_nothing_delivered_stops_before_any_build(
    sample_state, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = sample_state[0]
    monkeypatch.setenv("RETENTION_STATE", str(state))
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException) as failed:  # no retry: it would refuse again
        steps.completeness("2024Q3")  # the quarter after the sample's last, long over
    refused = failed.value.__cause__
    assert isinstance(refused, QuarterNotReady)
    assert (refused.quarter, refused.reason) == ("2024Q3", "nothing_delivered")
    assert refused.missing == EVERY_FEED
    assert str(failed.value) == str(refused)
    message = str(refused)
    assert message.startswith("2024Q3 没有任何部门报送数据，请检查报送目录、运行 retention ingest")
    assert "/ nothing has been delivered for 2024Q3: check the landing folder, run" in message
    assert f"未报送 / missing: {HRSS_LISTED}; 教育局 (education): graduate_roster" in message
    assert "\n" not in message
    built = "select count(*) from information_schema.tables where table_schema = 'ops'"
    assert query(state, built) == [(0,)], "no dbt run, not even a partial one"


def test_a_quarter_not_ended_and_one_before_the_data_are_refused(sample_state) -> None:
    state = sample_state[0]
    running = refusal(state, "2024Q3", dt.date(2024, 8, 1))
    assert (running.reason, running.missing) == ("not_ended", EVERY_FEED)
    assert "2024Q3 尚未结束（2024-09-30 结束），报送截止于 2024-10-20" in str(running)
    assert "2024Q3 has not ended (it ends 2024-09-30) and its files are due by 2024-10-20: " in (
        str(running)
    )
    early = refusal(state, "2021Q4", AFTER_THE_SAMPLE)  # the baselines' quarter
    assert (early.reason, early.missing) == ("before_data", EVERY_FEED)
    assert "2021Q4 早于数据起始季度 2022Q1" in str(early)
    assert "2021Q4 is before the data begins (2022Q1): choose a quarter from 2022Q1 on" in (
        str(early)
    )


def test_every_sample_quarter_is_complete_even_before_its_last_deadline(sample_state) -> None:
    state = sample_state[0]
    for quarter in SAMPLE_QUARTERS:
        assert check(state, quarter, today=AFTER_THE_SAMPLE).as_json() == {
            "quarter": quarter,
            "status": "final",
            "missing": {},
        }
    # everything in, though district_intake was due only on the 20th: nothing to wait for
    assert check(state, "2024Q2", today=dt.date(2024, 7, 16)).status == "final"


def test_a_partly_delivered_quarter_waits_for_its_deadlines_then_goes_provisional(
    landing: Path, state: Path
) -> None:
    write_csv(landing / "hrss" / "graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)])
    ingest(landing, state)
    missing = {**EVERY_FEED, "hrss": EVERY_FEED["hrss"][1:]}

    waiting = refusal(state, "2023Q4", dt.date(2024, 1, 5))
    assert (waiting.reason, waiting.missing) == ("not_due", missing)
    assert "2023Q4 still has feeds to come before their deadlines (the last is 2024-01-20)" in (
        str(waiting)
    )
    assert "人力资源和社会保障局 (HR and social security): subsidy_payment, internship_base" in (
        str(waiting)
    )

    due = check(state, "2023Q4", today=dt.date(2024, 1, 21))
    assert (due.status, due.missing) == ("provisional", missing)


def test_the_delivery_date_is_the_declared_one_else_first_seen_else_unknown(
    landing: Path, state: Path
) -> None:
    hrss, edu = landing / "hrss", landing / "edu"
    write_csv(hrss / "graduate_intake_2023Q3.csv", INTAKE_HEADER, [intake_row(1, "2023-08-01")])
    ingest(landing, state)  # the department's first run: history whose delivery nobody saw

    write_csv(hrss / "graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(2)])
    write_csv(
        hrss / "graduate_intake_2024Q1.csv",
        INTAKE_HEADER,
        [intake_row(3, "2024-02-01")],
        title=[
            "2024年第一季度高校毕业生接收登记表",
            "填报单位：慈溪市人社局　填报日期：2024年4月8日",
        ],
    )
    roster = [["S1", resident_id(4), "测试", "机电学院", "机械设计", "本科", "2023-12-20", "浙江"]]
    write_csv(
        edu / "graduate_roster_2023Q4.csv",
        ROSTER_HEADER,
        roster,
        title=["毕业生名册", "填报日期：2024年2月30日"],  # no such day: the file still loads
    )
    results = ingest(landing, state)
    assert {r.file: r.status for r in results} == {
        "hrss/graduate_intake_2023Q3.csv": "already_ingested",
        "hrss/graduate_intake_2023Q4.csv": "loaded",
        "hrss/graduate_intake_2024Q1.csv": "loaded",
        "edu/graduate_roster_2023Q4.csv": "loaded",
    }

    deliveries = query(
        state,
        "select feed, quarter, delivered_on, delivered_on_from from ledger.deliveries "
        "order by feed, quarter",
    )
    assert deliveries == [
        ("graduate_intake", "2023Q3", None, "unknown"),
        ("graduate_intake", "2023Q4", today(), "first_seen"),
        ("graduate_intake", "2024Q1", dt.date(2024, 4, 8), "declared"),
        # edu's first run, though hrss's folder was watched: its history is not late
        ("graduate_roster", "2023Q4", None, "unknown"),
    ]


def test_a_later_version_keeps_the_first_versions_delivery_date(landing: Path, state: Path) -> None:
    title = ["2023年第四季度高校毕业生接收登记表", "填报日期：2024年1月8日"]
    write_csv(
        landing / "hrss" / "graduate_intake_2023Q4.csv", INTAKE_HEADER, [intake_row(1)], title=title
    )
    ingest(landing, state)
    corrected = ["2023年第四季度高校毕业生接收登记表", "填报日期：2024年2月20日"]
    write_csv(
        landing / "hrss" / "graduate_intake_2023Q4_v2.csv",
        INTAKE_HEADER,
        [intake_row(1), intake_row(2)],
        title=corrected,
    )
    ingest(landing, state)
    assert query(
        state,
        "select first_version, latest_version, delivered_on, delivered_on_from "
        "from ledger.deliveries",
    ) == [(1, 2, dt.date(2024, 1, 8), "declared")]


# The sample's deliveries (src/retention/sample/layout.py): the forms state their 填报日期, most
# a few days before the deadline, a few after it; the exports without title rows state none,
# and the sample is loaded in bulk, so their delivery date is unknown.
SAMPLE_LATE = {
    ("2022Q4", "practice_position"): dt.date(2023, 1, 18),
    ("2022Q4", "practice_participant"): dt.date(2023, 1, 18),
    ("2023Q3", "talent_apartment_sale"): dt.date(2023, 10, 17),
    ("2023Q4", "district_intake"): dt.date(2024, 1, 24),
}


def sample_unknown(quarter: str) -> set[str]:
    exports = {"graduate_roster", "industry_program", "talent_child_enrollment"}
    if quarter == "2022Q1":
        exports.add("district_intake")  # a CSV export that quarter
    if quarter >= "2023Q1":
        exports.add("public_rental_allocation")
    return exports


def test_the_samples_deliveries_per_quarter(built: Path) -> None:
    rows = query(
        built,
        "select quarter, feed, delivery_status, delivered_on, delivered_on_from, due_on "
        "from intermediate.int_feed_deliveries",
    )
    assert sorted({quarter for quarter, *_ in rows}) == SAMPLE_QUARTERS
    status = {(quarter, feed): s for quarter, feed, s, *_ in rows}
    expected = {
        (quarter, feed): "late"
        if (quarter, feed) in SAMPLE_LATE
        else "unknown"
        if feed in sample_unknown(quarter)
        else "on_time"
        for quarter in SAMPLE_QUARTERS
        for feeds in EVERY_FEED.values()
        for feed in feeds
    }
    assert status == expected
    for quarter, feed, s, delivered_on, source, due_on in rows:
        if s == "late":
            assert (delivered_on, source) == (SAMPLE_LATE[quarter, feed], "declared")
            assert delivered_on > due_on
        elif s == "on_time":
            assert source == "declared" and due_on - dt.timedelta(days=10) < delivered_on <= due_on
        else:
            assert (delivered_on, source) == (None, "unknown")
    # 2023Q2's payments were corrected (v2) after the deadline: the first version was on time
    (correction,) = query(
        built,
        "select latest_version, delivery_status from intermediate.int_feed_deliveries "
        "where quarter = '2023Q2' and feed = 'subsidy_payment'",
    )
    assert correction == (2, "on_time")
