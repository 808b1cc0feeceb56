"""`retention verify`: are the published versions still what `release` wrote?

Each version's manifest.json lists every file of the version with its SHA-256, carries the
SHA-256 of its predecessor's manifest.json bytes (v1: null), and a digest of its own content.
Verifying re-hashes every file, looks for files the manifest does not list, and follows the
chain from v1 up: a changed file, a changed or replaced manifest, a removed or added file and
a removed version all show. Nothing here trusts a manifest's text: a file name it lists must be
a plain name inside its folder.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retention.release.versions import sha256, versions

MANIFEST = "manifest.json"
QUARTER_FOLDER = re.compile(r"\d{4}Q[1-4]")


def content_digest(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's fields but this digest, in canonical JSON: an edit to the
    latest manifest, which no successor points to yet, shows too."""
    fields = {k: v for k, v in manifest.items() if k != "content_sha256"}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def link_to(folder: Path) -> str:
    """What a successor carries as `previous_manifest_sha256`: its predecessor's manifest
    bytes, hashed as they are on disk."""
    return sha256(folder / MANIFEST)


@dataclass
class Verified:
    versions: int = 0
    quarters: int = 0
    problems: list[str] = field(default_factory=list)


def _problem(where: Path, out: Path, zh: str, en: str) -> str:
    return f"{where.relative_to(out)}: {zh} / {en}"


def _linked(where: Path, out: Path) -> str:
    """A link in place of a published folder or file points at a copy that is not read-only
    and may change after the check: what `release` published is plain folders and files."""
    return _problem(where, out, "是一个链接，不是发布的原件", "a link, not the published one")


def _read_manifest(path: Path) -> dict[str, Any]:
    """The manifest, or ValueError saying why it cannot be one."""
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(str(error).splitlines()[0]) from None
    wanted = {"quarter", "version", "files", "previous_manifest_sha256", "content_sha256"}
    if not isinstance(manifest, dict) or not wanted <= manifest.keys():
        raise ValueError(f"not a release manifest: it lacks {', '.join(sorted(wanted))}")
    files = manifest["files"]
    if not isinstance(files, list) or not all(
        isinstance(f, dict) and isinstance(f.get("file"), str) and isinstance(f.get("sha256"), str)
        for f in files
    ):
        raise ValueError("not a release manifest: `files` is not a list of file and sha256")
    return manifest


def _version_problems(out: Path, quarter: str, version: int) -> list[str]:
    return folder_problems(out, quarter, version, out / quarter / f"v{version}")


def folder_problems(out: Path, quarter: str, version: int, folder: Path) -> list[str]:
    """The files of v<version>, or of its draft, against its manifest, and its manifest's link
    to v<version-1>."""
    path = folder / MANIFEST
    links = [p for p in (folder, path) if p.is_symlink()]
    if links:
        return [_linked(p, out) for p in links]
    if not path.is_file():
        return [_problem(path, out, "清单缺失", "manifest missing")]
    try:
        manifest = _read_manifest(path)
    except ValueError as unreadable:
        return [_problem(path, out, "清单无法读取", f"unreadable manifest ({unreadable})")]
    problems = []
    if manifest["content_sha256"] != content_digest(manifest):
        problems.append(
            _problem(path, out, "清单内容已被改动", "altered: its content differs from its digest")
        )
    if (manifest["quarter"], manifest["version"]) != (quarter, version):
        problems.append(
            _problem(
                path,
                out,
                f"这是 {manifest['quarter']} v{manifest['version']} 的清单",
                f"the manifest is {manifest['quarter']} v{manifest['version']}'s",
            )
        )
    link = _link_problem(out, path, version, manifest["previous_manifest_sha256"])
    problems += [link] if link else []
    listed = {}
    for entry in manifest["files"]:
        name = entry["file"]
        if name in {"", ".", "..", MANIFEST} or "\0" in name or Path(name).name != name:
            problems.append(
                _problem(path, out, "清单列出了不合法的文件名", f"lists a bad file name {name!r}")
            )
        else:
            listed[name] = entry["sha256"]
    for name, expected in listed.items():
        published = folder / name
        if published.is_symlink():
            problems.append(_linked(published, out))
        elif not published.is_file():
            problems.append(_problem(published, out, "文件缺失", "missing"))
        elif sha256(published) != expected:
            problems.append(
                _problem(
                    published, out, "内容已被改动", "altered: its SHA-256 is not the manifest's"
                )
            )
    for extra in sorted(folder.iterdir()):
        if extra.name not in listed and extra.name != MANIFEST:
            problems.append(
                _problem(extra, out, "清单中没有此文件", "unexpected: not in the manifest")
            )
    return problems


def _link_problem(out: Path, path: Path, version: int, carried: object) -> str | None:
    """v<version>'s manifest carries its predecessor's manifest hash (v1: none)."""
    if version == 1:
        if carried is None:
            return None
        return _problem(path, out, "v1 不应有上一版", "broken link: v1 names a predecessor")
    before = path.parent.with_name(f"v{version - 1}")  # beside the version or its draft
    if not (before / MANIFEST).is_file():
        return _problem(
            path, out, f"上一版 v{version - 1} 的清单不存在", f"broken link: v{version - 1} is gone"
        )
    if carried != link_to(before):
        return _problem(
            path,
            out,
            f"与 v{version - 1} 的清单对不上",
            f"broken link: v{version - 1}'s manifest.json is not the one it was built on",
        )
    return None


def verify_quarter(out: Path, quarter: str) -> list[str]:
    """Every problem with the quarter's published versions; empty when all verify."""
    if (out / quarter).is_symlink():
        return [_linked(out / quarter, out)]
    return [
        p for version in versions(out, quarter) for p in _version_problems(out, quarter, version)
    ]


def _quarters(out: Path) -> list[str]:
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if p.is_dir() and QUARTER_FOLDER.fullmatch(p.name))


def verify(out: Path, quarter: str | None = None) -> Verified:
    """Every published version under `out` (or of one quarter); nothing published is a problem
    too, so that a mistyped folder does not pass."""
    result = Verified()
    for name in [quarter] if quarter else _quarters(out):
        found = versions(out, name)
        result.quarters += bool(found)
        result.versions += len(found)
        result.problems += verify_quarter(out, name)
    if not result.versions:
        where = out / quarter if quarter else out
        result.problems.append(f"{where}: 没有已发布的版本 / no published version")
    return result
