"""The gate's GX stores in the state folder, without the whole sample: one small check."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from retention.gate.checks import Check, Expectation
from retention.gate.runner import _data_source, _gx_context, _validate, gx_root

CHECK = Check(
    suite="raw",
    name="tiny",
    zh="小检查",
    en="a small check",
    query="",
    expectations=[Expectation("expect_column_values_to_not_be_null", {"column": "a"}, "blocking")],
)


def _run(state: Path):
    from great_expectations.core.run_identifier import RunIdentifier

    context = _gx_context(state)
    source = _data_source(context, [CHECK.id])
    return _validate(context, source, RunIdentifier(run_name="r"), CHECK, pd.DataFrame({"a": [1]}))


def test_a_validation_definition_cut_short_by_a_killed_run_does_not_stop_the_next(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    _run(state)
    # GX writes a stored file in place: a run killed mid-write leaves it empty or cut short
    stored = gx_root(state) / "validation_definitions" / f"{CHECK.id}.json"
    stored.write_text('{"name": "raw.ti', encoding="utf-8")

    [outcome] = _run(state)

    assert outcome.success is True
