"""`make bench`: the whole job end to end through Airflow (`retention run`, the real DAGs with
dag.test) and the same stages called directly, at several scales, with the ratio.

Writes bench-results/pipeline.json. Each run starts from an empty state folder. Where the gate
fails only on the plausibility of scaled-up data (×100), the check is waived as a user would
(bench/waiver.py): directly between the gate and the release; through Airflow, where `retention
run` stops at the gate, between that run and a second one, which goes on to the release.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from retention import errors
from retention.bench.ingest import prepare
from retention.bench.measure import in_child, machine, write
from retention.bench.waiver import waive_scaled_sample

QUARTER = "2024Q2"


def _ingest(landing: Path, state: Path, out: Path) -> None:
    from retention.ingest.loader import ingest

    ingest(landing, state)


def _build(landing: Path, state: Path, out: Path) -> None:
    from retention.build import build

    build(state)


def _gate(landing: Path, state: Path, out: Path) -> bool:
    from retention.gate.runner import run_gate

    return run_gate(state, QUARTER).passed


def _release(landing: Path, state: Path, out: Path) -> None:
    from retention.release.pack import make_release

    make_release(state, QUARTER, out)


STAGES = {"ingest": _ingest, "build": _build, "gate": _gate, "release": _release}


def direct(landing: Path, state: Path, out: Path, scale: int) -> tuple[dict, dict | None]:
    """Each stage called as a function, in a fresh process of its own: its seconds and peak
    memory; and the waiver the gate needed, if it did."""
    stages, waived = {}, None
    for stage, call in STAGES.items():
        passed, seconds, peak = in_child(call, landing, state, out)
        stages[stage] = {"seconds": round(seconds, 1), "peak_memory_mib": peak}
        if stage == "gate" and not passed:
            waived = waive_scaled_sample(state, QUARTER, scale)
    return stages, waived


def orchestrated(landing: Path, state: Path, out: Path, scale: int) -> dict:
    """The real DAGs through `retention run`, in a process of its own as a user runs it: its
    seconds and peak memory, and each stage's seconds from Airflow's own task records (both
    runs' when the gate needed a waiver: the second builds again, over unchanged data)."""
    command = [sys.executable, "-m", "retention.cli", "run", "--quarter", QUARTER]
    paths = ["--landing", str(landing), "--state", str(state), "--out", str(out)]
    started = time.perf_counter()
    first = subprocess.run([*command, *paths], capture_output=True, text=True)
    waived = None
    if first.returncode == errors.CHECKS_FAILED:
        waived = waive_scaled_sample(state, QUARTER, scale)
        subprocess.run([*command, *paths], check=True, capture_output=True)
    elif first.returncode != 0:
        raise RuntimeError(f"retention run failed:\n{first.stderr}")
    # the waiver's own seconds are apart, as in the direct run
    seconds = time.perf_counter() - started - (waived["seconds"] if waived else 0)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 1),
        "peak_memory_mib": round(peak, 1),
        "stages_seconds": task_seconds(state / "airflow" / "airflow.db"),
        **({"runs": 2, "waived": waived} if waived else {}),
    }


def task_seconds(metadata_db: Path) -> dict[str, float]:
    """Seconds per stage, its tasks' durations summed: the ingest DAGs; the completeness
    check and the dbt group (producer and node tasks); gate; release (the draft, which makes the
    pack, and its publication)."""
    stage = (
        "case when dag_id like 'ingest_%' then 'ingest' "
        "when task_id = 'completeness' or task_id like 'build.%' then 'build' "
        "when task_id = 'draft' then 'release' "
        "else task_id end"
    )
    with sqlite3.connect(metadata_db) as con:
        rows = con.execute(
            f"select {stage}, sum(julianday(end_date) - julianday(start_date)) * 86400 "
            f"from task_instance group by 1"
        ).fetchall()
    return {name: round(seconds, 1) for name, seconds in rows if name in STAGES}


def fresh(*folders: Path) -> None:
    from retention.release.versions import remove_releases

    for folder in folders:  # a releases folder's versions are read-only: removed as such
        remove_releases(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--data", type=Path, default=Path("bench-data"))
    parser.add_argument("--out", type=Path, default=Path("bench-results/pipeline.json"))
    args = parser.parse_args()
    runs = []
    for scale in (int(s) for s in args.scales.split(",")):
        landing, _ = prepare(scale, args.data)
        state, out = args.data / f"pipeline-x{scale}", args.data / f"pipeline-releases-x{scale}"
        fresh(state, out)
        stages, waived = direct(landing, state, out, scale)
        direct_seconds = round(sum(s["seconds"] for s in stages.values()), 1)
        print(f"x{scale} direct: {stages}", flush=True)
        fresh(state, out)
        airflow, _, _ = in_child(orchestrated, landing, state, out, scale)
        run = {
            "scale": scale,
            "direct": {
                "seconds": direct_seconds,
                "stages": stages,
                **({"waived": waived} if waived else {}),
            },
            "through_airflow": airflow,
            "ratio_airflow_to_direct": round(airflow["seconds"] / direct_seconds, 2),
        }
        runs.append(run)
        print(
            f"x{scale}: direct {direct_seconds} s, through Airflow {airflow['seconds']} s "
            f"(x{run['ratio_airflow_to_direct']}); stages direct "
            f"{ {k: v['seconds'] for k, v in stages.items()} }, "
            f"through Airflow {airflow['stages_seconds']}"
        )
    write(
        args.out, {"benchmark": "pipeline", "quarter": QUARTER, "machine": machine(), "runs": runs}
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
