"""The contract as data: it agrees with the written contract, and it alone drives ingestion."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from conftest import query, write_csv, write_xlsx

from retention.contract import default_contract, load_contract
from retention.ingest.loader import ingest
from retention.paths import CONTRACT_FILE, REFERENCE_DIR


def written_contract() -> dict[str, dict]:
    """Feeds, departments and column tables of contract/feeds.md."""
    text = (CONTRACT_FILE.parent / "feeds.md").read_text(encoding="utf-8")
    feeds = {}
    for match in re.finditer(r"^### (\w+)\.(\w+) — .*?\n((?:.*\n)*?)(?=^#|\Z)", text, re.M):
        department, feed, body = match.groups()
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in body.splitlines()
            if line.startswith("|") and not line.startswith("|---")
        ][1:]
        feeds[feed] = {"department": department, "columns": rows}
    return feeds


def test_every_written_feed_is_declared_alike() -> None:
    written = written_contract()
    contract = default_contract()
    assert sorted(written) == sorted(contract.feeds)
    for name, spec in written.items():
        feed = contract.feeds[name]
        assert feed.department == spec["department"], name
        declared = [(c.header, c.name, c.type, c.required) for c in feed.columns]
        documented = [(h, n, t, r == "R") for h, n, t, r, _ in spec["columns"]]
        assert declared == documented, name
        keys = [n for _, n, _, _, rule in spec["columns"] if rule.startswith("key")]
        assert feed.key == keys, name


def test_enumerations_from_reference_data() -> None:
    feeds = default_contract().feeds
    assert len(feeds["graduate_intake"].column("town").values) == 20
    assert "一次性扩岗补助" in feeds["subsidy_payment"].column("subsidy_item").values
    regions = feeds["district_intake"].column("region_code").values
    assert len(regions) == 10 and "330282" in regions


VOLUNTEER_FEED = {
    "department": "youth",
    "title": "志愿服务时长",
    "kind": "event",
    "event_date": "served_on",
    "columns": [
        {"header": "服务编号", "name": "service_id", "type": "text", "required": True, "key": True},
        {
            "header": "志愿者公民身份号码",
            "name": "volunteer_id_number",
            "type": "id",
            "required": True,
        },
        {"header": "服务时长", "name": "hours", "type": "decimal", "required": True, "gt": 0},
        {"header": "是否学生", "name": "is_student", "type": "bool"},
        {"header": "服务日期", "name": "served_on", "type": "date", "required": True},
    ],
}


def test_a_fourteenth_feed_needs_only_the_contract(
    tmp_path: Path, landing: Path, state: Path
) -> None:
    data = yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8"))
    data["feeds"]["volunteer_service"] = VOLUNTEER_FEED
    contract_file = tmp_path / "feeds.yaml"
    contract_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    contract = load_contract(contract_file, REFERENCE_DIR)
    header = ["服务编号", "志愿者公民身份号码", "服务时长", "是否学生", "服务日期"]
    rows = [
        ["S1", "11010519491231002X", "2.5", "是", "2024-01-05"],
        ["S2", "11010519491231002X", "0", "否", "2024-01-06"],  # hours must be > 0
        ["S3", "110105194912310021", "1", "否", "2024-01-06"],  # bad check character
    ]
    write_csv(landing / "youth/volunteer_service_2024Q1.csv", header, rows, "gb18030")
    write_xlsx(
        landing / "youth/volunteer_service_2024Q2.xlsx",
        header,
        [["S9", rows[0][1], 3, "否", "2024-04-01"]],
    )

    results = ingest(landing, state, contract=contract)

    assert [(r.status, r.rows_loaded, r.rejected_by_reason) for r in results] == [
        ("loaded", 1, {"bad_id_check": 1, "bad_number": 1}),
        ("loaded", 1, {}),
    ]
    stored = query(
        state,
        "select service_id, volunteer_id_masked, hours, is_student, served_on, quarter "
        "from raw.volunteer_service order by service_id",
    )
    assert [(r[0], r[1], float(r[2]), r[3], str(r[4]), r[5]) for r in stored] == [
        ("S1", "****************2X", 2.5, True, "2024-01-05", "2024Q1"),
        ("S9", "****************2X", 3.0, False, "2024-04-01", "2024Q2"),
    ]


def test_a_feed_the_contract_does_not_know_is_refused_with_the_known_feeds(
    landing: Path, state: Path
) -> None:
    write_csv(landing / "youth/volunteer_service_2024Q1.csv", ["服务编号"], [["S1"]])
    (result,) = ingest(landing, state)
    assert (result.status, result.reason) == ("refused", "unreadable")
    assert "practice_participant" in result.message


def test_event_keys_are_counted_once_but_the_two_the_contract_lets_recur() -> None:
    text = (CONTRACT_FILE.parent / "feeds.md").read_text(encoding="utf-8")
    rule = text.split("An event is counted once.")[1].split("- Reason codes.")[0]
    once, _, recurring = rule.partition("Two keys may recur")
    events = [f for f in default_contract().feeds.values() if f.kind == "event"]
    for feed in events:
        header = feed.column(feed.key[0]).header
        if feed.counted_once:
            assert f"`{header}`" in once, feed.name
        else:
            assert f"`{header}` in {feed.name}" in recurring, feed.name
    recurring_feeds = {f.name for f in events if not f.counted_once}
    assert recurring_feeds == {"industry_program", "public_rental_allocation"}
