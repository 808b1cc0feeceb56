"""`make bench-ingest`: the loader against bare DuckDB on the same files, at a scale factor.

Writes bench-results/ingest.json: MB/s and rows/s of the loader per format (UTF-8 CSV,
GB18030 CSV, XLSX), of DuckDB's own read_csv on the same UTF-8 CSV files into tables, their
ratio, and the loader's peak memory.
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import time
from pathlib import Path

import duckdb

from retention.bench.measure import in_child, machine, write
from retention.contract import default_contract
from retention.ingest.delivery import settle_seconds
from retention.ingest.naming import parse_file_name
from retention.ingest.reading import Spec, find_header

MB = 1e6


def prepare(scale: int, data: Path) -> tuple[Path, float | None]:
    """The landing folder at this scale, generated once and kept between runs."""
    landing = data / f"x{scale}"
    done = landing / ".complete"
    if done.exists():
        return landing, None
    from retention.sample import generate

    shutil.rmtree(landing, ignore_errors=True)
    started = time.perf_counter()
    generate(landing, scale=scale)
    seconds = time.perf_counter() - started
    done.touch()
    # the loader leaves a file changed within the settle time for its next run (it may still be
    # being written): a benchmark run straight after generating would load none of them
    time.sleep(settle_seconds())
    return landing, seconds


def run_loader(landing: Path, state: Path) -> tuple[list[dict], float]:
    """Each file's outcome, and the largest reading child's peak memory in MiB (the sandbox's
    children are this process's descendants, waited for when the run ends)."""
    from retention.ingest.loader import ingest

    shutil.rmtree(state, ignore_errors=True)
    files = [
        {
            "file": r.file,
            "status": r.status,
            "encoding": r.encoding,
            "rows": r.rows_loaded + r.rows_rejected,
            "bytes": (landing / r.file).stat().st_size,
            "seconds": r.seconds,
        }
        for r in ingest(landing, state)
    ]
    return files, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def copy_of_ingested(landing: Path, ingested: Path, state: Path) -> Path:
    """A fresh copy, at `state`, of the landing folder ingested into `ingested` (once: kept
    between runs, as ingesting at x100 takes minutes)."""
    if not (ingested / "warehouse.duckdb").exists():
        in_child(run_loader, landing, ingested)
    shutil.rmtree(state, ignore_errors=True)
    shutil.copytree(ingested, state)
    return state


def run_bare_duckdb(files: list[tuple[str, int]], database: Path) -> dict:
    """DuckDB's own CSV reader, told where the header is, each file into its own table."""
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    rows = 0
    started = time.perf_counter()
    for i, (path, header_line) in enumerate(files):
        con.execute(
            f"create table t{i} as select * from read_csv(?, header = true, skip = ?)",
            [path, header_line - 1],
        )
        rows += con.execute(f"select count(*) from t{i}").fetchall()[0][0]
    seconds = time.perf_counter() - started
    con.close()
    return {"rows": rows, "seconds": seconds}


def throughput(files: list[dict]) -> dict:
    size = sum(f["bytes"] for f in files)
    rows = sum(f["rows"] for f in files)
    seconds = sum(f["seconds"] for f in files)
    return {
        "files": len(files),
        "megabytes": round(size / MB, 1),
        "rows": rows,
        "seconds": round(seconds, 2),
        "mb_per_s": round(size / MB / seconds, 1) if seconds else None,
        "rows_per_s": round(rows / seconds) if seconds else None,
    }


def header_line(path: Path) -> int:
    feed = default_contract().feeds[parse_file_name(path.name).feed]
    spec = Spec([(c.header, c.name) for c in feed.columns], [])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        head = [(n, next(csv.reader([fh.readline()]), [])) for n in range(1, 65)]
    return find_header(spec, head)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--data", type=Path, default=Path("bench-data"))
    parser.add_argument("--out", type=Path, default=Path("bench-results/ingest.json"))
    args = parser.parse_args()

    landing, generated = prepare(args.scale, args.data)
    state = args.data / f"state-x{args.scale}"
    (loaded, reader_peak), wall, peak = in_child(run_loader, landing, state)
    by_encoding = {
        kind: [f for f in loaded if f["encoding"] in kinds and f["status"] == "loaded"]
        for kind, kinds in {
            "utf8_csv": {"utf-8", "utf-8 with BOM"},
            "gb18030_csv": {"gb18030"},
            "xlsx": {"xlsx"},
        }.items()
    }
    utf8_files = [
        (str(landing / f["file"]), header_line(landing / f["file"]))
        for f in by_encoding["utf8_csv"]
    ]
    bare, _, bare_peak = in_child(run_bare_duckdb, utf8_files, args.data / "bare.duckdb")
    utf8 = throughput(by_encoding["utf8_csv"])
    bare_size = utf8["megabytes"]
    bare_stats = {
        "files": len(utf8_files),
        "megabytes": bare_size,
        "rows": bare["rows"],
        "seconds": round(bare["seconds"], 2),
        "mb_per_s": round(bare_size / bare["seconds"], 1),
        "rows_per_s": round(bare["rows"] / bare["seconds"]),
        "peak_memory_mib": bare_peak,
    }
    gb18030 = throughput(by_encoding["gb18030_csv"])
    result = {
        "benchmark": "ingest",
        "scale": args.scale,
        "machine": machine(),
        "duckdb": duckdb.__version__,
        "generate_seconds": round(generated, 1) if generated else None,
        "loader": {
            "files": len(loaded),
            "rows": sum(f["rows"] for f in loaded),
            "megabytes": round(sum(f["bytes"] for f in loaded) / MB, 1),
            "wall_seconds": round(wall, 1),
            "peak_memory_mib": peak,
            "reader_peak_memory_mib": round(reader_peak, 1),
            "refused": [f["file"] for f in loaded if f["status"] == "refused"],
            "utf8_csv": utf8,
            "gb18030_csv": gb18030,
            "xlsx": throughput(by_encoding["xlsx"]),
        },
        "bare_duckdb_read_csv": bare_stats,
        "ratio_utf8_csv": round(utf8["mb_per_s"] / bare_stats["mb_per_s"], 3),
        "ratio_gb18030_csv_to_bare_utf8": round(gb18030["mb_per_s"] / bare_stats["mb_per_s"], 3),
    }
    write(args.out, result)
    loader = result["loader"]
    print(f"scale x{args.scale}: {loader['rows']} rows, {loader['megabytes']} MB in {wall:.1f} s")
    print(f"  loader UTF-8 CSV   {utf8['mb_per_s']} MB/s, {utf8['rows_per_s']} rows/s")
    print(f"  bare DuckDB        {bare_stats['mb_per_s']} MB/s, {bare_stats['rows_per_s']} rows/s")
    print(
        f"  ratio              {result['ratio_utf8_csv']:.0%} (UTF-8), "
        f"{result['ratio_gb18030_csv_to_bare_utf8']:.0%} (GB18030 vs bare UTF-8)"
    )
    print(f"  loader GB18030 CSV {gb18030['mb_per_s']} MB/s, {gb18030['rows_per_s']} rows/s")
    print(f"  loader XLSX        {loader['xlsx']['rows_per_s']} rows/s")
    print(
        f"  peak memory        {peak:.0f} MiB (loader), {reader_peak:.0f} MiB (largest reading "
        f"child), {bare_peak:.0f} MiB (bare)"
    )
    print(f"  refused            {loader['refused'] or 'none'}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
