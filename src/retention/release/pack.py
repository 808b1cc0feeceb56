"""`retention release`: an immutable, versioned leadership pack for one quarter, made from the
current build (retention.builds) after the gate passed on it, on top of published versions
that still verify (retention.release.verify)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from retention.errors import CHECKS_FAILED
from retention.release import versions
from retention.release.brief import write_brief
from retention.release.kpis_files import write_kpis_csv, write_kpis_json
from retention.release.pack_data import ReleaseRefused, ledger_files, read_pack_data
from retention.release.verify import content_digest, link_to, verify_quarter
from retention.release.workbook import write_workbook

log = logging.getLogger(__name__)


@dataclass
class Release:
    quarter: str
    version: int
    status: str
    path: Path
    created: bool  # False: the inputs had not changed, the latest version stands


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
    with versions.publishing(out):
        return _make_release(state, quarter, out, now or dt.datetime.now(dt.UTC))


def _make_release(state: Path, quarter: str, out: Path, now: dt.datetime) -> Release:
    versions.remove_partials(out, quarter)
    _refuse_if_tampered(out, quarter)  # also when nothing changed: "vN stands" must be true
    data = read_pack_data(state, quarter, now)
    fingerprint = versions.fingerprint(data.kpis, data.submissions)
    previous = versions.previous_manifest(out, quarter)
    if previous:
        _refuse_if_built_elsewhere(previous, ledger_files(state))
    if previous and previous["inputs_fingerprint"] == fingerprint:
        path = out / quarter / f"v{previous['version']}"
        log.info("%s unchanged since v%s: no new version", quarter, previous["version"])
        return Release(quarter, previous["version"], previous["status"], path, created=False)

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
                data, staging / f"慈溪市高校毕业生留慈工作季度报告_{quarter}_v{version}.pdf"
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
            "built_from": data.submissions,
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
        target = versions.publish(staging, out / quarter / f"v{version}")
    except BaseException:
        versions.discard(staging)
        raise
    return Release(quarter, version, manifest["status"], target, created=True)
