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


def lines_in(path: Path) -> int:
    """Lines as a clerk counts them: text lines of a CSV, worksheet rows up to the last used."""
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        sheet = book.worksheets[0]
        last = max((r[0].row for r in sheet.iter_rows() if any(c.value for c in r)), default=0)
        book.close()
        return last
    data = path.read_bytes()
    return data.count(b"\n") + (bool(data) and not data.endswith(b"\n"))


def test_every_line_of_every_loaded_file_is_accounted_for(sample_state, tmp_path: Path) -> None:
    state = tmp_path / "state"
    shutil.copytree(sample_state[0], state)
    landing = copy_landing(SAMPLE_LANDING, tmp_path / "landing")
    generate_broken(landing)
    ingest(landing, state)
    loaded = query(
        state,
        "select landing_path, lines_read, lines_title + lines_header + lines_blank + "
        "rows_loaded + rows_rejected + lines_total + lines_in_cells "
        "from ledger.submissions where status in ('loaded', 'superseded') order by 1",
    )
    assert len(loaded) > 140  # the sample's files and the broken ones that load
    for path, read, accounted in loaded:
        assert (read, accounted) == (lines_in(landing / path), read), path
