"""Data scaled up is implausible by design: at ×100 the sample's Ningbo divisions receive and
target hundreds of thousands of graduates a year, beyond the gate's plausibility bound
(seeds/reference/plausibility_bounds.csv: 200,000), and the gate stops the quarter as it should.
The benchmarks let it through as a user would: that one check waived through `retention waive`,
by a name and with the reason. Any other blocking failure still stops them (the waiver's own
gate run fails)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

CHECK = "plausibility.district_intake_within_bounds"
BY = "make bench"


def waive_scaled_sample(state: Path, quarter: str, scale: int) -> dict:
    """`retention waive` of CHECK for the quarter (which runs the gate again): what was waived,
    and its seconds."""
    reason = (
        f"synthetic sample scaled ×{scale} for a benchmark: its division figures are the "
        f"sample's multiplied by {scale} / 基准测试用的合成样例数据（放大 {scale} 倍）"
    )
    command = [sys.executable, "-m", "retention.cli", "waive", "--quarter", quarter]
    command += ["--check", CHECK, "--by", BY, "--reason", reason, "--state", str(state)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"`retention waive` did not let {quarter} through:\n{done.stdout}")
    return {"check": CHECK, "by": BY, "reason": reason, "seconds": round(seconds, 1)}
