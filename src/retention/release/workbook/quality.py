"""数据质量, for leaders: which department delivered what and when, rows refused and why, the
gate's checks in plain Chinese and the waivers that let a failure through. Feed codes and
expectation names stay in Data Docs, for engineers."""

from __future__ import annotations

from retention.release.formatting import (
    CHECK_RESULT,
    CHECK_SEVERITY,
    DELIVERY_NOTE,
    delivered_on,
)
from retention.release.pack_data import PackData
from retention.release.workbook.book import Book, quarter_label


def quality(book: Book, data: PackData) -> None:
    sheet = book.sheet(
        "数据质量",
        f"数据质量（{quarter_label(data.quarter)}）",
        [40, 26, 14, 26, 16, 8],
        header_row=0,
    )
    deliveries = [
        [
            d["department_zh"],
            d["feed_name_zh"],
            str(d["due_on"]),
            delivered_on(d),
            d["status_zh"],
            d["latest_version"],
        ]
        for d in data.deliveries
    ]
    sheet.write(1, 0, "数据报送情况", book.title)
    headers = ["部门", "数据项", "报送截止", "报送日期", "报送情况", "版本"]
    row = book.table(sheet, 2, headers, deliveries, [book.text] * 6)
    sheet.write(row - 1, 0, DELIVERY_NOTE, book.note)
    row += 1
    sheet.write(row, 0, "被拒行（按数据项和原因）", book.title)
    rejected = [
        [r["feed_name_zh"], r["reason_zh"], r["rows_rejected"]] for r in data.rejections
    ] or [["无", "", 0]]
    row = book.table(
        sheet, row + 1, ["数据项", "原因", "行数"], rejected, [book.text, book.text, book.count]
    )
    checks = _by_check(data.checks)
    passed = sum(1 for c in checks if c[1] == CHECK_RESULT[True, False])
    sheet.write(row, 0, f"质量检查（共 {len(checks)} 项，通过 {passed} 项）", book.title)
    row = book.table(sheet, row + 1, ["检查内容", "结果"], checks, [book.text] * 2)
    sheet.write(row, 0, "豁免（未通过的阻断检查，经负责人同意放行）", book.title)
    described = {c["waiver_id"]: c["description_zh"] for c in data.checks if c["waiver_id"]}
    waivers = [
        [
            described.get(w["waiver_id"], ""),
            w["waived_by"],
            w["reason"],
            w["until"] or "数据变化前",
            w["recorded_at"],
        ]
        for w in data.waivers
    ] or [["无", "", "", "", ""]]
    book.table(
        sheet,
        row + 1,
        ["检查内容", "豁免人", "理由", "有效至", "记录时间（UTC）"],
        waivers,
        [book.text] * 5,
    )


def _by_check(results: list[dict]) -> list[list[str]]:
    """A row per check, as a leader counts them, from the gate's row per expectation: failed
    if a blocking expectation failed (waived if each such failure was), warned if a warning
    did, not run if one was not run, else passed."""
    checks: dict[tuple, list[dict]] = {}
    for result in results:
        checks.setdefault((result["suite"], result["check_name"]), []).append(result)
    rows = []
    for expectations in checks.values():
        failed = [e for e in expectations if e["success"] is False]
        blocking = [e for e in failed if e["severity"] == "blocking"]
        if blocking:
            outcome = CHECK_RESULT[False, all(e["waiver_id"] for e in blocking)]
        elif failed:
            outcome = CHECK_SEVERITY["warning"]
        elif any(e["success"] is None for e in expectations):
            outcome = CHECK_RESULT[None, False]
        else:
            outcome = CHECK_RESULT[True, False]
        rows.append([expectations[0]["description_zh"], outcome])
    return rows
