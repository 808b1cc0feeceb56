"""The `retention` command."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from retention import errors, interrupts, pii, state_lock
from retention.paths import DEFAULT_RELEASES, DEFAULT_STATE, SAMPLE_LANDING, warehouse_path
from retention.state_files import owner_only


def _ingest(args: argparse.Namespace) -> int:
    from retention.ingest.loader import IngestStopped, ingest
    from retention.ingest.summary import progress_bar

    try:
        with progress_bar(args.landing, enabled=not args.json and sys.stderr.isatty()) as on_file:
            results = ingest(args.landing, args.state, on_file=on_file)
    except IngestStopped as stopped:  # say what was done before the run had to stop
        _report(args, stopped.results)
        raise
    _report(args, results)
    return 0


def _report(args: argparse.Namespace, results: list) -> None:
    from retention.ingest.summary import print_table

    if args.json:
        for result in results:
            print(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        print_table(results)


def _sample(args: argparse.Namespace) -> int:
    from retention.sample import generate, generate_broken

    if args.broken:
        cases = generate_broken(args.out)
        print(f"wrote {len(cases)} broken files to {args.out}")
    else:
        files = generate(args.out, scale=args.scale)
        print(f"wrote {len(files)} department files at scale {args.scale} to {args.out}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from retention.build import BuildFailed, build

    try:
        nodes = build(args.state, full_refresh=args.full_refresh)
    except BuildFailed as failed:
        if interrupts.stopped.is_set():  # dbt caught the interrupt and reports a failed run
            raise
        if known := errors.recognised(failed, args.state):  # a node found the disk full
            raise known from failed
        log = args.state / "dbt" / "logs" / "dbt.log"
        print(
            f"dbt 构建失败，详见 {log}，改正后请重新运行 `retention build` / {failed}; see {log}, "
            "fix it and run `retention build` again",
            file=sys.stderr,
        )
        return 1
    print(f"dbt build passed: {len(nodes)} models, seeds and tests")
    return 0


def _dbt_parse(args: argparse.Namespace) -> int:
    from retention.build import manifest

    print(f"dbt manifest: {manifest()}")
    return 0


def _kpis(args: argparse.Namespace) -> int:
    from retention.kpis import kpis_document

    document = kpis_document(args.state, args.quarter)
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from retention.gate.runner import run_gate

    return _gate_summary(run_gate(args.state, args.quarter))


def _gate_summary(run) -> int:
    """What `validate` and `waive` print of a gate run; 0 if it passed."""
    passed = sum(o.success is True for o in run.outcomes)
    not_run = sum(o.success is None for o in run.outcomes)
    print(
        f"{run.quarter}: {passed} of {len(run.outcomes)} expectations passed, {not_run} not run "
        f"(feeds not delivered); run {run.run_id}"
    )
    for outcome in run.warnings:
        print(f"warning: {outcome.sentence()}")
    for outcome in run.waived:
        print(f"waived: {outcome.sentence()} — {outcome.waiver.sentence()}")
    for outcome in run.blocking_failures:
        print(f"BLOCKING: {outcome.sentence()}")
    if run.data_docs:
        print(f"Data Docs: {run.data_docs}")
    if not run.passed:
        q = run.quarter
        print(
            f"{q} failed {len(run.blocking_failures)} blocking check(s): not releasable. "
            "改正数据后重新运行，或由负责人豁免 / correct the data and run it again, or have a "
            f"named person waive a check: retention waive --quarter {q} --check CHECK "
            "--by NAME --reason TEXT"
        )
    return errors.OK if run.passed else errors.CHECKS_FAILED


def _waive(args: argparse.Namespace) -> int:
    from retention.gate.runner import run_gate
    from retention.gate.waivers import waive

    waivers = waive(args.state, args.quarter, args.check, args.by, args.reason, args.until)
    for waiver in waivers:
        print(f"recorded: {waiver.check} {waiver.expectation} — {waiver.sentence()}")
    # the waiver counts from the gate's next run: run it now
    return _gate_summary(run_gate(args.state, args.quarter))


def _release(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from retention.release.pack import make_release
    from retention.release.versions import outcome

    print(outcome(**asdict(make_release(args.state, args.quarter, args.out))))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from retention.release.verify import verify

    result = verify(args.out, args.quarter)
    for problem in result.problems:
        print(problem)
    if result.problems:
        return 1
    print(
        f"已核验 {result.quarters} 个季度的 {result.versions} 个版本，文件与清单一致、版本链完整 / "
        f"verified {result.versions} version(s) of {result.quarters} quarter(s) in {args.out}: "
        "every file matches its manifest and every version links to the one before"
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from retention.orchestration.run_command import run

    _refuse_a_wrong_key(args.state)  # here, rather than in every ingest task of the DAGs
    quarter = args.quarter or _latest_quarter(args.landing)
    return run(quarter, args.landing, args.state, args.out)


def _latest_quarter(landing: Path) -> str:
    """The latest quarter the landing folder has files for."""
    from retention.ingest.delivery import delivered_files
    from retention.ingest.naming import parse_file_name

    names = [parse_file_name(d.path.name) for d in delivered_files(landing)]
    quarters = [n.quarter for n in names if n]
    if not quarters:
        raise errors.ExpectedError(
            f"报送目录 {landing} 中没有按约定命名的报送文件：请检查 --landing，或用 --quarter "
            f"指定季度 / the landing folder {landing} holds no department file named as agreed "
            "(contract/feeds.md): check --landing, or name the quarter with --quarter"
        )
    return str(max(quarters, key=lambda q: (q.year, q.q)))


def _refuse_a_wrong_key(state: Path) -> None:
    from retention import keyring, warehouse

    key = pii.pii_key()
    if warehouse_path(state).exists():
        with warehouse.connect(state, read_only=True) as con:
            keyring.verify(con, key)


def _rekey(args: argparse.Namespace) -> int:
    from retention.rekey import rekey

    replayed = rekey(args.state)
    print(
        f"re-keyed {args.state}: {replayed} submissions loaded again from the archive under "
        "the new key; run `retention build` before the next release"
    )
    return 0


def _archive_list(args: argparse.Namespace) -> int:
    from retention.audit import stored_files

    for s in stored_files(args.state):
        print(f"{s.file_sha256[:16]}  {s.status:<10}  {s.landing_path}  {s.archive_path}")
        if s.quarantine_path:
            print(f"{'':16}  {'':<10}  quarantined as {s.quarantine_path}")
    return 0


def _archive_show(args: argparse.Namespace) -> int:
    from retention.audit import AuditError, show
    from retention.vault import VaultError

    try:
        show(args.state, args.file, pii.pii_key(), args.out, sys.stdout.buffer)
    except (AuditError, VaultError, FileExistsError) as problem:
        print(f"archive show: {problem}", file=sys.stderr)
        return 1
    return 0


def _dbt_sources(args: argparse.Namespace) -> int:
    from retention.contract import default_contract
    from retention.dbt_sources import write_sources
    from retention.paths import DBT_DIR

    for path in write_sources(default_contract(), DBT_DIR):
        print(f"wrote {path}")
    return 0


def _quarter(text: str) -> str:
    from retention.ingest.naming import Quarter

    try:
        return str(Quarter.parse(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"不是季度：{text!r}，应写作如 2023Q4 / not a quarter: {text!r}, write it like 2023Q4"
        ) from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"不是日期：{text!r}，应写作如 2024-03-31 / not a date: {text!r}, write it like "
            "2024-03-31"
        ) from None


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"等待秒数（--wait 或 {state_lock.WAIT_ENV}）须为非负数：{text!r} / the wait "
            f"(--wait or {state_lock.WAIT_ENV}) must be a number of seconds, 0 or more: {text!r}"
        )
    return seconds


def _writes_state(command: argparse.ArgumentParser) -> None:
    """The command holds the state folder's lock for its whole run (main() takes it)."""
    command.add_argument(
        "--wait",
        type=_seconds,
        default=os.environ.get(state_lock.WAIT_ENV, "0"),
        metavar="SECONDS",
        help="if another command is using the state folder, wait up to this long for it "
        f"(default: ${state_lock.WAIT_ENV}, else 0: refuse at once, naming that command)",
    )
    command.set_defaults(writes_state=True)


def _sample_key_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--sample-key",
        action="store_true",
        help=f"without {pii.KEY_ENV}, use the public development key: synthetic sample only",
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line (argparse adds the whole usage): the message names the argument."""
        self.exit(errors.REFUSED, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="retention", description=__doc__)
    top.add_argument("-v", "--verbose", action="store_true", help="log each step")
    top.add_argument(
        "--debug", action="store_true", help="log everything, and show a failure's traceback"
    )
    commands = top.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="load a landing folder of department files")
    ingest.add_argument("--landing", type=Path, required=True, help="folder of <dept>/<file>")
    ingest.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse and archive")
    ingest.add_argument("--json", action="store_true", help="one JSON object per file")
    _sample_key_option(ingest)
    _writes_state(ingest)
    ingest.set_defaults(run=_ingest)

    sample = commands.add_parser("sample", help="write the synthetic department files")
    sample.add_argument("--out", type=Path, required=True, help="landing folder to write")
    sample.add_argument("--scale", type=int, default=1, help="multiply the row counts")
    sample.add_argument("--broken", action="store_true", help="write files that must be refused")
    sample.set_defaults(run=_sample)

    build = commands.add_parser("build", help="run the dbt build on the warehouse")
    build.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="compute every period again, not only those whose files changed",
    )
    _writes_state(build)
    build.set_defaults(run=_build)

    kpis = commands.add_parser("kpis", help="print a quarter's kpis.json")
    kpis.add_argument("--quarter", type=_quarter, required=True, help="e.g. 2023Q4")
    kpis.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    kpis.set_defaults(run=_kpis)

    validate = commands.add_parser("validate", help="run the quality gate for a quarter")
    validate.add_argument("--quarter", type=_quarter, required=True, help="e.g. 2023Q4")
    validate.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    _writes_state(validate)
    validate.set_defaults(run=_validate)

    waive = commands.add_parser(
        "waive",
        help="let a blocking failure of the gate through, for a quarter and a check, by a named "
        "person with a reason; it lapses when the data the check reads changes",
    )
    waive.add_argument("--quarter", type=_quarter, required=True, help="e.g. 2023Q4")
    waive.add_argument(
        "--check", required=True, help="the check's name as validate prints it, e.g. raw.youth"
    )
    waive.add_argument("--by", required=True, help="who waives it (shown in the pack)")
    waive.add_argument("--reason", required=True, help="why (shown in the pack)")
    waive.add_argument(
        "--until", type=_date, help="the last day it holds (default: until the data changes)"
    )
    waive.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    _writes_state(waive)
    waive.set_defaults(run=_waive)

    release = commands.add_parser("release", help="publish a quarter's leadership pack")
    release.add_argument("--quarter", type=_quarter, required=True, help="e.g. 2023Q4")
    release.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    release.add_argument("--out", type=Path, default=DEFAULT_RELEASES, help="releases folder")
    _writes_state(release)
    release.set_defaults(run=_release)

    verify = commands.add_parser(
        "verify", help="check published packs against their manifests and version chain"
    )
    verify.add_argument(
        "--quarter", type=_quarter, help="one quarter (default: every quarter in --out)"
    )
    verify.add_argument("--out", type=Path, default=DEFAULT_RELEASES, help="releases folder")
    verify.set_defaults(run=_verify)

    run = commands.add_parser("run", help="run the Airflow DAGs in-process: ingest to release")
    run.add_argument(
        "--quarter", type=_quarter, help="default: the landing folder's latest quarter"
    )
    run.add_argument("--landing", type=Path, default=SAMPLE_LANDING, help="landing folder")
    run.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    run.add_argument("--out", type=Path, default=DEFAULT_RELEASES, help="releases folder")
    _sample_key_option(run)
    _writes_state(run)
    run.set_defaults(run=_run)

    rekey = commands.add_parser(
        "rekey",
        help=f"move the warehouse from the key in {pii.KEY_ENV}_OLD to the one in {pii.KEY_ENV}",
    )
    rekey.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    _writes_state(rekey)
    rekey.set_defaults(run=_rekey)

    archive = commands.add_parser("archive", help="read the encrypted archive for an audit")
    archive_commands = archive.add_subparsers(dest="archive_command", required=True)
    listing = archive_commands.add_parser("list", help="every stored file, from the ledger")
    listing.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    listing.set_defaults(run=_archive_list)
    show = archive_commands.add_parser("show", help="decrypt a stored file")
    show.add_argument("file", help="its path, or a prefix of its SHA-256 (see `archive list`)")
    show.add_argument("--state", type=Path, default=DEFAULT_STATE, help="warehouse folder")
    show.add_argument("--out", type=Path, help="a new owner-only file (default: stdout)")
    show.set_defaults(run=_archive_show)

    sources = commands.add_parser("dbt-sources", help="write dbt's sources from the contract")
    sources.set_defaults(run=_dbt_sources)

    parse = commands.add_parser(
        "dbt-parse", help="write dbt's manifest, from which the release DAG draws its tasks"
    )
    parse.set_defaults(run=_dbt_parse)
    return top


# Commands that work on a warehouse already there; ingest and run make a new one.
_NEEDS_A_WAREHOUSE = {"build", "kpis", "validate", "waive", "release", "rekey", "archive"}


def _no_warehouse(state: Path) -> errors.ExpectedError:
    return errors.ExpectedError(
        f"{state} 中没有仓库：请检查 --state，或先运行 `retention ingest` / there is no "
        f"warehouse in {state}: check --state, or run `retention ingest` first"
    )


def _refuse_mistyped_folders(args: argparse.Namespace) -> None:
    """One line for a mistyped --state or --landing, before the lock, which would make the
    state folder."""
    if args.command in _NEEDS_A_WAREHOUSE and not args.state.is_dir():
        raise _no_warehouse(args.state)
    if args.command in {"ingest", "run"}:
        from retention.ingest.loader import require_landing

        require_landing(args.landing)


def _holding_the_state(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    if not getattr(args, "writes_state", False):
        return contextlib.nullcontext()
    return state_lock.hold(args.state, f"retention {args.command}", wait=args.wait)


def main(argv: list[str] | None = None) -> int:
    interrupts.stop_on_signals()

    owner_only()  # the state folder holds personal data: nothing in it readable by others
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # A log that cannot be written (a full disk) must not print tracebacks over the one line
    logging.raiseExceptions = args.debug
    if getattr(args, "sample_key", False):  # inherited by the Airflow tasks of `run`
        os.environ[pii.SAMPLE_MODE_ENV] = "1"
    try:
        _refuse_mistyped_folders(args)
        if args.command in {"ingest", "run", "rekey"}:
            pii.require_key()  # no key, nothing done: not even the state folder the lock makes
        with _holding_the_state(args):
            # again within the lock: the folder may be one an ingest is still setting up
            if args.command in _NEEDS_A_WAREHOUSE and not warehouse_path(args.state).exists():
                raise _no_warehouse(args.state)
            return args.run(args)
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as error:
        if interrupts.stopped.is_set():  # a library caught the interrupt and raised its own error
            return _interrupted()  # (DuckDB: "Query interrupted", dbt: a failed run)
        return _failed(args, error)


def _fullest_folder(args: argparse.Namespace) -> str | None:
    """The folders the command writes (the state folder, the releases folder) on the disk with
    the least room: the one a full disk most likely is, when the error does not name it (a
    release into --out on another disk must not send the operator to clean the state's)."""
    folders = [Path(f) for f in (getattr(args, "state", None), getattr(args, "out", None)) if f]
    room: dict[int, tuple[int, list[Path]]] = {}
    for folder in folders:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is None:
            continue
        disk = existing.stat().st_dev
        free = room.get(disk, (shutil.disk_usage(existing).free, []))
        room[disk] = (free[0], [*free[1], folder])
    if not room:
        return None
    _, fullest = min(room.values(), key=lambda r: r[0])
    return "、".join(str(f) for f in fullest)


def _failed(args: argparse.Namespace, error: Exception) -> int:
    """One line for the operator: what went wrong and what to do, or, for a fault nobody
    foresaw, what it was and how to see where (--debug)."""
    if args.debug:
        traceback.print_exception(error)
    known = errors.recognised(error, _fullest_folder(args))
    if known is None and isinstance(error, OSError):  # a folder not writable, a lock file
        where = f"{error.filename}: " if error.filename else ""  # made a folder
        reason = error.strerror or str(error)
        known = errors.ExpectedError(
            f"retention {args.command} 未能完成（{where}{reason}），请处理后重新运行 / "
            f"retention {args.command} could not finish: {where}{reason}; deal with that and "
            "run it again (--debug shows where it stopped)"
        )
    if known is not None:
        print(known, file=sys.stderr)
        return known.exit_code
    print(
        f"retention {args.command} 意外出错（{errors.one_line(error)}）：请加 --debug 重新运行"
        f"查看出错位置并报告此问题 / retention {args.command} failed unexpectedly: "
        f"{errors.one_line(error)}; run it again with --debug to see where, and report it",
        file=sys.stderr,
    )
    return errors.UNEXPECTED


def _interrupted() -> int:
    print(
        "已中断：已完成的文件保持不变，未完成的文件下次运行时重新读取 / interrupted: what "
        "was finished stays, what was not is read again on the next run",
        file=sys.stderr,
    )
    return errors.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
