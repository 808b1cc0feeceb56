"""An operator's mistakes and a machine's troubles end in one line, Chinese and English, with
what to do next and a documented exit code (README, "When something goes wrong"); a traceback
only with --debug."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import INTAKE_HEADER, intake_row, retention_cli, write_csv

from retention.ingest.loader import ingest
from retention.paths import SAMPLE_LANDING, warehouse_path

REFUSED, UNEXPECTED, INTERRUPTED = 2, 3, 130


def one_line(run: subprocess.CompletedProcess) -> str:
    """The command's only line on stderr: no usage block, no traceback."""
    (line,) = run.stderr.strip().splitlines()
    assert "Traceback" not in line
    return line


def bilingual(line: str) -> None:
    assert any("\u4e00" <= c <= "\u9fff" for c in line), "a Chinese half"
    assert " / " in line, "then the English"


@pytest.fixture
def ingested(landing: Path, state: Path) -> Path:
    """A state with one file loaded, never built."""
    write_csv(landing / "hrss/graduate_intake_2023Q3.csv", INTAKE_HEADER, [intake_row(1)])
    ingest(landing, state)
    return state


@pytest.mark.parametrize("command", ["kpis", "validate", "release", "run"])
def test_a_quarter_that_cannot_be_is_one_line_and_exit_2(command: str, tmp_path: Path) -> None:
    run = retention_cli(command, "--quarter", "2023Q5", "--state", str(tmp_path / "state"))
    assert run.returncode == REFUSED
    line = one_line(run)
    assert "不是季度：'2023Q5'" in line and "not a quarter: '2023Q5', write it like 2023Q4" in line
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_a_missing_landing_folder_is_refused_and_nothing_is_made(
    command: str, tmp_path: Path
) -> None:
    state, missing = tmp_path / "state", tmp_path / "landnig"
    run = retention_cli(command, "--landing", str(missing), "--state", str(state), "--sample-key")
    assert run.returncode == REFUSED
    line = one_line(run)
    assert f"找不到报送目录 {missing}" in line and "check --landing" in line
    assert not state.exists(), "no state folder, no empty warehouse"


def test_kpis_validate_and_release_before_a_build_say_to_build(ingested: Path) -> None:
    runs = [
        retention_cli("kpis", "--quarter", "2023Q3", "--state", str(ingested)),
        retention_cli("validate", "--quarter", "2023Q3", "--state", str(ingested)),
        retention_cli(
            "release", "--quarter", "2023Q3", "--state", str(ingested), "--out", "releases"
        ),
    ]
    for run in runs:
        assert run.returncode == REFUSED
        line = one_line(run)
        bilingual(line)
        assert "retention build" in line


def test_a_quarter_without_data_names_the_quarter_and_what_to_check(built: Path) -> None:
    kpis = retention_cli("kpis", "--quarter", "2021Q1", "--state", str(built))
    validate = retention_cli("validate", "--quarter", "2021Q1", "--state", str(built))
    for run in (kpis, validate):
        assert run.returncode == REFUSED
        line = one_line(run)
        bilingual(line)
        assert "2021Q1" in line and "check the quarter" in line


def test_debug_shows_the_traceback_behind_the_line(ingested: Path) -> None:
    run = retention_cli("--debug", "kpis", "--quarter", "2023Q3", "--state", str(ingested))
    assert run.returncode == REFUSED
    assert "Traceback (most recent call last)" in run.stderr
    assert "retention build" in run.stderr.strip().splitlines()[-1]


def test_an_unforeseen_fault_is_one_line_exit_3_pointing_at_debug(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    warehouse_path(state).write_bytes(b"not a database, whatever the name says\n" * 100)
    run = retention_cli("kpis", "--quarter", "2023Q4", "--state", str(state))
    assert run.returncode == UNEXPECTED
    line = one_line(run)
    assert "failed unexpectedly" in line and "--debug" in line and "意外出错" in line


WAREHOUSE_HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
sys.stdin.read()
"""


def test_a_warehouse_another_program_has_open_is_named_not_a_traceback(built: Path) -> None:
    """A DuckDB client left open on the warehouse: DuckDB's own lock, not the state's."""
    holder = subprocess.Popen(
        [sys.executable, "-c", WAREHOUSE_HOLDER, str(warehouse_path(built))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "open\n"
        kpis = retention_cli("kpis", "--quarter", "2023Q4", "--state", str(built))
        release = retention_cli(
            "release", "--quarter", "2023Q4", "--state", str(built), "--out", "releases"
        )
    finally:
        holder.stdin.close()
        holder.wait()
    for run in (kpis, release):
        assert run.returncode == REFUSED
        line = one_line(run)
        assert "数据仓库正被另一个程序使用" in line and f"pid {holder.pid}" in line
        assert "wait for it to finish, or close it, and run again" in line


def _tmpfs_run(size: str, script: str) -> subprocess.CompletedProcess:
    """`script` (sh) in a mount namespace of its own with a tmpfs of `size` at $ROOM: a full
    disk for real, without root (a user namespace)."""
    command = [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        f'mount -t tmpfs -o size={size} tmpfs "$ROOM" || exit 99\n{script}',
    ]
    return subprocess.run(command, capture_output=True, text=True, env=os.environ, check=False)


@pytest.fixture
def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    room = tmp_path / "room"
    room.mkdir()
    monkeypatch.setenv("ROOM", str(room))
    if shutil.which("unshare") is None or _tmpfs_run("1m", "true").returncode != 0:
        pytest.skip("no user and mount namespaces here to make a small disk in")
    return room


def test_a_full_disk_while_loading_stops_with_one_line_and_refuses_no_file(
    room: Path, landing: Path
) -> None:
    """The reading children and DuckDB find the disk full: the run stops, no good file is
    quarantined for it, and with room again the next run loads the rest."""
    intake = sorted((SAMPLE_LANDING / "hrss").glob("graduate_intake_*"))  # 5 MB, 10 files
    for path in intake:
        (landing / "hrss").mkdir(exist_ok=True)
        shutil.copy(path, landing / "hrss")
    ingest = f"{sys.executable} -m retention.cli ingest --landing {landing}"
    script = f"""
        {ingest} --state "$ROOM/state" --sample-key > "$ROOM/full.out"
        echo "exit $?" >&2
        cat "$ROOM/full.out"
        mount -o remount,size=200m "$ROOM" && {ingest} --state "$ROOM/state" --sample-key
    """
    run = _tmpfs_run("6m", script)
    first, _, _ = run.stderr.partition(f"exit {REFUSED}\n")
    (line,) = [line for line in first.splitlines() if "SAMPLE MODE" not in line]
    assert line.startswith("磁盘已满，已停止入库（") and "the disk is full: ingest stopped" in line
    assert "Traceback" not in run.stderr
    totals = re.findall(r"(\d+) files: (\d+) loaded, (\d+) refused", run.stdout)
    assert len(totals) == 2 and run.returncode == 0
    assert [refused for *_, refused in totals] == ["0", "0"], "a full disk is no file's fault"
    assert sum(int(loaded) for _, loaded, _ in totals) == len(intake)  # each file, once


def test_a_full_disk_while_building_is_one_line_not_cannot_rollback(
    built: Path, room: Path
) -> None:
    """dbt's models fill the disk: dbt's errors, and those of the log it cannot write."""
    script = f"""
        cp -r {built} "$ROOM/state" || exit 98
        head -c $(( $(df --output=avail -B1 "$ROOM" | tail -1) - 2097152 )) /dev/zero \\
            > "$ROOM/filler"
        {sys.executable} -m retention.cli build --state "$ROOM/state"
    """
    run = _tmpfs_run("200m", script)
    assert run.returncode == REFUSED, run.stderr[-2000:]
    line = one_line(run)
    assert line.startswith("磁盘空间不足（") and "the disk is full (" in line
    assert "free space on that disk and run the command again" in line
    assert run.stdout == ""


def test_a_release_folder_on_a_full_disk_is_named_not_the_state_folder(
    gated: Path, room: Path, tmp_path: Path
) -> None:
    """The releases folder on a small disk of its own fills while the pack is written: the
    line sends the operator to that disk, not to the state folder's, which has room."""
    state = tmp_path / "state"
    shutil.copytree(gated, state)
    script = f"""
        {sys.executable} -m retention.cli release --quarter 2023Q4 --state {state} \\
            --out "$ROOM/releases"
    """
    run = _tmpfs_run("300k", script)
    assert run.returncode == REFUSED, run.stderr[-2000:]
    line = one_line(run)
    assert line.startswith(f"磁盘空间不足（{room / 'releases'}）"), line
    assert str(state) not in line


def test_sigterm_and_ctrl_c_stop_a_long_ingest_with_one_line(tmp_path: Path) -> None:
    for number in (signal.SIGTERM, signal.SIGINT):
        state = tmp_path / f"state-{number}"
        command = [sys.executable, "-m", "retention.cli", "-v", "ingest"]
        command += ["--landing", str(SAMPLE_LANDING), "--state", str(state), "--sample-key"]
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        for line in process.stderr:
            if "loaded " in line:  # a file is in, the next is being read
                break
        process.send_signal(number)
        _, err = process.communicate(timeout=60)
        assert process.returncode == INTERRUPTED
        assert err.strip().splitlines()[-1].startswith("已中断")
        assert "Traceback" not in err


def test_an_airflow_step_refused_for_good_fails_its_task_without_retry(
    ingested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Airflow retries a task unless it raises AirflowFailException: a draft of the release
    refused on an unbuilt warehouse would be refused again in five minutes."""
    from airflow.sdk.exceptions import AirflowFailException

    from retention.orchestration import steps
    from retention.release.pack_data import ReleaseRefused

    monkeypatch.setenv("RETENTION_STATE", str(ingested))
    monkeypatch.setenv("RETENTION_RELEASES", str(ingested.parent / "releases"))
    with pytest.raises(AirflowFailException, match="run `retention build`") as failed:
        steps.draft("2023Q3")
    assert isinstance(failed.value.__cause__, ReleaseRefused)


@pytest.mark.parametrize("damage", [b"", b"SQLite format 3\x00"], ids=["not-sqlite", "truncated"])
def test_a_damaged_airflow_database_is_named_with_what_to_do(
    damage: bytes, landing: Path, tmp_path: Path
) -> None:
    """`retention run`'s Airflow records (<state>/airflow) hold nothing the warehouse or the
    releases need: a damaged file (a disk fault, a copy cut short) is named, with the remedy."""
    home = tmp_path / "state" / "airflow"
    home.mkdir(parents=True)
    (home / "airflow.db").write_bytes(damage + b"\x5a" * 4096)
    run = retention_cli(
        "run", "--quarter", "2023Q4", "--landing", str(landing),
        "--state", str(tmp_path / "state"), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert run.returncode == REFUSED
    line = one_line(run)
    bilingual(line)
    assert f"{home / 'airflow.db'}" in line and f"move the folder {home} aside" in line
