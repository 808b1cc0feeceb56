"""`make bench-warehouse`: the dbt build and the quality gate at several scale factors.

Writes bench-results/warehouse.json: seconds and peak memory per stage and scale. The data
and its ingested warehouse are shared with `make bench-ingest` (bench-data/). A gate that fails
only on the plausibility of scaled-up data is waived as a user would (bench/waiver.py), so that
`make bench-release` finds the quarter releasable.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from retention.bench.ingest import copy_of_ingested, prepare
from retention.bench.measure import in_child, machine, write
from retention.bench.waiver import waive_scaled_sample

QUARTER = "2023Q4"


def run_build(state: Path) -> int:
    from retention.build import build

    return len(build(state))


def run_gate(state: Path, quarter: str) -> dict:
    """The gate's outcome, and the CPU seconds it took (all its threads): on a shared machine
    they vary less with the load than the wall-clock seconds do."""
    started = time.process_time()
    from retention.gate.runner import run_gate as gate

    run = gate(state, quarter)
    cpu = round(time.process_time() - started, 1)
    return {"expectations": len(run.outcomes), "passed": run.passed, "cpu_seconds": cpu}


def measure(scale: int, data: Path) -> dict:
    landing, _ = prepare(scale, data)
    state = copy_of_ingested(landing, data / f"state-x{scale}", data / f"warehouse-x{scale}")
    nodes, build_seconds, build_peak = in_child(run_build, state)
    # A second build over unchanged data: what a re-run costs.
    _, rebuild_seconds, _ = in_child(run_build, state)
    gate, gate_seconds, gate_peak = in_child(run_gate, state, QUARTER)
    if not gate["passed"]:
        gate["waived"] = waive_scaled_sample(state, QUARTER, scale)
    files = sum(1 for _ in landing.rglob("*.*"))
    return {
        "scale": scale,
        "files": files,
        "dbt_build": {
            "seconds": round(build_seconds, 1),
            "peak_memory_mib": build_peak,
            "nodes": nodes,
        },
        "dbt_rebuild_unchanged_seconds": round(rebuild_seconds, 1),
        "gate": {"seconds": round(gate_seconds, 1), "peak_memory_mib": gate_peak, **gate},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--data", type=Path, default=Path("bench-data"))
    parser.add_argument("--out", type=Path, default=Path("bench-results/warehouse.json"))
    args = parser.parse_args()
    results = [measure(int(s), args.data) for s in args.scales.split(",")]
    write(
        args.out,
        {"benchmark": "warehouse", "quarter": QUARTER, "machine": machine(), "runs": results},
    )
    for r in results:
        print(
            f"x{r['scale']}: dbt build {r['dbt_build']['seconds']} s "
            f"({r['dbt_build']['peak_memory_mib']:.0f} MiB), gate {r['gate']['seconds']} s "
            f"({r['gate']['cpu_seconds']} s of CPU, {r['gate']['peak_memory_mib']:.0f} MiB)"
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
