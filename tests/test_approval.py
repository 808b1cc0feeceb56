"""Waivers, drafts and the approval: a blocking failure waived by a named person with a
reason, until the data changes; the pack drafted, shown to the approvers and published only as
approved; a rejection that stops the run and says why."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import query, retention_cli
from markdown_it import MarkdownIt
from pypdf import PdfReader
from test_notify import deploy

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))

from airflow.sdk.exceptions import AirflowFailException  # noqa: E402

from retention.gate.runner import run_gate  # noqa: E402
from retention.gate.waivers import WaiverRefused, waive  # noqa: E402
from retention.orchestration import steps  # noqa: E402
from retention.orchestration.approval_text import approval_request  # noqa: E402
from retention.orchestration.dag_support import report_failure  # noqa: E402
from retention.orchestration.human_steps import (  # noqa: E402
    APPROVERS_ENV,
    DraftApproval,
    GateWaiver,
    approvers,
)
from retention.paths import warehouse_path  # noqa: E402
from retention.release.pack import make_draft, make_release, publish_draft  # noqa: E402
from retention.release.pack_data import ReleaseRefused  # noqa: E402
from retention.release.verify import verify  # noqa: E402

QUARTER = "2023Q4"
CHECK = "raw.graduate_intake"
# a 学历 no enumeration allows, as a clerk might type markup into the cell
DEGREE = "<img src=x onerror=alert(1)>[详情](http://evil.example/x)"
REASON = "**紧急** ![](http://evil.example/pixel) <script>alert(1)</script> [看这里](http://evil.example)"
WAIVED_BY = "王科长"


def copy_state(source: Path, tmp_path: Path) -> Path:
    state = tmp_path / "state"
    shutil.copytree(source, state)
    return state


def set_degree(state: Path, degree: str, line: str = "min") -> None:
    """Give one of the quarter's graduates (the first, or the last, line) this 学历."""
    with duckdb.connect(str(warehouse_path(state))) as con:
        con.execute(
            "update raw.graduate_intake set degree = ? where quarter = ? and not is_baseline "
            f"and line_number = (select {line}(line_number) from raw.graduate_intake "
            "where quarter = ? and not is_baseline)",
            [degree, QUARTER, QUARTER],
        )


@pytest.fixture(scope="module")
def failing(gated: Path, tmp_path_factory) -> tuple[Path, dict]:
    """A copy of the gated sample with one graduate's 学历 not allowed: the release DAG's gate
    step on it (its result, as the waive step reads it)."""
    state = copy_state(gated, tmp_path_factory.mktemp("failing"))
    set_degree(state, DEGREE)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RETENTION_STATE", str(state))
        gate = steps.gate(QUARTER)
    assert not gate["passed"] and [f["check"] for f in gate["failures"]] == [CHECK]
    return state, gate


@pytest.fixture(scope="module")
def waived(failing, tmp_path_factory):
    """A copy of `failing` whose failure a named person waived with `retention waive`."""
    state = copy_state(failing[0], tmp_path_factory.mktemp("waived"))
    cli = retention_cli(
        "waive", "--quarter", QUARTER, "--check", CHECK, "--by", WAIVED_BY,
        "--reason", REASON, "--state", str(state),
    )  # fmt: skip
    return state, cli


def test_validate_names_the_waiver_as_the_next_step(failing, tmp_path: Path) -> None:
    state = copy_state(failing[0], tmp_path)
    cli = retention_cli("validate", "--quarter", QUARTER, "--state", str(state))
    assert cli.returncode == 1
    assert f"BLOCKING: {CHECK}" in cli.stdout
    assert f"retention waive --quarter {QUARTER} --check CHECK --by NAME" in cli.stdout


def test_waive_refuses_what_is_not_a_blocking_failure_or_lacks_a_name_or_reason(
    failing, tmp_path: Path
) -> None:
    state = copy_state(failing[0], tmp_path)

    def cli(check: str, by: str = WAIVED_BY, reason: str = "报送部门已说明") -> str:
        run = retention_cli(
            "waive", "--quarter", QUARTER, "--check", check, "--by", by, "--reason", reason,
            "--state", str(state),
        )  # fmt: skip
        assert run.returncode == 2 and run.stdout == "", run.stdout
        return run.stderr

    unknown = cli("raw.no_such_feed")
    assert "没有名为 raw.no_such_feed 的检查" in unknown and f"failed: {CHECK}" in unknown
    assert "has no blocking failure left to waive" in cli("raw.district_intake")
    assert "a waiver needs the name" in cli(CHECK, by="  ")
    assert "a waiver needs the name" in cli(CHECK, by=" \a\x1b ")  # a bell is no name
    assert "the reason is too long (2001 characters)" in cli(CHECK, reason="理" * 2001)
    typed = cli("raw.\x1b[31mred")  # a typo's escape sequence must not drive the terminal
    assert "\x1b" not in typed and "there is no check raw.\\x1b[31mred" in typed
    assert "豁免须写明理由" in cli(CHECK, reason="\t\n")
    with pytest.raises(WaiverRefused, match="has passed"):
        waive(state, QUARTER, CHECK, WAIVED_BY, "理由", until=dt.date(2024, 1, 1))
    assert query(state, "select count(*) from gate.waivers") == [(0,)]


def test_a_waived_failure_lets_the_quarter_through_and_is_recorded(waived) -> None:
    state, cli = waived
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert f"recorded: {CHECK} expect_column_values_to_be_in_set(degree)" in cli.stdout
    assert f"waived: {CHECK}" in cli.stdout and "BLOCKING" not in cli.stdout
    (row,) = query(
        state,
        "select check_name, waived_by, reason, valid_until, length(data_digest) from gate.waivers",
    )
    assert row == (CHECK, WAIVED_BY, REASON, None, 64)
    latest = query(state, "select passed, waived from gate.runs order by run_at desc limit 1")
    assert latest == [(True, 1)]


def test_a_waiver_lapses_when_the_data_changes_or_its_day_has_passed(
    waived, tmp_path: Path
) -> None:
    changed = copy_state(waived[0], tmp_path / "changed")
    set_degree(changed, "学士", line="max")  # another graduate's 学历, not allowed either
    run = run_gate(changed, QUARTER)
    assert not run.passed and [o.check.id for o in run.blocking_failures] == [CHECK]
    assert run.waived == []

    until = dt.date(2024, 2, 29)
    dated = copy_state(waived[0], tmp_path / "dated")
    with duckdb.connect(str(warehouse_path(dated))) as con:
        con.execute("update gate.waivers set valid_until = ?", [until])
    assert not run_gate(dated, QUARTER, today=until + dt.timedelta(days=1)).passed


def test_the_pack_names_the_waiver_in_its_manifest_and_quality_appendix(
    waived, tmp_path: Path
) -> None:
    release = make_release(waived[0], QUARTER, tmp_path / "releases")

    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    (waiver,) = manifest["waivers"]
    assert (waiver["check"], waiver["waived_by"], waiver["reason"]) == (CHECK, WAIVED_BY, REASON)
    assert DEGREE in waiver["observed"]
    sheet = openpyxl.load_workbook(next(release.path.glob("*.xlsx")))["数据质量"]
    rows = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    (result,) = [row for row in rows if "未通过（已豁免）" in row]
    assert result[0].startswith("高校毕业生接收登记：")  # the check in words, no expectation name
    assert not [c for row in rows for c in row if "expect_" in str(c)]
    shown = next(row for row in rows if WAIVED_BY in row)
    assert REASON in shown and "数据变化前" in shown
    pdf = "".join(p.extract_text() for p in PdfReader(next(release.path.glob("*.pdf"))).pages)
    assert "阻断项1项经豁免" in "".join(pdf.split())
    assert WAIVED_BY in pdf and "<script>alert(1)</script>" in pdf


def test_a_draft_is_read_only_unpublished_and_published_as_it_is(
    gated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "releases"
    draft = make_draft(gated, QUARTER, out)

    assert draft.path == out / QUARTER / "draft-v1" and draft.created
    assert not draft.path.stat().st_mode & stat.S_IWUSR
    assert verify(out).problems == [f"{out}: 没有已发布的版本 / no published version"]
    files = {p.name: p.read_bytes() for p in draft.path.iterdir()}

    release = publish_draft(gated, QUARTER, out, draft.version, draft.digest)

    assert release.path == out / QUARTER / "v1" and not draft.path.exists()
    assert {p.name: p.read_bytes() for p in release.path.iterdir()} == files
    assert verify(out).problems == []
    # nothing new since: no draft, v1 stands
    again = make_draft(gated, QUARTER, out)
    assert (again.created, again.path, again.digest) == (False, release.path, None)
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1"]


def test_a_draft_altered_replaced_or_stale_is_not_published(gated: Path, tmp_path: Path) -> None:
    state, out = copy_state(gated, tmp_path), tmp_path / "releases"
    first = make_draft(state, QUARTER, out)
    csv = first.path / "kpis.csv"
    for path in (first.path, csv):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace("20999", "29999"), "utf-8-sig")
    with pytest.raises(ReleaseRefused, match="was altered after approval.*kpis.csv"):
        publish_draft(state, QUARTER, out, first.version, first.digest)

    second = make_draft(state, QUARTER, out)  # replaces the first
    with pytest.raises(ReleaseRefused, match="was replaced: not the one approved"):
        publish_draft(state, QUARTER, out, first.version, first.digest)

    assert run_gate(state, QUARTER).passed  # the warehouse checked again since the draft
    with pytest.raises(ReleaseRefused, match="is stale: the warehouse was built or checked"):
        publish_draft(state, QUARTER, out, second.version, second.digest)
    assert not (out / QUARTER / "v1").exists()


def _render(markdown: str) -> tuple[list, str]:
    """The body as Airflow's UI reads it: CommonMark with GitHub's tables."""
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(markdown)
    flat = [t for token in tokens for t in [token, *(token.children or [])]]
    return flat, parser.render(markdown)


def test_the_approval_shows_the_draft_and_never_data_as_markup(waived, tmp_path: Path) -> None:
    draft = make_draft(waived[0], QUARTER, tmp_path / "releases")

    subject, body = approval_request(draft.as_json())

    assert subject.startswith(f"留慈工作季度报告 {QUARTER} v1 待审批")
    tokens, html = _render(body)
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds
    assert "<img" not in html and "<script" not in html
    text = "".join(t.content for t in tokens if t.type in {"text", "code_inline"})
    for shown in (
        QUARTER, "v1，正式 / final", str(draft.path), draft.digest,
        "接收高校毕业生人数（累计）", "20999人", "增长6.66%", "102.93%", "提高1.97个百分点",
        "第三位", "未报送数据项 / Missing feeds", "raw.talent_child_enrollment",
        WAIVED_BY, REASON, DEGREE,
    ):  # fmt: skip
        assert shown in text, shown
    missing = body.split("### 未报送数据项 / Missing feeds")[1].split("###")[0]
    assert "无 / none" in missing


class Pulled:
    """A task instance as far as the human steps read it: the XCom of their upstream step."""

    dag_id, task_id = "quarterly_release", "approval"

    def __init__(self, **xcoms: dict) -> None:
        self.xcoms = xcoms

    def xcom_pull(self, task_ids: str) -> dict:
        return self.xcoms[task_ids]


def _answer(option: str, reason: str = "", user: str = "wang", **more: object) -> dict:
    """An answer as Airflow hands it to the step: the option chosen, the form as filled in."""
    return {
        "chosen_options": [option],
        "params_input": {"reason": reason, **more},
        "responded_at": dt.datetime.now(dt.UTC),
        "responded_by_user": {"id": user, "name": user},
    }


def test_a_rejection_fails_the_run_naming_who_and_why_and_notifies(monkeypatch, receivers) -> None:
    mail, robot = receivers
    deploy(monkeypatch, {**mail.settings("leadership@example.org"), **robot.settings()})
    draft = {"quarter": QUARTER, "version": 2, "path": "/data/releases/2023Q4/draft-v2"}
    ti = Pulled(draft=draft)
    step = DraftApproval(task_id="approval", draft_task_id="draft")

    with pytest.raises(AirflowFailException) as rejected:
        step.execute_complete({"ti": ti}, _answer("Reject", "补贴金额与财政口径不一致\n请核对"))
    failed = {"task_instance": ti, "params": {"quarter": QUARTER}, "exception": rejected.value}
    report_failure(failed)  # the DAG's on_failure_callback

    said = "2023Q4 v2 的草稿被 wang 驳回，理由：补贴金额与财政口径不一致 请核对"
    assert said in str(rejected.value)
    assert f"{QUARTER} 未能发布：approval 失败" in mail.subjects()[0]
    assert said in robot.texts()[0]
    approved = step.execute_complete({"ti": ti}, _answer("Approve"))
    assert approved["chosen_options"] == ["Approve"]


def test_the_waive_step_stops_or_needs_a_reason(failing) -> None:
    ti = Pulled(gate=failing[1])
    step = GateWaiver(task_id="waive", gate_task_id="gate")
    with pytest.raises(AirflowFailException, match=f"wang chose not to waive it: {CHECK}"):
        step.execute_complete({"ti": ti}, _answer("Stop", until=None))
    with pytest.raises(AirflowFailException, match="gives no reason"):
        step.execute_complete({"ti": ti}, _answer("Waive", " ", until=None))
    answer = step.execute_complete({"ti": ti}, _answer("Waive", "已核实", until=None))
    assert answer["params_input"]["reason"] == "已核实"


def test_the_dag_records_the_waiver_given_or_stops_without_one(
    failing, tmp_path: Path, monkeypatch
) -> None:
    state, gate = copy_state(failing[0], tmp_path), failing[1]
    monkeypatch.setenv("RETENTION_STATE", str(state))
    # `retention run`: nobody there to answer
    # and the task fails for good: Airflow would not retry it
    with pytest.raises(AirflowFailException, match=f"nobody waived it: {CHECK}.*retention waive"):
        steps.record_waivers(QUARTER, gate, None)

    answer = _answer("Waive", "学历由人社局核实", user="li", until="2099-12-31")
    done = steps.record_waivers(QUARTER, gate, answer)

    assert done["waived"] and "waived by li, until 2099-12-31" in done["waived"][0]
    assert query(state, "select waived_by, valid_until from gate.waivers") == [
        ("li", dt.date(2099, 12, 31))
    ]


def test_only_the_configured_approvers_may_answer(monkeypatch) -> None:
    monkeypatch.setenv(APPROVERS_ENV, " zhang, li ,")
    assert approvers() == [{"id": "zhang", "name": "zhang"}, {"id": "li", "name": "li"}]
    monkeypatch.setenv(APPROVERS_ENV, "")
    with pytest.raises(AirflowFailException, match=f"set {APPROVERS_ENV} in .env"):
        approvers()
