"""One writer on the state folder: a second writing command refuses naming the first, or waits
for it when told to; a killed holder leaves nothing locked; `retention run` and the Airflow
tasks it runs in-process share one hold; readers are not stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import INTAKE_HEADER, intake_row, retention_cli, write_csv

from retention.orchestration import steps
from retention.orchestration.settings import TASK_LOCK_WAIT_ENV
from retention.state_lock import HOLDER_NAME, StateBusy, hold

GOOD = "hrss/graduate_intake_2023Q3.csv"

HOLDER = """
import sys
from pathlib import Path
from retention.state_lock import hold
with hold(Path(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""

PROBE = """
import sys
from pathlib import Path
from retention.state_lock import StateBusy, hold
try:
    with hold(Path(sys.argv[1]), "probe"):
        print("free")
except StateBusy as busy:
    print(busy)
"""


@contextmanager
def held_elsewhere(state: Path, command: str) -> Iterator[subprocess.Popen]:
    """Another process holding the state as `command` until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state), command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def probe(state: Path) -> str:
    """What another process finds when it tries to take the state: "free" or the refusal."""
    found = subprocess.run(
        [sys.executable, "-c", PROBE, str(state)], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


def writing_commands(landing: Path, state: Path, out: Path) -> list[list[str]]:
    where = ["--state", str(state)]
    waiver = ["--check", "raw.graduate_intake", "--by", "王科长", "--reason", "已核实"]
    return [
        ["ingest", "--landing", str(landing), *where],
        ["build", *where],
        ["validate", "--quarter", "2023Q4", *where],
        ["waive", "--quarter", "2023Q4", *waiver, *where],
        ["release", "--quarter", "2023Q4", *where, "--out", str(out)],
        ["rekey", *where],
        ["run", "--quarter", "2023Q4", "--landing", str(landing), *where, "--out", str(out)],
    ]


def test_every_writing_command_is_refused_while_an_ingest_runs_naming_it(
    landing: Path, state: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "retention.cli", "ingest", "--landing", str(landing)]
    running = subprocess.Popen([*command, "--state", str(state)], stderr=subprocess.PIPE, text=True)
    while not (state / HOLDER_NAME).exists():  # it holds the state from here on
        time.sleep(0.01)
    running.send_signal(signal.SIGSTOP)  # caught mid-run
    assert running.poll() is None
    for args in writing_commands(landing, state, tmp_path / "releases"):
        second = retention_cli(*args)
        assert second.returncode == 2, (args, second.stderr)
        assert f"another command is using the state folder {state}" in second.stderr
        assert f"retention ingest (pid {running.pid} on " in second.stderr, args
        assert "Traceback" not in second.stderr
    assert not (tmp_path / "releases").exists()
    running.send_signal(signal.SIGCONT)
    _, err = running.communicate(timeout=60)
    assert running.returncode == 0, err
    assert not (state / HOLDER_NAME).exists()
    assert retention_cli(*writing_commands(landing, state, tmp_path)[0]).returncode == 0


def test_a_command_told_to_wait_says_for_whom_then_goes_on(landing: Path, state: Path) -> None:
    write_csv(landing / GOOD, INTAKE_HEADER, [intake_row(1, "2023-08-01")])
    with held_elsewhere(state, "retention build") as holder:
        waiting = subprocess.Popen(
            [sys.executable, "-m", "retention.cli", "ingest", "--landing", str(landing)]
            + ["--state", str(state), "--wait", "600", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        said = waiting.stderr.readline()
        assert f"waiting for retention build (pid {holder.pid} on " in said
        assert "正在等待 retention build" in said
        holder.stdin.close()  # the build ends
        out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "waiting for" not in err  # said once
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["loaded"]


def test_a_killed_holder_leaves_the_state_free(landing: Path, state: Path) -> None:
    with held_elsewhere(state, "retention build") as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        ingest = retention_cli("ingest", "--landing", str(landing), "--state", str(state))
    assert ingest.returncode == 0, ingest.stderr


def test_a_run_and_the_tasks_it_runs_in_process_share_one_hold(state: Path) -> None:
    with hold(state, "retention run"):
        with hold(state, "Airflow gate 2023Q4"):  # as a task of `retention run` takes it
            assert f"retention run (pid {os.getpid()} on " in probe(state)
        assert f"retention run (pid {os.getpid()} on " in probe(state)  # still the run's
    assert probe(state) == "free"


def test_readers_are_not_stopped_by_a_writer_holding_the_state(built: Path) -> None:
    with hold(built, "retention ingest"):
        kpis = retention_cli("kpis", "--quarter", "2023Q4", "--state", str(built))
        listing = retention_cli("archive", "list", "--state", str(built))
    assert kpis.returncode == 0 and json.loads(kpis.stdout)["quarter"] == "2023Q4"
    assert listing.returncode == 0 and "graduate_intake" in listing.stdout


@pytest.mark.parametrize(
    ("step", "args"),
    [
        (steps.ingest_department, ["hrss"]),
        (steps.completeness, ["2023Q4"]),
        (steps.gate, ["2023Q4"]),
        (steps.waive_failures, ["2023Q4", {"failures": []}, {"params_input": {}}]),
        (steps.draft, ["2023Q4"]),
        (steps.publish, ["2023Q4", {"version": 1, "digest": "0" * 64}]),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_the_airflow_steps_that_write_refuse_while_a_command_holds_the_state(
    step, args: list, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETENTION_STATE", str(state))
    monkeypatch.setenv(TASK_LOCK_WAIT_ENV, "0")  # not the half hour a task queues for
    with held_elsewhere(state, "retention build") as holder:
        busy = pytest.raises(StateBusy, match=rf"retention build \(pid {holder.pid} on ")
        with busy:
            step(*args)


def test_the_dbt_build_tasks_refuse_while_a_command_holds_the_state(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The producer runs dbt; a node's task runs dbt only when it falls back to building its
    node alone (a retry, a task cleared by hand): both refuse while a command writes."""
    from airflow.dag_processing.dagbag import DagBag
    from cosmos.operators._watcher.base import BaseConsumerSensor

    from retention.orchestration.embedded import DAGS_DIR

    dag = DagBag(dag_folder=str(DAGS_DIR)).dags["quarterly_release"]
    producer = dag.get_task("build.dbt_producer_watcher")
    nodes = [t for t in dag.tasks if isinstance(t, BaseConsumerSensor)]
    assert len(nodes) > 50 and producer.pool == "warehouse"
    monkeypatch.setenv("RETENTION_STATE", str(state))
    monkeypatch.setenv(TASK_LOCK_WAIT_ENV, "0")
    with held_elsewhere(state, "retention ingest") as holder:
        busy = rf"retention ingest \(pid {holder.pid} on "
        with pytest.raises(StateBusy, match=busy):  # before Cosmos looks at anything else
            producer.execute({"task": producer})
        for node in nodes:
            with pytest.raises(StateBusy, match=busy):
                node._fallback_to_non_watcher_run(2, {"task": node})
            with pytest.raises(StateBusy, match=busy):
                node._fallback_to_non_watcher_run(try_number=2, context={"task": node})


def test_a_lock_file_made_a_folder_or_a_link_gets_one_line_and_nothing_outside_is_made(
    landing: Path, state: Path, tmp_path: Path
) -> None:
    """A link is not followed: the lock would create its target wherever it points."""
    write_csv(landing / GOOD, INTAKE_HEADER, [intake_row(1, "2023-08-01")])
    state.mkdir()
    (state / "state.lock").mkdir()
    as_folder = retention_cli("ingest", "--landing", str(landing), "--state", str(state))
    (state / "state.lock").rmdir()
    elsewhere = tmp_path / "elsewhere" / "made-by-the-lock"
    elsewhere.parent.mkdir()
    (state / "state.lock").symlink_to(elsewhere)
    as_link = retention_cli("ingest", "--landing", str(landing), "--state", str(state))

    for refused, reason in ((as_folder, "Is a directory"), (as_link, "Too many levels")):
        assert refused.returncode == 2
        (line,) = refused.stderr.strip().splitlines()
        assert line.startswith("retention ingest 未能完成（") and "could not finish: " in line
        assert f"{state / 'state.lock'}: {reason}" in line
    assert not elsewhere.exists()
