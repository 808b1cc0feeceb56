"""Release folders: `<out>/<quarter>/v<N>/`, written once, never rewritten.

A new version is made only when the inputs changed (the KPI values, the status or the
submissions they were built from); it then carries a restatement note naming each KPI that
changed, its old and new value, and the submissions behind the change: of the quarters the
pack reads, those the build behind the new version read and the one behind the old version
did not, and the other way round.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def versions(out: Path, quarter: str) -> list[int]:
    folder = out / quarter
    if not folder.exists():
        return []
    return sorted(int(m[1]) for p in folder.iterdir() if (m := re.fullmatch(r"v(\d+)", p.name)))


def fingerprint(kpis: dict[str, Any], submissions: list[dict[str, Any]]) -> str:
    """What a release is built from; generated_at and the version are not part of it."""
    inputs = {
        "status": kpis["release"]["status"],
        "missing": kpis["release"].get("missing_feeds", []),
        "kpis": kpis["kpis"],
        "submissions": sorted(s["file_sha256"] for s in submissions),
    }
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def previous_manifest(out: Path, quarter: str) -> dict[str, Any] | None:
    found = versions(out, quarter)
    if not found:
        return None
    path = out / quarter / f"v{found[-1]}" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))


def restatement(
    previous: dict[str, Any], previous_kpis: dict[str, Any], kpis: dict[str, Any], submissions: list
) -> dict[str, Any]:
    """What changed since the last version, and which submissions brought the change."""

    def keyed(document: dict[str, Any]) -> dict[tuple, Any]:
        return {
            (r["kpi"], r["scope"], json.dumps(r["dimension"], sort_keys=True)): r["value"]
            for r in document["kpis"]
        }

    old, new = keyed(previous_kpis), keyed(kpis)
    changed = [
        {"kpi": k[0], "scope": k[1], "dimension": json.loads(k[2]), "old": old.get(k), "new": v}
        for k, v in new.items()
        if old.get(k) != v
    ]

    def keys(submissions: list[dict[str, Any]]) -> set[tuple[int, str]]:
        return {(s["submission_id"], s["file_sha256"]) for s in submissions}

    def described(submissions: list[dict[str, Any]], only: set[tuple[int, str]]) -> list[dict]:
        return [
            {
                "submission_id": s["submission_id"],
                "file": s["file_name"],
                "feed": s["feed"],
                "quarter": s["quarter"],
                "version": s["version"],
                "sha256": s["file_sha256"],
            }
            for s in submissions
            if (s["submission_id"], s["file_sha256"]) in only
        ]

    before, now = keys(previous["built_from"]), keys(submissions)
    return {
        "replaces_version": previous["version"],
        "changed_kpis": changed,
        # `submissions` (what the pack shows as the files behind the change) are those added
        "submissions": described(submissions, now - before),
        "submissions_removed": described(previous["built_from"], before - now),
        "status_before": previous["status"],
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def publish(staging: Path, target: Path) -> Path:
    """Move a finished staging folder into place in one rename, then make it read-only, the
    folder too: no file can be replaced, added or removed without changing its mode first."""
    if target.exists():
        raise FileExistsError(f"{target} exists: a release is never rewritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    for path in [*target.rglob("*"), target]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return target


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def remove_partials(out: Path, quarter: str) -> None:
    """Staging folders a killed release left behind (never published: the rename is the
    publication)."""
    folder = out / quarter
    for leftover in sorted(folder.glob(".v*.partial")) if folder.is_dir() else []:
        log.warning("removing %s, left over by an interrupted release", leftover)
        discard(leftover)


def remove_releases(folder: Path) -> None:
    """Delete a releases folder on purpose (a benchmark's scratch output): its published
    versions are read-only folders, which shutil.rmtree alone cannot empty."""
    for path in folder.rglob("*") if folder.is_dir() else []:
        if path.is_dir() and not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(folder, ignore_errors=True)
