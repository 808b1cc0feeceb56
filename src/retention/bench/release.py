"""`make bench-release`: seconds and peak memory to build the leadership pack at ×1 and ×100.

Uses the built and gated warehouses that `make bench-warehouse` leaves in bench-data/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from retention.bench.measure import in_child, machine, write
from retention.bench.warehouse import QUARTER, measure


def run_release(state: Path, out: Path) -> int:
    from retention.release.pack import make_release
    from retention.release.versions import remove_releases

    remove_releases(out)
    return make_release(state, QUARTER, out).version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1,100")
    parser.add_argument("--data", type=Path, default=Path("bench-data"))
    parser.add_argument("--out", type=Path, default=Path("bench-results/release.json"))
    args = parser.parse_args()
    runs = []
    for scale in (int(s) for s in args.scales.split(",")):
        state = args.data / f"warehouse-x{scale}"
        if not (state / "gx").exists():  # built and gated by the warehouse benchmark
            measure(scale, args.data)
        _, seconds, peak = in_child(run_release, state, args.data / f"releases-x{scale}")
        runs.append({"scale": scale, "seconds": round(seconds, 1), "peak_memory_mib": peak})
        print(f"x{scale}: leadership pack in {seconds:.1f} s, peak {peak:.0f} MiB")
    write(
        args.out, {"benchmark": "release", "quarter": QUARTER, "machine": machine(), "runs": runs}
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
