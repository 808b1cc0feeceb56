"""`retention release`: an immutable, versioned leadership pack for one quarter, made from the
current build (retention.builds) after the gate passed on it, on top of published versions
that still verify (retention.release.verify).

The pack is made as a draft (`make_draft`), which the release DAG shows to its approvers and
publishes once approved (`publish_draft`), if it is still what they saw, made from the
warehouse as it still is. `retention release` does both at once."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from retention import warehouse
from retention.builds import NotBuilt, current_build
from retention.errors import CHECKS_FAILED
from retention.release import versions
from retention.release.brief import write_brief
from retention.release.kpis_files import write_kpis_csv, write_kpis_json
from retention.release.narrative import Words
from retention.release.pack_data import (
    ReleaseRefused,
    latest_gate_run,
    ledger_files,
    read_pack_data,
)
from retention.release.verify import (
    MANIFEST,
    content_digest,
    folder_problems,
    link_to,
    verify_quarter,
)
from retention.release.workbook import write_workbook

log = logging.getLogger(__name__)


@dataclass
class Release:
    quarter: str
    version: int
    status: str
    path: Path
    created: bool  # False: the inputs had not changed, the latest version stands


@dataclass
class Draft:
    quarter: str
    version: int
    status: str
    path: Path  # the draft; when nothing is new, the version that stands
    digest: str | None  # the draft manifest's content_sha256: what the approvers saw
    created: bool  # False: the inputs had not changed, the latest version stands, no draft

    def as_json(self) -> dict:
        return {
            "quarter": self.quarter,
            "version": self.version,
            "status": self.status,
            "path": str(self.path),
            "digest": self.digest,
            "created": self.created,
        }


def _refuse_if_tampered(out: Path, quarter: str) -> None:
    problems = verify_quarter(out, quarter)
    if problems:
        command = f"`retention verify --quarter {quarter} --out {out}`"
        raise ReleaseRefused(
            f"{quarter} 已发布的版本与其清单不符，请先从备份恢复（{command} 列出问题）/ "
            f"{quarter}'s published versions no longer match their manifests: restore them "
            f"from a backup first ({command} lists them): {'; '.join(problems)}",
            exit_code=CHECKS_FAILED,
        )


def _refuse_if_built_elsewhere(previous: dict, ledger: set[str]) -> None:
    """The previous version's submissions are all in this state folder's ledger (in effect or
    since replaced). Otherwise this state is not the one that made it (an older copy, another
    machine's): a new version from it would quietly undo the corrections the last one
    published."""
    unknown = [s for s in previous["built_from"] if s["file_sha256"] not in ledger]
    if unknown:
        quarter, version = previous["quarter"], previous["version"]
        files = ", ".join(s["file_name"] for s in unknown)
        raise ReleaseRefused(
            f"{quarter} v{version} 所依据的报送文件（{files}）从未载入本状态目录：请在发布 "
            f"v{version} 的状态目录上发布，或先载入这些文件 / {quarter} v{version} was built "
            f"from submissions this state folder has never loaded ({files}): release from the "
            f"state folder that made v{version}, or ingest those files first"
        )


def make_release(state: Path, quarter: str, out: Path, now: dt.datetime | None = None) -> Release:
    """Draft and publish at once: the person running it is the one approving."""
    with versions.publishing(out):
        draft = _make_draft(state, quarter, out, now or dt.datetime.now(dt.UTC))
        if not draft.created:
            return Release(quarter, draft.version, draft.status, draft.path, created=False)
        return _publish_draft(state, quarter, out, draft.version, draft.digest)


def make_draft(state: Path, quarter: str, out: Path, now: dt.datetime | None = None) -> Draft:
    """The next version as a read-only draft, `<out>/<quarter>/draft-v<N>/`, replacing any
    older draft; none when the inputs have not changed since the latest version."""
    with versions.publishing(out):
        return _make_draft(state, quarter, out, now or dt.datetime.now(dt.UTC))


def publish_draft(state: Path, quarter: str, out: Path, version: int, digest: str) -> Release:
    """Publish the approved draft as v<version>: only if it is still the one approved (its
    manifest's digest) and unaltered, and the warehouse is as the draft was made from (the
    same build, the same passed gate run)."""
    with versions.publishing(out):
        return _publish_draft(state, quarter, out, version, digest)


def _make_draft(state: Path, quarter: str, out: Path, now: dt.datetime) -> Draft:
    versions.remove_partials(out, quarter)
    _refuse_if_tampered(out, quarter)  # also when nothing changed: "vN stands" must be true
    data = read_pack_data(state, quarter, now)
    words = Words(quarter)
    fingerprint = versions.fingerprint(data.kpis, data.submissions, words.record())
    previous = versions.previous_manifest(out, quarter)
    if previous:
        _refuse_if_built_elsewhere(previous, ledger_files(state))
    versions.remove_drafts(out, quarter)
    if previous and previous["inputs_fingerprint"] == fingerprint:
        path = out / quarter / f"v{previous['version']}"
        log.info("%s unchanged since v%s: no new version", quarter, previous["version"])
        return Draft(quarter, previous["version"], previous["status"], path, None, created=False)

    version = previous["version"] + 1 if previous else 1
    release = data.kpis["release"]
    data.kpis["release"] = {
        "version": version,
        **{k: v for k, v in release.items() if k != "version"},
    }
    previous_folder = out / quarter / f"v{previous['version']}" if previous else None
    if previous_folder:
        previous_kpis = json.loads((previous_folder / "kpis.json").read_text(encoding="utf-8"))
        note = versions.restatement(previous, previous_kpis, data.kpis, data.submissions)
        data.kpis["release"]["restatement"] = note

    staging = out / quarter / f".v{version}-{uuid.uuid4().hex[:8]}.partial"
    staging.mkdir(parents=True)
    try:
        files = [
            write_kpis_json(data.kpis, staging / "kpis.json"),
            write_kpis_csv(data.kpis, staging / "kpis.csv"),
            write_workbook(
                data, staging / f"慈溪市高校毕业生留慈工作指标_{quarter}_v{version}.xlsx"
            ),
            write_brief(
                data,
                staging / f"慈溪市高校毕业生留慈工作季度报告_{quarter}_v{version}.pdf",
                words,
            ),
        ]
        manifest = {
            "quarter": quarter,
            "version": version,
            "status": data.kpis["release"]["status"],
            "generated_at": data.kpis["release"]["generated_at"],
            "missing_feeds": data.kpis["release"].get("missing_feeds", []),
            "files": [{"file": f.name, "sha256": versions.sha256(f)} for f in files],
            "build_run": data.build.as_json(),
            "gate_run": {k: str(v) for k, v in data.gate_run.items()},
            # what the gate let through, and what it warned of (the quality appendix shows both)
            "waivers": data.waivers,
            "warnings": [
                {
                    "check": f"{c['suite']}.{c['check_name']}",
                    "expectation": c["expectation"],
                    "observed": c["observed_value"],
                    "description_zh": c["description_zh"],
                }
                for c in data.warnings
            ],
            "built_from": data.submissions,
            # the brief's words: templates, the issuing authority, the staff's texts
            "words": words.record(),
            "inputs_fingerprint": fingerprint,
            "previous_manifest_sha256": link_to(previous_folder) if previous_folder else None,
        }
        # through JSON first, so that the digest is of what a reader parses back
        manifest = json.loads(json.dumps(manifest, default=str))
        manifest["content_sha256"] = content_digest(manifest)
        (staging / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
            encoding="utf-8",
        )
        target = versions.publish(staging, versions.draft_folder(out, quarter, version))
    except BaseException:
        versions.discard(staging)
        raise
    return Draft(quarter, version, manifest["status"], target, manifest["content_sha256"], True)


def _refuse_draft(quarter: str, version: int, zh: str, en: str) -> ReleaseRefused:
    again = "请重新运行发布，生成新的草稿并重新审批"
    return ReleaseRefused(
        f"{quarter} v{version} 的草稿{zh}，{again} / {quarter} v{version}'s draft {en}: run the "
        "release again to make a new draft and have it approved"
    )


def _publish_draft(state: Path, quarter: str, out: Path, version: int, digest: str) -> Release:
    _refuse_if_tampered(out, quarter)
    draft = versions.draft_folder(out, quarter, version)
    try:
        manifest = json.loads((draft / MANIFEST).read_bytes())
    except (OSError, ValueError):
        raise _refuse_draft(quarter, version, "已不存在", "is gone") from None
    if not isinstance(manifest, dict) or manifest.get("content_sha256") != digest:
        raise _refuse_draft(
            quarter, version, "已被替换，不是审批时的那一份", "was replaced: not the one approved"
        )
    problems = folder_problems(out, quarter, version, draft)
    if problems:
        raise _refuse_draft(
            quarter, version, "审批后被改动", f"was altered after approval ({'; '.join(problems)})"
        )
    with warehouse.connect(state, read_only=True) as con:
        try:
            build = current_build(con)
        except NotBuilt as stale:
            raise _refuse_draft(quarter, version, "之后仓库已变化", f"is stale: {stale}") from None
        gate_run = latest_gate_run(con, quarter, build)
    made_from = (manifest["build_run"]["build_id"], manifest["gate_run"]["run_id"])
    if (build.build_id, str(gate_run["run_id"])) != made_from:
        raise _refuse_draft(
            quarter,
            version,
            "生成后仓库已重新构建或重新检查",
            f"is stale: the warehouse was built or checked again since (build {build.build_id}, "
            f"gate run {gate_run['run_id']}; the draft's: build {made_from[0]}, gate run "
            f"{made_from[1]})",
        )
    target = out / quarter / f"v{version}"
    if target.exists():
        raise _refuse_draft(
            quarter, version, f"已被 v{version} 取代", f"was overtaken: v{version} exists"
        )
    os.replace(draft, target)  # same parent: a read-only folder may be renamed
    return Release(quarter, version, manifest["status"], target, created=True)
