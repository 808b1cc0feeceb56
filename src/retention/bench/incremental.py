"""`make bench-incremental`: what a new quarter costs the dbt build, against a full build.

At a scale factor: the warehouse ingested without the last quarter's files is built in full
(timed), the last quarter's files are loaded, and the build that follows (incremental models
computing only the new periods, dbt/macros/incremental_periods.sql) is timed; then the same
warehouse is built with --full-refresh, for the cost of a build from scratch of everything.
Writes bench-results/incremental.json with the ratio of the incremental build to the full one.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from retention.bench.ingest import copy_of_ingested, prepare
from retention.bench.measure import in_child, machine, write
from retention.ingest.naming import parse_file_name


def split_landing(landing: Path, out: Path) -> tuple[Path, Path, str]:
    """Two landing folders of hard links (the loader refuses symbolic links): every file but
    the last quarter's, and the last quarter's."""
    files = [p for p in landing.rglob("*.*") if p.is_file() and not p.name.startswith(".")]
    last = max(str(parse_file_name(p.name).quarter) for p in files)
    before, added = out / "before-last", out / "last"
    for folder in (before, added):
        shutil.rmtree(folder, ignore_errors=True)
    for path in files:
        target = (added if str(parse_file_name(path.name).quarter) == last else before) / (
            path.relative_to(landing)
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    return before, added, last


def run_build(state: Path, full_refresh: bool = False) -> int:
    from retention.build import build

    return len(build(state, full_refresh=full_refresh))


def measure(scale: int, data: Path) -> dict:
    landing, _ = prepare(scale, data)
    before, added, last = split_landing(landing, data / f"split-x{scale}")
    ingested = data / f"state-x{scale}-before-last"
    state = copy_of_ingested(before, ingested, data / f"incremental-x{scale}")
    _, full_seconds, _ = in_child(run_build, state)
    (loaded, _), load_seconds, _ = in_child(run_loader_into, added, state)
    _, incremental_seconds, incremental_peak = in_child(run_build, state)
    _, refresh_seconds, refresh_peak = in_child(run_build, state, True)
    return {
        "scale": scale,
        "last_quarter": last,
        "files_added": len(loaded),
        "full_build_seconds": round(full_seconds, 1),
        "load_last_quarter_seconds": round(load_seconds, 1),
        "incremental_build_seconds": round(incremental_seconds, 1),
        "full_refresh_build_seconds": round(refresh_seconds, 1),
        "ratio": round(incremental_seconds / refresh_seconds, 3),
        "peak_memory_mib": {"incremental": incremental_peak, "full_refresh": refresh_peak},
    }


def run_loader_into(landing: Path, state: Path) -> tuple[list[str], None]:
    """The loader on an existing warehouse (run_loader starts from an empty state)."""
    from retention.ingest.loader import ingest

    return [r.status for r in ingest(landing, state)], None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--data", type=Path, default=Path("bench-data"))
    parser.add_argument("--out", type=Path, default=Path("bench-results/incremental.json"))
    args = parser.parse_args()
    result = measure(args.scale, args.data)
    write(args.out, {"benchmark": "incremental", "machine": machine(), **result})
    print(
        f"x{args.scale}: adding {result['last_quarter']} ({result['files_added']} files), "
        f"incremental build {result['incremental_build_seconds']} s against a full build "
        f"(--full-refresh) of {result['full_refresh_build_seconds']} s: ratio {result['ratio']}"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
