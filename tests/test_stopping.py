"""`retention run` ends when it should: at once when a task fails for good, within seconds of
Ctrl-C or SIGTERM wherever it is, leaving nothing a second run cannot finish; and it tells
the operator in a few lines, the rest going to its log."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    INTAKE_HEADER,
    Undisturbed,
    copy_landing,
    intake_row,
    read_rows,
    resend_without,
    retention_cli,
    run_logs,
    wait_for_log,
    what_a_run_leaves,
    write_csv,
)

from retention.paths import SAMPLE_LANDING

pytestmark = pytest.mark.slow

# Long enough for a loaded machine; the run itself gives its child 4 s after SIGTERM.
STOPPED_WITHIN = 20


def start_run(state: Path, out: Path, landing: Path = SAMPLE_LANDING) -> subprocess.Popen:
    """`retention run` for 2023Q4 as from a terminal: in a session of its own (the terminal's
    foreground group)."""
    command = [sys.executable, "-m", "retention.cli", "run", "--quarter", "2023Q4"]
    command += ["--landing", str(landing), "--state", str(state), "--out", str(out)]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def session_processes(session: int) -> list[int]:
    """Every process still in the session (the command's child and what it started too)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def stopped(process: subprocess.Popen, number: signal.Signals, to_group: bool) -> str:
    """Send the signal (to the whole foreground group, as a terminal's Ctrl-C does, or to the
    command alone, as `kill` does); the command ends, leaving no process behind. Its stderr."""
    if to_group:
        os.killpg(process.pid, number)
    else:
        process.send_signal(number)
    _, err = process.communicate(timeout=STOPPED_WITHIN)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("已中断"), err
    assert "Traceback" not in err
    assert session_processes(process.pid) == []
    return err


def ends_as_undisturbed(state: Path, out: Path, undisturbed: Undisturbed) -> None:
    again = retention_cli("run", "--quarter", "2023Q4", "--state", str(state), "--out", str(out))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert again.stdout.strip().splitlines()[-1].startswith("released 2023Q4 v1 (final)")
    assert what_a_run_leaves(state) == what_a_run_leaves(undisturbed.state)
    released, expected = (
        json.loads((root / "2023Q4/v1/kpis.json").read_text(encoding="utf-8"))["kpis"]
        for root in (out, undisturbed.out)
    )
    assert released == expected
    assert sorted(p.name for p in (out / "2023Q4").iterdir()) == ["v1"]  # no partial left


def test_make_run_prints_a_line_a_stage_and_says_what_it_released(
    undisturbed: Undisturbed,
) -> None:
    console = undisturbed.console
    assert len(console) < 40, "\n".join(console)
    assert console[-1] == f"released 2023Q4 v1 (final): {undisturbed.out}/2023Q4/v1"
    for stage in ("ingest edu: 31 files", "completeness 2023Q4: final", "build: dbt build, "):
        assert any(line.startswith(stage) for line in console), stage
    for stage in ("gate 2023Q4: passed", "release 2023Q4: new version v1", "notify: "):
        assert any(line.startswith(stage) for line in console), stage
    (log,) = run_logs(undisturbed.state)
    assert any(str(log) in line for line in console)
    text = log.read_text(encoding="utf-8")
    assert "[DAG TEST]" in text and "cosmos" in text  # Airflow's and dbt's lines went there
    assert not any("[DAG TEST]" in line or "cosmos" in line for line in console)


def test_a_second_run_publishes_nothing_and_says_which_version_stands(
    undisturbed: Undisturbed, tmp_path: Path
) -> None:
    state, out = tmp_path / "state", tmp_path / "releases"
    shutil.copytree(undisturbed.state, state)
    shutil.copytree(undisturbed.out, out)
    again = retention_cli("run", "--quarter", "2023Q4", "--state", str(state), "--out", str(out))
    assert again.returncode == 0, again.stderr[-3000:]
    lines = again.stdout.strip().splitlines()
    assert len(lines) < 40
    assert "release 2023Q4: inputs unchanged, no new version" in again.stdout
    assert lines[-1] == f"2023Q4 unchanged: v1 (final) stands at {out}/2023Q4/v1"


def test_ctrl_c_in_the_middle_of_the_build_then_a_second_run_ends_as_an_undisturbed_one(
    undisturbed: Undisturbed, tmp_path: Path
) -> None:
    state, out = tmp_path / "state", tmp_path / "releases"
    process = start_run(state, out)
    wait_for_log(state, "OK created sql table model", process)  # dbt is writing models
    stopped(process, signal.SIGINT, to_group=True)
    assert not (out / "2023Q4").exists()
    ends_as_undisturbed(state, out, undisturbed)


def test_sigterm_in_the_middle_of_the_release_then_a_second_run_ends_as_an_undisturbed_one(
    undisturbed: Undisturbed, tmp_path: Path
) -> None:
    state, out = tmp_path / "state", tmp_path / "releases"
    process = start_run(state, out)
    wait_for_log(state, "Fetching and parsing CSS", process)  # the PDF brief, in the staging
    stopped(process, signal.SIGTERM, to_group=False)
    assert not (out / "2023Q4/v1").exists()
    ends_as_undisturbed(state, out, undisturbed)


def test_a_quarter_with_nothing_delivered_fails_at_once_naming_step_quarter_and_log(
    tmp_path: Path,
) -> None:
    state, out, landing = tmp_path / "state", tmp_path / "releases", tmp_path / "landing"
    landing.mkdir()
    process = start_run(state, out, landing)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 2
    (line,) = err.strip().splitlines()
    (log,) = run_logs(state)
    assert line.startswith("retention run 2023Q4 停在 completeness 步骤 / stopped at step ")
    assert "nothing has been delivered for 2023Q4: check the landing folder" in line
    assert line.endswith(f"（完整日志 / full log: {log}）")
    assert "QuarterNotReady" in log.read_text(encoding="utf-8")  # the traceback is there
    assert not out.exists()


def test_a_quarter_failing_the_gate_stops_the_run_unwaived_with_exit_1(tmp_path: Path) -> None:
    """The run of the issue that never ended: the gate fails for good, and the command says so
    at once instead of retrying for ten minutes."""
    landing = copy_landing(SAMPLE_LANDING, tmp_path / "landing")
    (source,) = SAMPLE_LANDING.glob("youth/practice_position_2023Q4.*")
    bad = len(read_rows(source)) // 20  # 5% of the rows rejected: over the gate's threshold

    def break_date(index: int, row: list[str], header: list[str]) -> list[str]:
        if index <= bad:
            row[header.index("发布日期")] = "2023-13-01"
        return row

    target = landing / "youth/practice_position_2023Q4_v2.csv"
    resend_without(source, target, {"岗位编号"}, break_date)
    state, out = tmp_path / "state", tmp_path / "releases"
    process = start_run(state, out, landing)
    stdout, err = process.communicate(timeout=1800)
    assert process.returncode == 1, err
    (line,) = err.strip().splitlines()
    (log,) = run_logs(state)
    # the gate records its failures and the waive step is offered; nobody is there to waive
    assert line.startswith(
        "retention run 2023Q4 停在 record_waivers 步骤 / stopped at step record_waivers: "
    )
    assert "and nobody waived it" in line
    assert "ingestion_health.rejected_rows_under_threshold" in line
    assert "retention waive --quarter 2023Q4" in line
    assert line.endswith(f"（完整日志 / full log: {log}）")
    assert re.search(r"^gate 2023Q4: \d+ blocking check\(s\) failed", stdout, re.M)
    assert not out.exists()
    # that the step fails for good, unretried, is test_approval's (AirflowFailException): the
    # command ends before Airflow records the task's end in its database


def test_on_a_terminal_a_bar_shows_the_files_being_loaded(landing: Path, tmp_path: Path) -> None:
    """One small delivery: the bar names the file being read; then a quarter nothing was
    delivered for stops the run at completeness."""
    for name, received in (("graduate_intake_2023Q3.csv", "2023-08-01"), ("bad_2023Q3.csv", "")):
        write_csv(landing / "hrss" / name, INTAKE_HEADER, [intake_row(1, received)])
    state, out = tmp_path / "state", tmp_path / "releases"
    command = [sys.executable, "-m", "retention.cli", "run", "--quarter", "2023Q4"]
    command += ["--landing", str(landing), "--state", str(state), "--out", str(out)]
    terminal, its_end = pty.openpty()
    process = subprocess.Popen(command, stdin=its_end, stdout=its_end, stderr=its_end)
    os.close(its_end)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the command has closed the terminal
        while chunk := os.read(terminal, 65536):
            shown += chunk
    os.close(terminal)
    assert process.wait(timeout=600) == 2
    text = shown.decode("utf-8", errors="replace")
    assert "graduate_intake_2023Q3.csv" in text and "━" in text  # the bar, drawn by rich
    text = " ".join(text.split())  # lines printed under the bar wrap at the terminal's width
    assert (
        "ingest hrss: 2 files (1 loaded, 1 refused), 1 rows loaded, 0 rejected; refused: "
        "hrss/bad_2023Q3.csv ("
    ) in text
    assert "停在 completeness 步骤" in text
