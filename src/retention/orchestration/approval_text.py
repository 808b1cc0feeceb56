"""What the release DAG's human steps show (Airflow renders their body as Markdown): the draft
awaiting approval, read from the draft itself, and the gate's failures awaiting a waiver.

Text that comes from data (a finding's example values, a waiver's reason, a name) is escaped
for Markdown: a clerk's `[link](…)`, `![](…)` or `<b>` is shown as typed, never followed,
fetched or rendered.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from retention.paths import REFERENCE_DIR
from retention.printable import printable

STATUS = {"final": "正式 / final", "provisional": "临时（数据未齐）/ provisional"}
# CommonMark lets every ASCII punctuation character be escaped with a backslash
PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md(value: object) -> str:
    """Any text as Markdown that shows it literally, on one line."""
    text = printable(" ".join(str(value).split()))
    return PUNCTUATION.sub(r"\\\1", text)


def _headlines() -> list[dict[str, str]]:
    """The figures an approver looks at first: the catalogue's headline KPIs (the brief's
    cards), in their order."""
    with (REFERENCE_DIR / "kpi_catalogue.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["headline"]]
    return sorted(rows, key=lambda r: int(r["headline"]))


def _headline_rows(kpis: dict) -> list[str]:
    from retention.release import formatting as fmt

    rows = {(r["kpi"], r["scope"]): r for r in kpis["kpis"] if not r["dimension"]}
    lines = ["| 指标 / KPI | 口径 | 数值 | 同比 | 环比 |", "|---|---|---|---|---|"]
    for entry in _headlines():
        key = (entry["kpi"], entry["scope"])
        row = rows.get(key)
        if row is None:  # a KPI with a dimension (a cohort's rate) is read in the pack
            continue
        rule = entry["change_rule"]

        def change(value: float | None, rule: str = rule) -> str:
            return "—" if rule == "none" else fmt.change(value, rule)

        cells = [
            entry["name_zh"],
            fmt.SCOPES[key[1]],
            fmt.figure(row["value"], row["unit"]),
            change(row["yoy"]),
            change(row["qoq"]),
        ]
        lines.append("| " + " | ".join(md(c) for c in cells) + " |")
    return lines


def _items(lines: list[str]) -> list[str]:
    return [f"- {line}" for line in lines] or ["- 无 / none"]


def approval_request(draft: dict) -> tuple[str, str]:
    """Subject and Markdown body of the approval step, from the draft folder's manifest and
    kpis.json: what is approved is what is shown."""
    folder = Path(draft["path"])
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    quarter, version = manifest["quarter"], manifest["version"]
    subject = f"留慈工作季度报告 {quarter} v{version} 待审批 / {quarter} v{version} awaits approval"
    waivers = [
        f"{md(w['check'])} {md(w['expectation'])}：{md(w['observed'])}；"
        f"豁免人 / by **{md(w['waived_by'])}**，理由 / reason：{md(w['reason'])}"
        + (f"，有效至 / until {md(w['until'])}" if w["until"] else "")
        for w in manifest["waivers"]
    ]
    warnings = [
        f"{md(w['check'])} {md(w['expectation'])}：{md(w['observed'])}"
        for w in manifest["warnings"]
    ]
    restated = kpis["release"].get("restatement")
    lines = [
        f"**季度 / Quarter**：{md(quarter)}",
        "",
        f"**版本 / Version**：v{version}，{STATUS[manifest['status']]}"
        + (f"（替代 / replaces v{restated['replaces_version']}）" if restated else ""),
        "",
        f"**草稿 / Draft**：{md(folder)}",
        "",
        f"**草稿摘要 / Draft digest**：{md(manifest['content_sha256'])}",
        "",
        "### 主要指标 / Headline KPIs",
        "",
        *_headline_rows(kpis),
        "",
        "### 未报送数据项 / Missing feeds",
        "",
        *_items([md(f) for f in manifest.get("missing_feeds", [])]),
        "",
        "### 质量检查警告 / Gate warnings",
        "",
        *_items(warnings),
        "",
        "### 豁免 / Waivers",
        "",
        *_items(waivers),
        "",
        "批准即原样发布此草稿。驳回请写明理由：运行将停止，并通知相关人员。/ Approving publishes "
        "this draft as it is. To reject, write the reason: the run stops and those notified "
        "are told why.",
    ]
    return subject, "\n".join(lines)


def waiver_request(quarter: str, gate: dict) -> tuple[str, str]:
    """Subject and Markdown body of the step offered when the gate fails."""
    subject = f"留慈工作季度报告 {quarter} 未通过质量检查 / {quarter} failed the quality gate"
    lines = [
        f"**季度 / Quarter**：{md(quarter)}（质量检查运行 / gate run {md(gate['run_id'])}）",
        "",
        "### 未通过的阻断检查 / Blocking failures",
        "",
        *_items([md(f["sentence"]) for f in gate["failures"]]),
        "",
        "### 警告 / Warnings",
        "",
        *_items([md(w) for w in gate["warnings"]]),
        "",
        "选择 Waive 即以您的名义豁免以上全部阻断项（须写明理由，可设有效期），数据一旦变化豁免即"
        "失效；选择 Stop 则停止本次运行。/ Waive lets every failure above through in your name "
        "(a reason is required; a last day is optional) until the data changes; Stop ends the "
        "run.",
    ]
    return subject, "\n".join(lines)
