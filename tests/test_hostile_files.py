"""Files a careless or hostile clerk sends: each ends as its own refusal or a correct load, in
seconds, and the run goes on with the other files."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from conftest import INTAKE_HEADER, intake_row, query, resident_id, write_csv, write_xlsx

from retention.contract import default_contract
from retention.ingest.loader import ingest
from retention.ingest.reading import FileRefused, Spec
from retention.ingest.sandbox import Request, Sandbox, unnamed_file
from retention.paths import warehouse_path

ROWS = [intake_row(n) for n in range(1, 6)]
GOOD = "hrss/graduate_intake_2023Q3.csv"


def with_a_good_file(landing: Path) -> None:
    write_csv(landing / GOOD, INTAKE_HEADER, [intake_row(n, "2023-08-01") for n in range(50, 53)])


def outcome(landing: Path, state: Path, name: str) -> tuple:
    """Ingest; the named file's (status, reason, message), after checking the good file beside
    it loaded in the same run."""
    results = {r.file: r for r in ingest(landing, state)}
    assert results[GOOD].status == "loaded"
    result = results[name]
    return result.status, result.reason, result.message or ""


def test_a_line_break_typed_in_a_cell_loads_with_the_right_lines(landing: Path, state: Path):
    rows = [
        intake_row(1, 专业="机械设计\n制造"),
        intake_row(2),
        intake_row(3, 就业单位="慈溪\n某公司"),
    ]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, rows)
    with_a_good_file(landing)
    assert outcome(landing, state, "hrss/graduate_intake_2023Q4.csv")[0] == "loaded"
    lines = query(
        state,
        "select record_id, line_number from raw.graduate_intake where quarter = '2023Q4' "
        "order by 1",
    )
    assert lines == [("R00001", 2), ("R00002", 4), ("R00003", 5)]
    accounted = query(
        state,
        "select lines_read, lines_in_cells from ledger.submissions where quarter = '2023Q4'",
    )
    assert accounted == [(6, 2)]


@pytest.mark.parametrize(
    "name",
    [
        "graduate_intake_0000Q4.csv",
        "graduate_intake_9999Q4.csv",
        "graduate_intake_2023Q4_v99999999999999999999.csv",
    ],
)
def test_impossible_years_and_versions_are_refused_by_name(landing: Path, state: Path, name):
    write_csv(landing / "hrss" / name, INTAKE_HEADER, ROWS)
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, f"hrss/{name}")
    assert (status, reason) == ("refused", "unreadable")
    assert "文件名" in message and "file name" in message


def test_a_field_of_200000_characters_is_refused_naming_line_and_column(landing, state):
    rows = [intake_row(1), intake_row(2, 专业="机" * 200_000)]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, rows)
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4.csv")
    assert (status, reason) == ("refused", "unreadable")
    assert "第 3 行" in message and "line 3" in message and "专业" in message


def test_a_cell_at_xfd1048576_is_refused_in_seconds(landing: Path, state: Path) -> None:
    path = landing / "hrss/graduate_intake_2023Q4.xlsx"
    path.parent.mkdir(parents=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, INTAKE_HEADER)
    sheet.write_row(1, 0, ROWS[0])
    sheet.write(1048575, 16383, "x")
    book.close()
    assert path.stat().st_size < 10_000
    with_a_good_file(landing)
    started = time.monotonic()
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4.xlsx")
    assert time.monotonic() - started < 60
    assert (status, reason) == ("refused", "unreadable")
    assert "XFD1048576" in message


def test_thousands_of_empty_columns_in_csv_load_in_seconds(landing: Path, state: Path) -> None:
    padding = "," * 5000
    text = ",".join(INTAKE_HEADER) + padding + "\r\n"
    text += "".join(",".join(r) + padding + "\r\n" for r in ROWS)
    (landing / "hrss").mkdir()
    (landing / "hrss/graduate_intake_2023Q4.csv").write_text(text, encoding="utf-8")
    with_a_good_file(landing)
    started = time.monotonic()
    assert outcome(landing, state, "hrss/graduate_intake_2023Q4.csv")[0] == "loaded"
    assert time.monotonic() - started < 60
    assert query(state, "select count(*) from raw.graduate_intake where quarter = '2023Q4'") == [
        (5,)
    ]


def test_thousands_of_named_columns_are_refused(landing: Path, state: Path) -> None:
    header = INTAKE_HEADER + [f"备注{i}" for i in range(3000)]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", header, [r + [""] * 3000 for r in ROWS])
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4.csv")
    assert (status, reason) == ("refused", "unreadable")
    assert "3013" in message


def workbook(path: Path, sheets: list[tuple[str, list[list[str]], bool]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    for name, rows, hidden in sheets:
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
        if hidden:
            sheet.hide()
    book.close()
    return path


def test_a_hidden_sheet_with_the_table_is_refused_naming_it(landing: Path, state: Path) -> None:
    stale = [INTAKE_HEADER, intake_row(90)]
    fresh = [INTAKE_HEADER, *ROWS]
    workbook(
        landing / "hrss/graduate_intake_2023Q4.xlsx",
        [("旧数据", stale, True), ("2023Q4", fresh, False)],
    )
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4.xlsx")
    assert (status, reason) == ("refused", "multiple_sheets")
    assert "旧数据" in message and "hidden" in message
    assert query(state, "select count(*) from raw.graduate_intake where quarter = '2023Q4'") == [
        (0,)
    ]


def test_monthly_sheets_are_refused_and_an_instructions_sheet_is_ignored(landing, state):
    months = [(m, [INTAKE_HEADER, intake_row(i)], False) for i, m in enumerate(["10月", "11月"])]
    workbook(landing / "hrss/graduate_intake_2023Q4.xlsx", months)
    notes = [("填表说明", [["请按表头填写，身份证号设为文本格式"]], False)]
    workbook(
        landing / "hrss/graduate_intake_2023Q2.xlsx",
        notes + [("数据", [INTAKE_HEADER, intake_row(7, "2023-05-05")], False)],
    )
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4.xlsx")
    assert (status, reason) == ("refused", "multiple_sheets")
    assert "10月" in message and "11月" in message
    assert query(
        state,
        "select status, rows_loaded, ignored_sheets from ledger.submissions "
        "where quarter = '2023Q2'",
    ) == [("loaded", 1, ["填表说明"])]


def test_an_id_typed_as_a_number_in_excel_is_rejected_not_stored(landing: Path, state: Path):
    path = landing / "hrss/graduate_intake_2023Q4.xlsx"
    path.parent.mkdir()
    # row 3's ID as Excel keeps a number: 15 significant digits, zeros after.
    typed = float(resident_id(2))
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, INTAKE_HEADER)
    for i, row in enumerate(ROWS, start=1):
        sheet.write_row(i, 0, row)
    sheet.write_number(2, 1, typed)
    book.close()
    with_a_good_file(landing)
    assert outcome(landing, state, "hrss/graduate_intake_2023Q4.xlsx")[0] == "loaded"
    rejected = query(state, "select line_number, reason from ledger.rejected_rows")
    assert rejected == [(3, "bad_id_check")]
    assert query(state, "select count(*) from raw.graduate_intake where quarter = '2023Q4'") == [
        (4,)
    ]


def test_cut_off_and_unterminated_files_are_refused(landing: Path, state: Path) -> None:
    whole = write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS)
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) - 40])  # the last record broken off in transfer
    quoted = data.replace(b"R00003,", b'R00003,"', 1)  # a quote never closed
    (landing / "hrss/graduate_intake_2023Q2.csv").write_bytes(
        quoted.replace(b"2023-11", b"2023-05")
    )
    with_a_good_file(landing)
    results = {r.file: r for r in ingest(landing, state)}
    cut = results["hrss/graduate_intake_2023Q4.csv"]
    assert (cut.status, cut.reason) == ("refused", "unreadable")
    assert "cut off" in cut.message and "第 6 行" in cut.message
    open_quote = results["hrss/graduate_intake_2023Q2.csv"]
    assert (open_quote.status, open_quote.reason) == ("refused", "unreadable")
    assert "never closed" in open_quote.message and "line 4" in open_quote.message


def test_a_lone_carriage_return_is_refused_rather_than_split(landing: Path, state: Path):
    path = write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS)
    path.write_bytes(path.read_bytes().replace("慈溪某电器".encode(), "慈溪\r某电器".encode(), 1))
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4.csv")
    assert (status, reason) == ("refused", "unreadable")
    assert "CR" in message and "line 2" in message


def test_a_v2_with_no_loadable_row_leaves_the_quarter_as_it_was(landing: Path, state: Path):
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS)
    ingest(landing, state)
    elsewhere = [intake_row(n, "2023-05-02") for n in range(1, 6)]  # all in 2023Q2
    write_csv(landing / "hrss/graduate_intake_2023Q4_v2.csv", INTAKE_HEADER, elsewhere)
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4_v2.csv")
    assert (status, reason) == ("refused", "no_valid_rows")
    assert "out_of_period 5" in message
    assert query(
        state,
        "select version, count(*) from raw.graduate_intake where quarter = '2023Q4' group by 1",
    ) == [(1, 5)]


def test_a_link_is_refused_and_never_followed(landing: Path, state: Path, tmp_path: Path):
    secret = write_csv(tmp_path / "outside/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS)
    (landing / "hrss").mkdir()
    (landing / "hrss/graduate_intake_2023Q4.csv").symlink_to(secret)
    (landing / "hrss/nested").mkdir()
    write_csv(landing / "hrss/nested/graduate_intake_2023Q1.csv", INTAKE_HEADER, ROWS)
    with_a_good_file(landing)
    results = {r.file: r for r in ingest(landing, state)}
    assert (results["hrss/graduate_intake_2023Q4.csv"].reason, results["hrss/nested"].reason) == (
        "not_a_file",
        "not_a_file",
    )
    stored = [p.name for p in (state / "archive").rglob("*") if p.is_file()]
    assert len(stored) == 1 and "2023Q3" in stored[0]  # the good file alone
    assert not (state / "quarantine").exists() or not any((state / "quarantine").rglob("*"))
    again = ingest(landing, state)  # recorded once, not on every run
    assert [r.file for r in again if r.status == "refused"] == []


def test_a_file_still_being_written_waits_for_the_next_run(landing: Path, state: Path):
    path = write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS[:2])
    first = ingest(landing, state, settle=30)
    assert [(r.status, r.rows_loaded) for r in first] == [("waiting", 0)]
    write_csv(path, INTAKE_HEADER, ROWS)  # the department finishes writing
    old = time.time() - 60
    os.utime(path, (old, old))
    second = ingest(landing, state, settle=30)
    assert [(r.status, r.rows_loaded) for r in second] == [("loaded", 5)]


def read_in_sandbox(state: Path, path: Path, **options) -> FileRefused:
    feed = default_contract().feeds["graduate_intake"]
    spec = Spec([(c.header, c.name) for c in feed.columns], ["id_number", "employer_uscc"])
    handle, out = unnamed_file(state / "tmp")
    try:
        with Sandbox(**options.pop("sandbox", {})) as sandbox, pytest.raises(FileRefused) as err:
            sandbox.read(Request(str(path), out, "csv", spec, str(state / "tmp")), **options)
    finally:
        handle.close()
    return err.value


def test_a_reader_over_its_memory_or_time_is_stopped_and_the_file_refused(landing, state):
    path = write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS * 2000)
    starved = read_in_sandbox(state, path, seconds=60, sandbox={"memory_bytes": 64 << 20})
    assert starved.reason == "unreadable" and "memory" in starved.values["detail_en"]
    slow = read_in_sandbox(state, path, seconds=0.01)
    assert slow.reason == "unreadable" and "longer than" in slow.values["detail_en"]


def test_a_damaged_xlsx_among_good_files_is_refused_and_the_rest_load(landing, state):
    path = write_xlsx(landing / "hrss/graduate_intake_2023Q4.xlsx", INTAKE_HEADER, ROWS)
    with zipfile.ZipFile(path) as book:
        parts = {n: book.read(n) for n in book.namelist()}
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data[: len(data) // 2] if "sheet1" in name else data)
    with_a_good_file(landing)
    status, reason, _ = outcome(landing, state, "hrss/graduate_intake_2023Q4.xlsx")
    assert (status, reason) == ("refused", "unreadable")


def test_a_stray_quote_that_swallows_rows_is_refused(landing: Path, state: Path) -> None:
    rows = [intake_row(n) for n in range(1, 8)]
    rows[1][2], rows[4][2] = '"测试', '测试"'  # opened in R00002's name, closed in R00005's
    path = write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, [])
    text = path.read_text(encoding="utf-8") + "".join(",".join(r) + "\r\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    with_a_good_file(landing)
    status, reason, message = outcome(landing, state, "hrss/graduate_intake_2023Q4.csv")
    assert (status, reason) == ("refused", "unreadable")
    assert "line 3" in message and "stray quote" in message


def test_ids_typed_with_separators_full_width_or_in_a_header_are_never_stored_clear(
    landing: Path, state: Path
) -> None:
    clear = resident_id(15)
    dashed = f"{clear[:6]}-{clear[6:14]}-{clear[14:]}"
    wide = clear.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    rows = [intake_row(1, 就业单位=f"联系人{dashed}"), intake_row(2, 就业单位=wide)]
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", [*INTAKE_HEADER, f"备注{clear}"], rows)
    with_a_good_file(landing)
    results = {r.file: r for r in ingest(landing, state)}
    assert results["hrss/graduate_intake_2023Q4.csv"].status == "loaded"
    stored = query(state, "select employer_name from raw.graduate_intake where quarter = '2023Q4'")
    ledger = query(state, "select ignored_columns, message_zh from ledger.submissions")
    everything = repr(stored) + repr(ledger) + repr([r.as_json() for r in results.values()])
    for form in (clear, dashed, wide, clear[6:14]):
        assert form not in everything
    assert "联系人" in repr(stored)


def test_odd_entries_do_not_stop_the_run(landing: Path, state: Path) -> None:
    with_a_good_file(landing)
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, ROWS)
    future = time.time() + 3600  # written on a PC whose clock is an hour ahead
    os.utime(landing / "hrss/graduate_intake_2023Q4.csv", (future, future))
    write_csv(
        landing / os.fsdecode(b"hr\xffss") / "graduate_intake_2023Q1.csv", INTAKE_HEADER, ROWS
    )
    (landing / "youth").symlink_to(landing / "hrss")
    results = {r.file: r for r in ingest(landing, state, settle=30)}
    assert results["hrss/graduate_intake_2023Q4.csv"].status == "loaded"
    assert results["youth"].reason == "not_a_file" and "link" in results["youth"].message
    assert results["hr\\xffss/graduate_intake_2023Q1.csv"].reason == "not_a_file"


def test_a_missing_landing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from conftest import retention_cli

    done = retention_cli(
        "ingest", "--landing", str(tmp_path / "nope"), "--state", str(tmp_path / "s")
    )
    assert done.returncode == 2
    assert "nope" in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 16 MB file system for the state folder (needs root, as on CI; skipped elsewhere)."""
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)])
    if done.returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_stops_the_run_with_one_line_reporting_what_was_done(landing, small_disk):
    import json

    from conftest import retention_cli

    with_a_good_file(landing)
    big = [intake_row(n, 专业="机械" * 900) for n in range(100, 5000)]  # about 27 MB
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, big)
    done = retention_cli(
        "ingest", "--landing", str(landing), "--state", str(small_disk / "state"), "--json"
    )
    assert done.returncode == 2
    assert "disk is full" in done.stderr and "Traceback" not in done.stderr
    reported = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["file"], r["status"]) for r in reported] == [(GOOD, "loaded")]


def readers() -> list[tuple[int, int]]:
    """(pid, parent pid) of every reading worker and child on the machine."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        if b"retention.ingest.sandbox" in command:
            found.append((int(entry.name), parent))
    return found


def many() -> list[list[str]]:
    """Rows enough for reading to take about a second."""
    return [intake_row(n) for n in range(1000, 91_000)]


def test_a_killed_reader_leaves_its_file_for_the_next_run(landing: Path, state: Path) -> None:
    import threading

    with_a_good_file(landing)
    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, many())

    def kill_the_worker_once_it_reads() -> None:
        # The worker forks the next spare child once it has handed this file to the current
        # one: two children of the worker means the file is being read.
        while True:
            found = readers()
            workers = [pid for pid, parent in found if parent == os.getpid()]
            if workers and sum(parent == workers[0] for _, parent in found) >= 2:
                os.kill(workers[0], 9)
                return
            time.sleep(0.002)

    def kill_the_reader_soon(path: Path, size: int) -> None:
        if path.name == "graduate_intake_2023Q4.csv":
            threading.Thread(target=kill_the_worker_once_it_reads, daemon=True).start()

    first = {r.file: r.status for r in ingest(landing, state, on_file=kill_the_reader_soon)}
    assert first == {GOOD: "loaded", "hrss/graduate_intake_2023Q4.csv": "waiting"}
    time.sleep(0.5)
    assert [pid for pid, parent in readers() if parent == 1] == []  # no orphan reading on
    second = {r.file: r.status for r in ingest(landing, state)}
    assert second["hrss/graduate_intake_2023Q4.csv"] == "loaded"


def test_a_second_ingest_waits_its_turn_and_sigterm_stops_cleanly(landing, tmp_path):
    import signal
    import subprocess
    import sys

    write_csv(landing / "hrss/graduate_intake_2023Q4.csv", INTAKE_HEADER, many())
    with_a_good_file(landing)
    state = tmp_path / "state"
    command = [sys.executable, "-m", "retention.cli", "ingest", "--landing", str(landing)]
    running = subprocess.Popen([*command, "--state", str(state)], stderr=subprocess.PIPE, text=True)
    while not warehouse_path(state).exists():  # it holds the warehouse from here on
        time.sleep(0.05)
    running.send_signal(signal.SIGSTOP)  # caught mid-run, holding the warehouse
    second = subprocess.run([*command, "--state", str(state)], capture_output=True, text=True)
    assert second.returncode == 2 and "another command" in second.stderr
    running.send_signal(signal.SIGTERM)
    running.send_signal(signal.SIGCONT)
    _, err = running.communicate(timeout=60)
    assert running.returncode == 130 and "interrupted" in err and "Traceback" not in err
    time.sleep(0.5)
    assert [pid for pid, parent in readers() if parent == 1] == []
    assert not any((state / "tmp").iterdir())
    results = {r.file: r for r in ingest(landing, state)}
    assert results["hrss/graduate_intake_2023Q4.csv"].rows_loaded == 90_000
    assert query(state, "select count(*) from ledger.submissions where status = 'refused'") == [
        (0,)
    ]


def test_a_file_name_with_markup_or_a_terminal_escape_is_printed_as_it_is(
    landing: Path, state: Path
) -> None:
    """The summary is drawn with Rich: `[bold]` in a name was read as markup (and vanished),
    and an ESC reached the terminal, which obeys it."""
    from conftest import retention_cli

    name = "[bold]graduate_intake\x1b]0;pwned\x07.csv"
    (landing / "hrss").mkdir()
    (landing / "hrss" / name).write_text("a,b\n", encoding="utf-8")

    done = retention_cli("ingest", "--landing", str(landing), "--state", str(state))

    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    shown = "hrss/[bold]graduate_intake\\x1b]0;pwned\\x07.csv"
    assert f"{shown}: " in done.stdout  # the refusal, on one line of its own
