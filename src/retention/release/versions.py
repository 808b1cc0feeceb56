"""Release folders: `<out>/<quarter>/v<N>/`, written once, never rewritten.

A version is first written as a draft, `<out>/<quarter>/draft-v<N>/`, read-only as a version
is, for people to look at before they approve it; approving publishes the draft as it is, by
renaming it to v<N>. A newer draft replaces an older one.

A new version is made only when the inputs changed (the KPI values, the status or the
submissions they were built from); it then carries a restatement note naming each KPI that
changed, its old and new value, and the submissions behind the change: of the quarters the
pack reads, those the build behind the new version read and the one behind the old version
did not, and the other way round.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# `release` writes the name: v1, v2, ... in ASCII digits. Not `\d`, which also matches other
# scripts' digits, nor leading zeros: a `v01` or `v١` beside v1 would be read as v1 twice.
VERSION_FOLDER = re.compile(r"v([1-9][0-9]*)")
DRAFT_PREFIX = "draft-"
# In the releases folder: one release at a time writes into it (see `publishing`).
LOCK_NAME = ".release.lock"


def versions(out: Path, quarter: str) -> list[int]:
    folder = out / quarter
    if not folder.exists():
        return []
    return sorted(int(m[1]) for p in folder.iterdir() if (m := VERSION_FOLDER.fullmatch(p.name)))


def draft_folder(out: Path, quarter: str, version: int) -> Path:
    return out / quarter / f"{DRAFT_PREFIX}v{version}"


def remove_drafts(out: Path, quarter: str) -> None:
    """Drafts not approved: a new draft, or a release that found nothing new, replaces them."""
    folder = out / quarter
    for draft in sorted(folder.glob(f"{DRAFT_PREFIX}v*")) if folder.is_dir() else []:
        log.info("removing %s, a draft never approved", draft)
        discard(draft)


@contextmanager
def publishing(out: Path) -> Iterator[None]:
    """Hold the releases folder while a release reads and writes it. The state folder's lock
    does not cover this: two state folders may release into one folder, and each would take
    the other's staging folder for a killed release's leftover and number its version as if
    it were alone. A release takes seconds: the second one waits for the first, then builds
    on what the first published."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning(
                "正在等待另一个发布写完 %s / waiting for another release into %s to finish ...",
                out,
                out,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def fingerprint(
    kpis: dict[str, Any], submissions: list[dict[str, Any]], words: list[dict[str, str]]
) -> str:
    """What a release is built from; generated_at and the version are not part of it. The
    brief's words (narrative.Words.record) are: a staff text written since makes a version."""
    inputs = {
        "status": kpis["release"]["status"],
        "missing": kpis["release"].get("missing_feeds", []),
        "kpis": kpis["kpis"],
        "submissions": sorted(s["file_sha256"] for s in submissions),
        "words": words,
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
    """Read in blocks: a published file replaced by a huge one must not exhaust the memory."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def publish(staging: Path, target: Path) -> Path:
    """Make a finished staging folder read-only, the folder too (no file can be replaced,
    added or removed without changing its mode first), then move it into place in one rename:
    a release killed at any moment leaves either no version or a read-only one."""
    if target.exists():
        raise FileExistsError(f"{target} exists: a release is never rewritten")
    for path in [*staging.rglob("*"), staging]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    os.replace(staging, target)  # same parent: a read-only folder may be renamed
    return target


def _writable_tree(folder: Path) -> None:
    """Give back the owner's write permission on the folders under `folder`, so that they can
    be emptied (a published version, a staging folder sealed before its rename)."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def discard(staging: Path) -> None:
    """Remove a staging folder, whatever is there under its name: a link or a file is removed
    itself (never what it points to)."""
    if staging.is_symlink() or not staging.is_dir():
        staging.unlink(missing_ok=True)
        return
    _writable_tree(staging)
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
    if folder.is_dir():
        _writable_tree(folder)
    shutil.rmtree(folder, ignore_errors=True)


def outcome(quarter: str, version: int, status: str, path: object, created: bool) -> str:
    """The last line a release prints: the version it made, or the one that stands."""
    if created:
        return f"released {quarter} v{version} ({status}): {path}"
    return f"{quarter} unchanged: v{version} ({status}) stands at {path}"
