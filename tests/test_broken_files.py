"""Every reason code, produced by its broken file, dropped among the sample's files: each file
gets exactly its own outcome and nothing already loaded changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import copy_landing, query

from retention.contract import default_contract
from retention.ingest.loader import ingest
from retention.paths import SAMPLE_LANDING
from retention.sample import generate_broken


def counts_by_quarter(state: Path) -> dict[str, list[tuple]]:
    return {
        feed: query(
            state, f"select quarter, version, count(*) from raw.{feed} group by all order by all"
        )
        for feed in default_contract().feeds
    }


def test_each_broken_file_gets_its_reason_and_the_sample_stays(
    sample_state, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    shutil.copytree(sample_state[0], state)
    before = counts_by_quarter(state)
    landing = copy_landing(SAMPLE_LANDING, tmp_path / "landing")
    cases = generate_broken(landing)

    results = {r.file: r for r in ingest(landing, state)}

    for case in cases:
        result = results[case.path]
        if case.status == "refused":
            assert (result.status, result.reason) == ("refused", case.reason), case.path
            assert result.message and "/" in result.message  # Chinese / English
        else:
            assert (result.status, result.rows_loaded) == ("loaded", case.rows_loaded), case.path
            assert result.rejected_by_reason == {case.reason: case.rows_rejected}, case.path
            lines = query(
                state,
                "select line_number from ledger.rejected_rows rejected "
                "join ledger.submissions using (file_sha256) where landing_path = ? "
                "order by line_number",
                [case.path],
            )
            assert tuple(line for (line,) in lines) == case.rejected_lines, case.path
        if case.conflicts_with:
            assert results[case.conflicts_with].status == "loaded"
    broken = {c.path for c in cases} | {c.conflicts_with for c in cases if c.conflicts_with}
    sample_files = [r for path, r in results.items() if path not in broken]
    assert {r.status for r in sample_files} == {"already_ingested"}
    after = counts_by_quarter(state)
    for feed, rows in before.items():
        broken_quarters = {q for q, _, _ in after[feed]} - {q for q, _, _ in rows}
        assert [r for r in after[feed] if r[0] not in broken_quarters] == rows, feed
