"""`make bench`: the whole job end to end through Airflow (`retention run`, the real DAGs with
dag.test) and the same stages called directly, at several scales, with the ratio.

Writes bench-results/pipeline.json. Each run starts from an empty state folder.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from retention.bench.ingest import prepare
from retention.bench.measure import in_child, machine, write

QUARTER = "2024Q2"


def direct(landing: Path, state: Path, out: Path) -> dict[str, float]:
    """Each stage called as a function, timed on its own."""
    from retention.build import build
    from retention.gate.runner import run_gate
    from retention.ingest.loader import ingest
    from retention.release.pack import make_release

    seconds = {}
    for stage, call in (
        ("ingest", lambda: ingest(landing, state)),
        ("build", lambda: build(state)),
        ("gate", lambda: run_gate(state, QUARTER)),
        ("release", lambda: make_release(state, QUARTER, out)),
    ):
        started = time.perf_counter()
        call()
        seconds[stage] = round(time.perf_counter() - started, 1)
    return seconds


def orchestrated(landing: Path, state: Path, out: Path) -> float:
    """The real DAGs through `retention run`, in a process of its own as a user runs it."""
    command = [sys.executable, "-m", "retention.cli", "run", "--quarter", QUARTER]
    paths = ["--landing", str(landing), "--state", str(state), "--out", str(out)]
    started = time.perf_counter()
    subprocess.run([*command, *paths], check=True, capture_output=True)
    return time.perf_counter() - started


def fresh(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


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
        stages, direct_seconds, direct_peak = in_child(direct, landing, state, out)
        fresh(state, out)
        airflow_seconds, _, _ = in_child(orchestrated, landing, state, out)
        run = {
            "scale": scale,
            "direct": {
                "stages_seconds": stages,
                "seconds": round(direct_seconds, 1),
                "peak_memory_mib": direct_peak,
            },
            "through_airflow_seconds": round(airflow_seconds, 1),
            "ratio_airflow_to_direct": round(airflow_seconds / direct_seconds, 2),
        }
        runs.append(run)
        print(
            f"x{scale}: direct {direct_seconds:.1f} s {stages}, through Airflow "
            f"{airflow_seconds:.1f} s (x{run['ratio_airflow_to_direct']})"
        )
    write(
        args.out, {"benchmark": "pipeline", "quarter": QUARTER, "machine": machine(), "runs": runs}
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
