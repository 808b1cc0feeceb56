"""The bundled sample tells the city's 2023 story: the figures of contract/sample-data.md,
counted with plain SQL over the raw tables as contract/kpis.md defines them."""

from __future__ import annotations

import csv
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import query

from retention.paths import REFERENCE_DIR

YEAR = "received_on between date '2023-01-01' and date '2023-12-31'"
END = "date '2023-12-31'"


def category_items(category: str) -> str:
    with (REFERENCE_DIR / "subsidy_catalogue.csv").open(encoding="utf-8") as fh:
        items = {row["subsidy_item"] for row in csv.DictReader(fh) if row["category"] == category}
    return ", ".join(f"'{item}'" for item in sorted(items))


def one(state: Path, sql: str):
    return query(state, sql)[0][0]


@pytest.fixture(scope="module")
def state(sample_state) -> Path:
    return sample_state[0]


def test_the_sample_loads_without_a_refused_file_or_rejected_row(sample_state) -> None:
    _, results = sample_state
    assert {r.status for r in results} == {"loaded"}
    assert sum(r.rows_rejected for r in results) == 0
    assert {r.feed for r in results} == {
        "graduate_intake", "subsidy_payment", "internship_base", "unemployed_support",
        "district_intake", "graduate_roster", "industry_program", "talent_child_enrollment",
        "talent_apartment_sale", "rental_housing_project", "public_rental_allocation",
        "practice_position", "practice_participant",
    }  # fmt: skip


def test_intake_completion_and_rank(state: Path) -> None:
    intake = one(state, f"select count(distinct person_key) from raw.graduate_intake where {YEAR}")
    assert intake == 20999
    rate = (Decimal(intake) / 20400 * 100).quantize(Decimal("0.01"), ROUND_DOWN)
    assert rate == Decimal("102.93")
    ranking = query(
        state,
        "select region_code, intake_ytd, rank() over (order by intake_ytd / annual_target desc) "
        "from raw.district_intake where quarter = '2023Q4'",
    )
    assert len(ranking) == 10
    assert [(ytd, place) for code, ytd, place in ranking if code == "330282"] == [(20999, 3)]


def subsidy(state: Path, category: str, measure: str, where: str = "true") -> Decimal:
    return one(
        state,
        f"select {measure} from raw.subsidy_payment where paid_on between date '2023-01-01' "
        f"and {END} and subsidy_item in ({category_items(category)}) and ({where})",
    )


def test_subsidies(state: Path) -> None:
    talent = subsidy(state, "人才补贴", "sum(amount_yuan)")
    assert (talent / Decimal(10**8)).quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal("1.47")
    employment = subsidy(state, "就业补贴", "sum(amount_yuan)")
    wan = (employment / Decimal(10**4)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert wan == Decimal("3354.76")
    assert subsidy(state, "就业补贴", "count(*)", "beneficiary_type = '单位'") == 1241
    graduate_lines = "beneficiary_type = '个人' or graduate_person_key is not null"
    assert subsidy(state, "就业补贴", "count(*)", graduate_lines) == 2864


def test_talents_children_and_housing(state: Path) -> None:
    children = one(
        state,
        "select count(distinct talent_person_key) from raw.talent_child_enrollment "
        f"where resolved_on between date '2023-01-01' and {END}",
    )
    assert children == 120
    units = one(
        state, f"select sum(units) from raw.rental_housing_project where raised_on <= {END}"
    )
    assert (Decimal(units) / 10**4).quantize(Decimal("0.1"), ROUND_HALF_UP) == Decimal("3.5")
    households = "select count(distinct case_id) from raw.public_rental_allocation"
    assert one(state, f"{households} where start_on <= {END}") == 5508
    sold = "select count(distinct contract_id) from raw.talent_apartment_sale"
    assert one(state, f"{sold} where signed_on <= {END}") == 1247


def test_college_and_youth_practice(state: Path) -> None:
    students = "select count(distinct person_key) from raw.industry_program"
    assert one(state, f"{students} where joined_on <= {END}") == 2957
    slots = one(state, f"select sum(slots) from raw.practice_position where published_on <= {END}")
    assert 3900 <= slots <= 3999
    youth = "select count(distinct person_key) from raw.practice_participant"
    assert 8000 <= one(state, f"{youth} where start_on <= {END}") <= 8999


def test_internship_bases_and_unemployed_support(state: Path) -> None:
    roster = "from raw.internship_base where quarter = '2023Q4'"
    assert one(state, f"select count(*) {roster} and year(designated_on) = 2023") == 43
    active = f"designated_on <= {END} and (revoked_on is null or revoked_on > {END})"
    assert one(state, f"select count(*) {roster} and {active}") == 130
    coverage = one(
        state,
        "select count(*) filter (where service_count >= 1) / count(*) "
        "from raw.unemployed_support where quarter = '2023Q4'",
    )
    assert coverage == 1.0
