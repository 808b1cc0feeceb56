"""A release is provably made from the data it names, and stays as it was published: build
runs on record, the gate and the release tied to the current build, `retention verify`."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import query, resend_without, retention_cli
from pypdf import PdfReader

from retention.build import build, run_dbt
from retention.gate.runner import run_gate
from retention.ingest.loader import ingest
from retention.paths import SAMPLE_LANDING
from retention.release.pack import make_release
from retention.release.pack_data import ReleaseRefused

QUARTER = "2023Q4"
RESENT = "talent_child_enrollment_2023Q4_v2.csv"


def copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="module")
def first(built: Path, tmp_path_factory) -> tuple[Path, Path]:
    """The sample built, gated and released as v1: (state, releases)."""
    root = tmp_path_factory.mktemp("first")
    state, out = copy(built, root / "state"), root / "releases"
    assert run_gate(state, QUARTER).passed
    assert make_release(state, QUARTER, out).version == 1
    return state, out


@pytest.fixture(scope="module")
def resent(first: tuple[Path, Path], tmp_path_factory) -> Path:
    """A copy of `first`'s state after the education bureau sent a v2 of its 2023Q4 file
    (one enrolment fewer); not built since."""
    root = tmp_path_factory.mktemp("resent")
    state = copy(first[0], root / "state")
    (source,) = SAMPLE_LANDING.glob("edu/talent_child_enrollment_2023Q4.*")
    target = root / "landing" / "edu" / RESENT
    resend_without(source, target, {"受理编号", "case_id"}, lambda i, row, _: row if i else None)
    (loaded,) = ingest(root / "landing", state)
    assert loaded.status == "loaded"
    return state


@pytest.fixture(scope="module")
def second(resent: Path, first: tuple[Path, Path], tmp_path_factory) -> tuple[Path, Path]:
    """`resent` built, gated and released as v2 after `first`'s v1: (state, releases)."""
    root = tmp_path_factory.mktemp("second")
    state, out = copy(resent, root / "state"), copy(first[1], root / "releases")
    build(state)
    assert run_gate(state, QUARTER).passed
    assert make_release(state, QUARTER, out).version == 2
    return state, out


def release_cli(state: Path, out: Path) -> subprocess.CompletedProcess:
    return retention_cli("release", "--quarter", QUARTER, "--state", str(state), "--out", str(out))


def verify_cli(out: Path) -> subprocess.CompletedProcess:
    return retention_cli("verify", "--quarter", QUARTER, "--out", str(out))


def test_a_v2_ingested_and_not_built_is_neither_validated_nor_released(
    resent: Path, first: tuple[Path, Path], tmp_path: Path
) -> None:
    out = copy(first[1], tmp_path / "releases")

    validate = retention_cli("validate", "--quarter", QUARTER, "--state", str(resent))
    release = release_cli(resent, out)

    for refused in (validate, release):
        assert refused.returncode == 2
        assert "retention build" in refused.stderr
        assert "read other submissions than the ledger's current ones (1 new, 1 gone)" in (
            refused.stderr
        )
        assert "请运行" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1"]


def _wait_for_line(log: Path, start: int, text: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        with log.open("rb") as fh:
            fh.seek(start)
            if text.encode() in fh.read():
                return
        time.sleep(0.2)
    raise AssertionError(f"dbt never logged {text!r} (exit {process.poll()})")


def test_a_build_killed_midway_leaves_no_release(
    resent: Path, first: tuple[Path, Path], tmp_path: Path
) -> None:
    state, out = copy(resent, tmp_path / "state"), copy(first[1], tmp_path / "releases")
    log = state / "dbt" / "logs" / "dbt.log"
    start = log.stat().st_size
    command = [sys.executable, "-m", "retention.cli", "build", "--state", str(state)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # dbt logs its on-run-start hook done (the build on record) before the first model
        _wait_for_line(log, start, "OK hook: cixi_retention.on-run-start", process)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    (killed,) = query(
        state, "select build_id, ended_at, success from ops.builds order by started_at desc limit 1"
    )
    assert killed[1:] == (None, None)
    validate = retention_cli("validate", "--quarter", QUARTER, "--state", str(state))
    release = release_cli(state, out)
    for refused in (validate, release):
        assert refused.returncode == 2
        assert f"the latest dbt run ({killed[0]}, started" in refused.stderr
        assert "never finished (killed, or still running): run `retention build`" in refused.stderr
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1"]


def test_a_partial_build_after_the_full_one_needs_a_full_build_again(
    second: tuple[Path, Path], tmp_path: Path
) -> None:
    state, out = copy(second[0], tmp_path / "state"), copy(second[1], tmp_path / "releases")
    run_dbt(state, "build", "--select", "+int_feed_deliveries")  # a partial build by hand

    with pytest.raises(ReleaseRefused, match="built only part of the project: run `retention bu"):
        make_release(state, QUARTER, out)


def test_a_release_names_its_build_and_gate_and_restates_exactly_what_changed(
    first: tuple[Path, Path], second: tuple[Path, Path]
) -> None:
    state, out = second
    v1, v2 = out / QUARTER / "v1", out / QUARTER / "v2"
    assert digest(v1) == digest(first[1] / QUARTER / "v1")
    ((build_id, started, ended),) = query(
        state,
        "select build_id, started_at, ended_at from ops.builds where is_full and success "
        "order by started_at desc limit 1",
    )
    manifest = json.loads((v2 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["build_run"] == {
        "build_id": build_id,
        "started_at": f"{started:%Y-%m-%dT%H:%M:%S}Z",
        "ended_at": f"{ended:%Y-%m-%dT%H:%M:%S}Z",
    }
    assert manifest["gate_run"]["build_id"] == build_id
    sql = "select run_id from gate.runs where build_id = ? and quarter = ?"
    ((gate_run,),) = query(state, sql, [build_id, QUARTER])
    assert manifest["gate_run"]["run_id"] == gate_run
    assert manifest["previous_manifest_sha256"] == sha((v1 / "manifest.json").read_bytes())
    assert json.loads((v1 / "manifest.json").read_bytes())["previous_manifest_sha256"] is None

    note = json.loads((v2 / "kpis.json").read_text(encoding="utf-8"))["release"]["restatement"]
    changed = {(c["kpi"], c["scope"]): (c["old"], c["new"]) for c in note["changed_kpis"]}
    assert changed["talent_child_enrollments", "ytd"] == (120, 119)
    ((v2_id, v2_sha),) = query(
        state,
        "select submission_id, file_sha256 from ledger.submissions where file_name = ?",
        [RESENT],
    )
    assert [(s["submission_id"], s["sha256"], s["file"]) for s in note["submissions"]] == [
        (v2_id, v2_sha, RESENT)
    ]
    ((v1_id, v1_file),) = query(
        state,
        "select submission_id, file_name from ledger.submissions where status = 'superseded' "
        "and feed = 'talent_child_enrollment' and quarter = ?",
        [QUARTER],
    )
    assert [(s["submission_id"], s["file"]) for s in note["submissions_removed"]] == [
        (v1_id, v1_file)
    ]
    pdf_text = "".join(p.extract_text() for p in PdfReader(only(v2, "*.pdf")).pages)
    assert "更正说明" in pdf_text and RESENT in pdf_text.replace("\n", "")
    overview = [c.value for c in openpyxl.load_workbook(only(v2, "*.xlsx"))["概览"]["A"]]
    assert any(str(v).startswith("更正说明") for v in overview)

    verified = verify_cli(out)
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.strip().endswith(
        "verified 2 version(s) of 1 quarter(s) in "
        f"{out}: every file matches its manifest and every version links to the one before"
    )


def test_published_versions_are_read_only_folders_and_files(second: tuple[Path, Path]) -> None:
    for version in (second[1] / QUARTER).iterdir():
        for path in [version, *version.iterdir()]:
            assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0, path


def digest(folder: Path) -> dict[str, str]:
    return {p.name: sha(p.read_bytes()) for p in sorted(folder.iterdir())}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def only(folder: Path, pattern: str) -> Path:
    (path,) = folder.glob(pattern)
    return path


def writable(path: Path) -> Path:
    """What someone changing a published file does first."""
    for target in (path.parent, path) if path.exists() else (path.parent,):
        target.chmod(target.stat().st_mode | stat.S_IWUSR)
    return path


def append_a_byte(folder: Path, pattern: str) -> Path:
    path = writable(only(folder, pattern))
    path.write_bytes(path.read_bytes() + b" ")
    return path


def replace_csv(folder: Path, _: str) -> Path:
    """The same rows in another order: every figure still there, the file not the one published."""
    path = writable(folder / "kpis.csv")
    header, first, second, *rest = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([header, second, first, *rest]) + "\n", encoding="utf-8-sig")
    return path


def restate_manifest(folder: Path, _: str) -> Path:
    """A plausible edit: the status made final, the JSON still valid."""
    path = writable(folder / "manifest.json")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["status"] = "final" if manifest["status"] != "final" else "provisional"
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return path


def damage_manifest(folder: Path, _: str) -> Path:
    path = writable(folder / "manifest.json")
    path.write_bytes(path.read_bytes()[:100])
    return path


def remove(folder: Path, pattern: str) -> Path:
    path = only(folder, pattern)
    writable(path.parent)
    path.unlink()
    return path


def add_extra(folder: Path, _: str) -> Path:
    path = writable(folder / "说明.txt")
    path.write_text("补充说明", encoding="utf-8")
    return path


TAMPERING: list[tuple[str, str, Callable[[Path, str], Path], str, str]] = [
    ("v1", "kpis.json", append_a_byte, "altered: its SHA-256 is not the manifest's", "json"),
    ("v2", "kpis.csv", replace_csv, "altered: its SHA-256 is not the manifest's", "csv"),
    ("v1", "*.xlsx", append_a_byte, "altered: its SHA-256 is not the manifest's", "xlsx"),
    ("v2", "*.pdf", append_a_byte, "altered: its SHA-256 is not the manifest's", "pdf"),
    ("v2", "manifest.json", restate_manifest, "altered: its content differs", "head-manifest"),
    ("v1", "manifest.json", restate_manifest, "altered: its content differs", "v1-manifest"),
    ("v1", "*.pdf", remove, "missing", "removed-file"),
    ("v2", "说明.txt", add_extra, "unexpected: not in the manifest", "extra-file"),
    ("v2", "manifest.json", damage_manifest, "unreadable manifest (", "damaged-manifest"),
    ("v1", "manifest.json", remove, "manifest missing", "removed-manifest"),
]


@pytest.mark.parametrize(
    ("version", "pattern", "tamper", "problem"),
    [case[:4] for case in TAMPERING],
    ids=[case[4] for case in TAMPERING],
)
def test_tampering_with_a_published_file_is_found_and_stops_the_next_release(
    second: tuple[Path, Path],
    tmp_path: Path,
    version: str,
    pattern: str,
    tamper: Callable[[Path, str], Path],
    problem: str,
) -> None:
    state, out = second[0], copy(second[1], tmp_path / "releases")
    changed = tamper(out / QUARTER / version, pattern)
    named = str(changed.relative_to(out))

    verified = verify_cli(out)
    release = release_cli(state, out)

    assert verified.returncode == 1
    assert f"{named}: " in verified.stdout and problem in verified.stdout
    if version == "v1" and changed.name == "manifest.json":  # v2 was built on the v1 it had
        assert "2023Q4/v2/manifest.json: " in verified.stdout and "broken link" in verified.stdout
    assert release.returncode == 1 and named in release.stderr
    assert "restore them from a backup" in release.stderr and "请先从备份恢复" in release.stderr
    assert len(release.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1", "v2"]


def test_a_release_removes_what_an_interrupted_release_left(
    second: tuple[Path, Path], tmp_path: Path
) -> None:
    out = copy(second[1], tmp_path / "releases")
    leftover = out / QUARTER / ".v3-0a1b2c3d.partial"
    leftover.mkdir()
    (leftover / "kpis.json").write_text("{}", encoding="utf-8")

    again = make_release(second[0], QUARTER, out)

    assert (again.created, again.version) == (False, 2)
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1", "v2"]


def test_verify_with_nothing_published_fails_naming_the_folder(tmp_path: Path) -> None:
    verified = retention_cli("verify", "--out", str(tmp_path / "releases"))
    assert verified.returncode == 1
    assert f"{tmp_path / 'releases'}: 没有已发布的版本 / no published version" in verified.stdout


def test_a_link_in_place_of_a_published_file_or_folder_does_not_verify(
    second: tuple[Path, Path], tmp_path: Path
) -> None:
    """The link points at an identical copy, but one that is not read-only and may change."""
    out = copy(second[1], tmp_path / "releases")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    csv = writable(out / QUARTER / "v2" / "kpis.csv")
    csv.rename(elsewhere / "kpis.csv")
    csv.symlink_to(elsewhere / "kpis.csv")
    v1 = writable(out / QUARTER / "v1")
    shutil.copytree(v1, elsewhere / "v1")
    v1.rename(tmp_path / "v1-moved-away")
    v1.symlink_to(elsewhere / "v1")

    verified = verify_cli(out)
    release = release_cli(second[0], out)

    assert verified.returncode == 1
    assert "2023Q4/v2/kpis.csv: 是一个链接，不是发布的原件 / a link, not the published one" in (
        verified.stdout
    )
    assert "2023Q4/v1: 是一个链接，不是发布的原件 / a link, not the published one" in (
        verified.stdout
    )
    assert release.returncode == 1 and "restore them from a backup" in release.stderr


def test_a_folder_named_like_a_version_but_not_written_so_is_no_version(
    second: tuple[Path, Path], tmp_path: Path
) -> None:
    """`v01` or `v١` (an Arabic-Indic one) is not v1 again: release writes v1, v2, ..."""
    out = copy(second[1], tmp_path / "releases")
    for name in ("v01", "v\u0661"):
        (out / QUARTER / name).mkdir()

    verified = verify_cli(out)

    assert verified.returncode == 0, verified.stdout
    assert "verified 2 version(s) of 1 quarter(s)" in verified.stdout


def test_a_release_removes_a_leftover_sealed_link_or_file_but_nothing_it_points_to(
    second: tuple[Path, Path], tmp_path: Path
) -> None:
    """What a release killed after sealing its staging folder leaves (read-only), and what
    someone put under a staging name: a link to a folder and a plain file."""
    out = copy(second[1], tmp_path / "releases")
    sealed = out / QUARTER / ".v3-0a1b2c3d.partial"
    sealed.mkdir()
    (sealed / "kpis.json").write_text("{}", encoding="utf-8")
    for path in (sealed / "kpis.json", sealed):
        path.chmod(0o500)
    target = tmp_path / "kept"
    target.mkdir()
    (target / "kpis.json").write_text("{}", encoding="utf-8")
    (out / QUARTER / ".v3-1b2c3d4e.partial").symlink_to(target, target_is_directory=True)
    (out / QUARTER / ".v3-2c3d4e5f.partial").write_text("", encoding="utf-8")

    again = make_release(second[0], QUARTER, out)

    assert (again.created, again.version) == (False, 2)
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1", "v2"]
    assert (target / "kpis.json").read_text(encoding="utf-8") == "{}"


def test_an_older_state_folder_does_not_release_over_a_version_built_from_more(
    first: tuple[Path, Path], second: tuple[Path, Path], tmp_path: Path
) -> None:
    """`first`'s state never loaded the v2 file behind `second`'s v2: a v3 from it would put
    back the figures v2 corrected (a backup restored, a second machine, a mistyped --state)."""
    out = copy(second[1], tmp_path / "releases")

    release = release_cli(first[0], out)

    assert release.returncode == 2
    assert len(release.stderr.strip().splitlines()) == 1
    assert (
        f"2023Q4 v2 was built from submissions this state folder has never loaded ({RESENT}): "
        "release from the state folder that made v2, or ingest those files first"
    ) in release.stderr
    assert "请在发布 v2 的状态目录上发布" in release.stderr
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1", "v2"]


RELEASE_HOLDER = """
import sys
from pathlib import Path
from retention.release.versions import publishing
with publishing(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_release_into_a_folder_another_release_is_writing_waits_for_it(
    first: tuple[Path, Path], second: tuple[Path, Path], tmp_path: Path
) -> None:
    """Two state folders, one releases folder: the state lock does not keep them apart. The
    second release must neither take the first's staging folder for a leftover nor number its
    version before the first has published."""
    out = copy(first[1], tmp_path / "releases")
    holder = subprocess.Popen(
        [sys.executable, "-c", RELEASE_HOLDER, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "held\n"
    staging = out / QUARTER / ".v2-0a1b2c3d.partial"  # the first release, still writing
    staging.mkdir()
    command = [sys.executable, "-m", "retention.cli", "release", "--quarter", QUARTER]
    command += ["--state", str(second[0]), "--out", str(out)]
    waiting = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        said = waiting.stderr.readline()
        assert f"waiting for another release into {out} to finish" in said
        assert staging.is_dir() and waiting.poll() is None
    finally:
        holder.stdin.close()
        holder.wait()
    stdout, stderr = waiting.communicate(timeout=300)

    assert waiting.returncode == 0, stderr
    assert stdout.startswith("released 2023Q4 v2 (final)")
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1", "v2"]


@pytest.mark.parametrize("room", [20_000, 100_000], ids=["at-the-workbook", "at-the-pdf"])
def test_a_disk_filling_up_during_a_release_gives_one_line_and_publishes_nothing(
    second: tuple[Path, Path], tmp_path: Path, room: int
) -> None:
    """A file size limit stands in for a full disk: the write fails the same way (EFBIG
    instead of ENOSPC), after some of the pack is written (kpis.json is 10 kB, the workbook
    40 kB, the PDF 400 kB)."""
    out = tmp_path / "releases"
    command = [sys.executable, "-m", "retention.cli", "release", "--quarter", QUARTER]
    command += ["--state", str(second[0]), "--out", str(out)]

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, resource.RLIM_INFINITY))

    full = subprocess.run(command, capture_output=True, text=True, preexec_fn=small_disk)

    assert full.returncode == 2
    (line,) = full.stderr.strip().splitlines()
    assert line.startswith("磁盘空间不足（") and "/ the disk is full (" in line
    assert line.endswith("free space on that disk and run the command again")
    assert list((out / QUARTER).iterdir()) == []
    assert release_cli(second[0], out).returncode == 0


def test_a_mistyped_state_or_quarter_gets_one_line_and_makes_no_folder(tmp_path: Path) -> None:
    typo = tmp_path / "stat"
    release = release_cli(typo, tmp_path / "releases")
    validate = retention_cli("validate", "--quarter", QUARTER, "--state", str(typo))
    quarter = retention_cli("verify", "--quarter", "2023Q5", "--out", str(tmp_path))

    for refused in (release, validate):
        assert refused.returncode == 2
        assert refused.stderr.strip().splitlines() == [
            f"{typo} 中没有仓库：请检查 --state，或先运行 `retention ingest` / there is no "
            f"warehouse in {typo}: check --state, or run `retention ingest` first"
        ]
    assert not typo.exists()
    assert quarter.returncode == 2
    assert quarter.stderr.strip().splitlines()[-1] == (
        "retention verify: error: argument --quarter: 不是季度：'2023Q5'，应写作如 2023Q4 / "
        "not a quarter: '2023Q5', write it like 2023Q4"
    )


def test_a_build_stopped_with_sigterm_says_it_was_interrupted(resent: Path, tmp_path: Path) -> None:
    """How Airflow and systemd stop a command; dbt catches the interrupt and reports a failed
    run, which must not read as a failed model."""
    state = copy(resent, tmp_path / "state")
    log = state / "dbt" / "logs" / "dbt.log"
    start = log.stat().st_size
    command = [sys.executable, "-m", "retention.cli", "build", "--state", str(state)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_line(log, start, "OK hook: cixi_retention.on-run-start", process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)

    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1].startswith("已中断")
    assert "BuildFailed" not in stderr


def test_a_published_file_replaced_by_a_huge_one_is_reported_not_a_crash(
    second: tuple[Path, Path], tmp_path: Path
) -> None:
    """Hashed in blocks: a 1 GB file (sparse, written in an instant) checked by a verify
    allowed half of that in memory."""
    out = copy(second[1], tmp_path / "releases")
    with writable(out / QUARTER / "v2" / "kpis.csv").open("wb") as fh:
        fh.truncate(1 << 30)

    def half_the_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 29, resource.RLIM_INFINITY))

    verified = subprocess.run(
        [sys.executable, "-m", "retention.cli", "verify", "--out", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=half_the_memory,
    )

    assert verified.returncode == 1, verified.stderr
    assert verified.stdout.strip().splitlines() == [
        "2023Q4/v2/kpis.csv: 内容已被改动 / altered: its SHA-256 is not the manifest's"
    ]
