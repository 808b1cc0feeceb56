"""Shared fixtures: department files written the way clerks write them, and ingest runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from retention.identifiers import id_check_char, uscc_check_char
from retention.ingest.loader import ingest
from retention.paths import PROJECT_ROOT, SAMPLE_LANDING, warehouse_path
from retention.pii import KEY_ENV, SAMPLE_MODE_ENV

# The loader refuses to run without a key: every test (and the commands and Airflow tasks it
# starts, which inherit the environment) loads under this one unless it says otherwise.
TEST_KEY = "a key for the tests only"
os.environ[KEY_ENV] = TEST_KEY
os.environ.pop(SAMPLE_MODE_ENV, None)

# Airflow reads its configuration on first import (a test's, or a step's raising
# AirflowFailException): a home of its own, not ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

# Tests write a file and ingest it at once; the wait for files still being written is tested
# on its own (test_delivery.py).
os.environ["RETENTION_SETTLE_SECONDS"] = "0"


def resident_id(n: int, birth: str = "19990101", region: str = "330282") -> str:
    first = f"{region}{birth}{n % 1000:03d}"
    return first + id_check_char(first)


def credit_code(n: int) -> str:
    first = f"91330282MA2A{n:05d}"
    return first + uscc_check_char(first)


INTAKE_HEADER = [
    "登记编号",
    "公民身份号码",
    "姓名",
    "毕业院校",
    "学历",
    "专业",
    "毕业日期",
    "就业单位",
    "统一社会信用代码",
    "行业门类",
    "所属镇街",
    "接收方式",
    "接收日期",
]


def intake_row(n: int, received: str = "2023-11-01", **changes: str) -> list[str]:
    row = {
        "登记编号": f"R{n:05d}",
        "公民身份号码": resident_id(n),
        "姓名": "测试",
        "毕业院校": "宁波大学科学技术学院",
        "学历": "本科",
        "专业": "机械设计制造及其自动化",
        "毕业日期": "2023-06-30",
        "就业单位": "慈溪某电器有限公司",
        "统一社会信用代码": credit_code(n),
        "行业门类": "C",
        "所属镇街": "浒山街道",
        "接收方式": "就业登记",
        "接收日期": received,
    }
    row.update(changes)
    return [row[h] for h in INTAKE_HEADER]


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list],
    encoding: str = "utf-8",
    title: list[str] | None = None,
    total: list | None = None,
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in [*(title or []), header, *rows, *([total] if total else [])]:
        writer.writerow(line if isinstance(line, list) else [line])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path,
    header: list[str],
    rows: list[list],
    title: list[str] | None = None,
    total: list | None = None,
    date_columns: tuple[int, ...] = (),
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    line = 0
    for text in title or []:
        sheet.merge_range(line, 0, line, len(header) - 1, text)
        line += 1
    sheet.write_row(line, 0, header)
    for row in rows:
        line += 1
        for col, value in enumerate(row):
            if col in date_columns and value:
                sheet.write_datetime(line, col, dt.datetime.fromisoformat(value), date_format)
            else:
                sheet.write(line, col, value)
    if total:
        sheet.write_row(line + 1, 0, total)
    book.close()
    return path


def query(state: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse_path(state)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# The fixtures that load the whole bundled sample. A test that needs one takes a minute or more
# of ingest and build the first time: it goes in the full tier (`make test`), not `make check`.
WHOLE_SAMPLE = {"sample_state", "built", "gated"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WHOLE_SAMPLE & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture(scope="session")
def sample_state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The bundled sample, ingested once for the tests that only read the warehouse."""
    state = tmp_path_factory.mktemp("sample") / "state"
    results = ingest(SAMPLE_LANDING, state)
    return state, results


@pytest.fixture(scope="session")
def built(sample_state, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the ingested sample, built by dbt (unit and data tests included). Tests that
    change it work on their own copy."""
    from retention.build import build

    state = tmp_path_factory.mktemp("built") / "state"
    shutil.copytree(sample_state[0], state)
    build(state)
    return state


@pytest.fixture(scope="session")
def gated(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built sample whose 2023Q4 passed the gate (its delivered region names
    agree with the reference). Tests that change it work on their own copy."""
    from retention.gate.runner import run_gate

    state = tmp_path_factory.mktemp("gated") / "state"
    shutil.copytree(built, state)
    assert run_gate(state, "2023Q4").passed
    return state


def retention_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "retention.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


def read_rows(path: Path) -> list[list[str]]:
    """Every row of a department file as text cells, whatever its format."""
    if path.suffix == ".xlsx":
        import fastexcel

        sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes="string")
        columns = sheet.to_arrow().to_pydict().values()
        return [["" if v is None else v for v in row] for row in zip(*columns, strict=True)]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return list(csv.reader(io.StringIO(text)))


def resend_without(source: Path, target: Path, names: set[str], change) -> Path:
    """Write `target` (UTF-8 CSV) from a sample file: its header row and data rows, each passed
    through change(row_index, row, header) (None drops the row). `names` identify the header."""
    rows = read_rows(source)
    start = next(i for i, r in enumerate(rows) if names & set(r))
    header = rows[start]
    data = [r for r in rows[start + 1 :] if any(r) and not str(r[0]).startswith("合计")]
    kept = [new for i, r in enumerate(data) if (new := change(i, list(r), header)) is not None]
    write_csv(target, header, kept)
    return target


def copy_landing(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target


def assert_the_samples_2023q4(release: Path) -> None:
    """The release is final and shows the city's own 2023 figures (contract/sample-data.md)."""
    document = json.loads((release / "kpis.json").read_text(encoding="utf-8"))
    value = {(k["kpi"], k["scope"]): k["value"] for k in document["kpis"] if not k["dimension"]}
    assert document["release"]["status"] == "final"
    assert value["graduate_intake", "ytd"] == 20999
    assert value["graduate_intake_completion_rate", "ytd"] == 1.0293
    assert value["graduate_intake_rank", "ytd"] == 3
    assert value["employment_subsidy_enterprise_times", "ytd"] == 1241
    assert value["internship_bases_active", "as_of"] == 130


@pytest.fixture
def receivers():
    """A mail server and a DingTalk robot on loopback (tests/receivers.py), started."""
    from receivers import DingTalkRobot, MailServer

    with MailServer() as mail, DingTalkRobot() as robot:
        yield mail, robot


@dataclass(frozen=True)
class Undisturbed:
    state: Path
    out: Path
    console: list[str]  # what `make run` printed, stdout and stderr as a terminal shows them


@pytest.fixture(scope="session")
def undisturbed(tmp_path_factory: pytest.TempPathFactory) -> Undisturbed:
    """`make run` for 2023Q4 on the sample, from an empty state: what interrupted runs, run
    again, must end as."""
    root = tmp_path_factory.mktemp("undisturbed")
    state, out = root / "state", root / "releases"
    command = ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), "run", "QUARTER=2023Q4"]
    command += [f"STATE={state}", f"OUT={out}"]
    run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    return Undisturbed(state, out, run.stdout.splitlines())


def what_a_run_leaves(state: Path) -> dict:
    """What a run leaves in the warehouse, without the times it did it at: every table's rows
    counted, the ledger's deliveries and the quarter's KPI report."""
    tables = query(
        state,
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('raw', 'ledger', 'marts', 'reports') order by 1",
    )
    return {
        "rows": {t: query(state, f"select count(*) from {t}")[0][0] for (t,) in tables},
        "ledger": query(
            state,
            "select feed, quarter, version, file_sha256, status, rows_loaded, rows_rejected "
            "from ledger.submissions order by all",
        ),
        "kpis": query(state, "select * from reports.rpt_quarterly_kpis order by all"),
    }


def run_logs(state: Path) -> list[Path]:
    """The logs `retention run` wrote in the state folder, oldest first."""
    return sorted((state / "logs").glob("run-*.log"))


def wait_for_log(state: Path, text: str, process: subprocess.Popen) -> None:
    """Until the run's log (its latest) has a line with `text`; the run must not end first."""
    while process.poll() is None:
        logs = run_logs(state) if (state / "logs").is_dir() else []
        if logs and text in logs[-1].read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"the run ended ({process.returncode}) before its log said {text!r}")
