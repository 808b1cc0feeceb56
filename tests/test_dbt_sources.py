"""dbt's sources are the contract's feeds: regenerate them and nothing changes."""

from __future__ import annotations

from retention.contract import default_contract
from retention.dbt_sources import sources_files
from retention.paths import DBT_DIR


def test_committed_dbt_sources_are_generated_from_the_contract() -> None:
    for relative, text in sources_files(default_contract()).items():
        committed = (DBT_DIR / relative).read_text(encoding="utf-8")
        assert committed == text, f"{relative} is stale: run `retention dbt-sources`"


def test_every_stored_column_is_a_documented_source_column() -> None:
    files = sources_files(default_contract())
    hrss = files["models/staging/hrss/_hrss__sources.yml"]
    assert "name: beneficiary_person_key" in hrss
    assert "name: id_number" not in hrss and "name: beneficiary_id\n" not in hrss
