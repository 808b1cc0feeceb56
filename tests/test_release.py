"""The quarterly release: the leadership pack of the sample's 2023Q4, its versions and its
refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pypdfium2
import pytest
from conftest import retention_cli
from pypdf import PdfReader

from retention.build import build
from retention.gate.runner import run_gate
from retention.paths import PROJECT_ROOT, warehouse_path
from retention.release.pack import make_release
from retention.release.pack_data import ReleaseRefused

QUARTER = "2023Q4"
NOW = dt.datetime(2024, 1, 21, 2, 0, tzinfo=dt.UTC)
REPLY_FIGURES = [
    "20999人", "102.93%", "第三位", "1.47亿元", "120名", "3354.76万元", "1241家次", "2864人次",
    "3.5万套", "5508户", "1247套", "2957人", "3900余个", "8000余名", "43家", "130家", "100.00%",
]  # fmt: skip


@pytest.fixture(scope="module")
def released(gated: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("releases")
    run = retention_cli("release", "--quarter", QUARTER, "--state", str(gated), "--out", str(out))
    assert run.returncode == 0, run.stderr
    return out / QUARTER / "v1"


def only(folder: Path, pattern: str) -> Path:
    (path,) = folder.glob(pattern)
    return path


def test_the_pdf_brief_says_every_figure_as_the_reply_writes_it(released: Path) -> None:
    pdf = only(released, "*.pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", "")
    assert "慈溪市高校毕业生留慈工作季度报告（2023年第四季度）" in text
    assert "2023年，我市共接收高校毕业生20999人，完成率102.93%，排名宁波市第三位。" in text
    for figure in REPLY_FIGURES:
        assert figure in text, figure
    assert "330282" not in text, "no clear resident ID"


def test_every_pdf_page_renders_and_is_not_blank(released: Path, tmp_path: Path) -> None:
    document = pypdfium2.PdfDocument(only(released, "*.pdf"))
    assert 2 <= len(document) <= 14
    for index in range(len(document)):
        image = document[index].render(scale=0.5).to_pil().convert("L")
        image.save(tmp_path / f"page{index + 1}.png")
        low, high = image.getextrema()
        assert high - low > 100, f"page {index + 1} is blank"
        width, height = document[index].get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_the_workbook_holds_every_figure_in_the_citys_formats(released: Path) -> None:
    book = openpyxl.load_workbook(only(released, "*.xlsx"))
    sheets = (
        "概览 宁波排名 接收分析 补贴发放 留慈率 就业见习 人才安居 青年实践 离校未就业毕业生帮扶 "
        "数据质量 指标说明"
    )
    assert book.sheetnames == sheets.split()
    overview = book["概览"]
    cells = {
        (row[0].value, row[1].value): (row[2].value, row[2].number_format, row[6].value)
        for row in overview.iter_rows(min_row=5)
        if row[0].value and row[1].value
    }
    assert cells["接收高校毕业生人数（累计）", "本年累计"][::2] == (20999, 0.0666)  # 同比
    assert cells["目标完成率", "本年累计"][:2] == (1.0293, "0.00%")
    assert cells["宁波市排名", "本年累计"][0] == 3
    amount, number_format, _ = cells["人才政策资金兑现金额", "本年累计"]
    assert (amount, number_format) == (1.47, '0.00"亿元"')
    amount, number_format, _ = cells["就业补贴发放金额（累计）", "本年累计"]
    assert (amount, number_format) == (3354.76, '0.00"万元"')
    counts = {
        "就业补贴涉及企业家次": 1241, "就业补贴惠及大学生人次": 2864, "解决人才子女入学人数": 120,
        "新增见习基地数": 43, "有效见习基地数": 130, "公租房保障外来务工人员家庭户数": 5508,
        "人才公寓累计销售套数": 1247, "产教融合平台学生人数": 2957,
    }  # fmt: skip
    values = {name: value for (name, _), (value, _, _) in cells.items()}
    assert {name: values[name] for name in counts} == counts
    assert round(values["保障性租赁住房累计筹集套数"] / 10**4, 1) == 3.5
    assert 3900 <= values["社会实践岗位累计提供数"] <= 3999
    assert 8000 <= values["服务实践青年人数"] <= 8999
    assert values["帮扶覆盖率"] == 1.0
    ranking = book["宁波排名"]
    ours = [r for r in ranking.iter_rows(min_row=4, values_only=True) if r[1] == "慈溪市"]
    assert ours[0][0] == 3 and ranking.freeze_panes == "A4"
    assert book["概览"].page_setup.paperSize == 9  # A4


def test_kpis_files_and_manifest(released: Path) -> None:
    document = json.loads((released / "kpis.json").read_text(encoding="utf-8"))
    assert document["release"]["version"] == 1 and document["release"]["status"] == "final"
    csv_bytes = (released / "kpis.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert len(csv_bytes.decode("utf-8-sig").splitlines()) == len(document["kpis"]) + 1
    manifest = json.loads((released / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        assert (
            hashlib.sha256((released / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
        )
    assert manifest["gate_run"]["passed"] == "True"
    assert {s["feed"] for s in manifest["built_from"]} >= {"graduate_intake", "district_intake"}
    # the brief's words: the staff's text for the quarter among them, by its SHA-256
    words = {w["file"]: w["sha256"] for w in manifest["words"]}
    note = PROJECT_ROOT / "seeds" / "reference" / "pack" / "quarters" / QUARTER / "下步打算.md"
    assert words["quarters/2023Q4/下步打算.md"] == hashlib.sha256(note.read_bytes()).hexdigest()
    assert "authority.yaml" in words and "sentences/headline.j2" in words


def test_releasing_unchanged_inputs_makes_no_new_version(gated: Path, released: Path) -> None:
    again = make_release(gated, QUARTER, released.parent.parent, now=NOW)
    assert (again.created, again.version) == (False, 1)
    assert sorted(p.name for p in released.parent.iterdir()) == ["v1"]


def test_a_missing_feed_makes_a_provisional_release_naming_it(gated: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    shutil.copytree(gated, state)
    with duckdb.connect(str(warehouse_path(state))) as con:
        con.execute("delete from raw.talent_child_enrollment where quarter = '2023Q4'")
        con.execute(
            "delete from ledger.submissions "
            "where feed = 'talent_child_enrollment' and quarter = '2023Q4'"
        )
    build(state)
    assert run_gate(state, QUARTER).passed

    release = make_release(state, QUARTER, tmp_path / "releases", now=NOW)

    document = json.loads((release.path / "kpis.json").read_text(encoding="utf-8"))
    assert document["release"]["status"] == "provisional"
    assert document["release"]["missing_feeds"] == ["talent_child_enrollment"]
    enrollments = [k for k in document["kpis"] if k["kpi"] == "talent_child_enrollments"]
    assert enrollments[0]["value"] is None
    pdf_text = "".join(p.extract_text() for p in PdfReader(only(release.path, "*.pdf")).pages)
    pdf_text = "".join(pdf_text.split())
    # by the department's and the feed's Chinese names, under the title and in 三、存在问题
    assert "临时版：教育局“人才子女入学”尚未报送" in pdf_text
    assert "教育局的“人才子女入学”截至发布时尚未报送" in pdf_text
    assert delivery_rows(release.path)["人才子女入学"] == ("2024-01-15", None, "未报送")


def delivery_rows(release: Path) -> dict[str, tuple]:
    """The 数据质量 sheet's deliveries: the feed's Chinese name -> (deadline, delivery date,
    status)."""
    sheet = openpyxl.load_workbook(only(release, "*.xlsx"))["数据质量"]
    assert [c.value for c in sheet[3]][:5] == ["部门", "数据项", "报送截止", "报送日期", "报送情况"]
    return {row[1]: row[2:5] for row in sheet.iter_rows(min_row=4, max_row=16, values_only=True)}


def test_the_quality_appendix_shows_each_delivery_on_time_late_or_unrecorded(
    released: Path,
) -> None:
    rows = delivery_rows(released)
    # 填报日期 2024年1月24日 against a deadline of the 20th; the load came months later
    late = ("2024-01-20", "2024-01-24（填报日期）", "已报送（逾期）")
    assert rows["宁波市各区县（市）接收高校毕业生情况"] == late
    deadline, delivered, status = rows["高校毕业生接收登记"]
    assert (deadline, status) == ("2024-01-10", "按时报送")
    assert "2024-01-01" < delivered[:10] <= "2024-01-10" and delivered.endswith("（填报日期）")
    # an export without a 填报日期, loaded with the history: never late
    assert rows["宁波大学科学技术学院毕业生名册"] == ("2024-01-15", "未记录", "已报送（未记录）")
    statuses = [status for _, _, status in rows.values()]
    assert statuses.count("按时报送") == 8 and statuses.count("已报送（逾期）") == 1
    pdf_text = "".join(p.extract_text() for p in PdfReader(only(released, "*.pdf")).pages)
    for shown in ("2024年1月24日（填报日期）", "已报送（逾期）", "按时报送", "已报送（未记录）"):
        assert shown in "".join(pdf_text.split()), shown


def test_a_failed_gate_blocks_the_release(gated: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    shutil.copytree(gated, state)
    with duckdb.connect(str(warehouse_path(state))) as con:
        con.execute(
            "update raw.district_intake set intake_ytd = intake_ytd + 1 "
            "where quarter = '2023Q4' and region_code = '330282'"
        )
    build(state)
    assert not run_gate(state, QUARTER).passed

    with pytest.raises(ReleaseRefused, match="district_row_matches_our_count"):
        make_release(state, QUARTER, tmp_path / "releases", now=NOW)
    assert not (tmp_path / "releases" / QUARTER).exists()
    run = retention_cli(
        "release", "--quarter", QUARTER, "--state", str(state), "--out", str(tmp_path)
    )
    assert run.returncode == 1 and "blocking check(s) of the quality gate" in run.stderr
    assert "未通过质量检查" in run.stderr and len(run.stderr.strip().splitlines()) == 1
