"""How each department delivers each file: format, encoding, headers, date form, clutter.

A realistic mix, all within what the contract allows:
- hrss: XLSX from the bureau's templates (merged title row, 填报单位 row, 合计 row; dates as
  Excel date cells); subsidy payments as GB18030 CSV saved from Excel (title row, amounts with
  thousands separators, 合计 row); the 2022H1 ledger as GB18030 CSV with 2022年1月5日 dates;
  the 2022Q1 district table as a UTF-8 CSV export with English headers.
- edu: UTF-8 CSV exports (the roster and child enrolments with a BOM; the programmes with
  20230901 dates; 2024 child enrolments with English headers).
- housing: XLSX for baselines and 2022, then GB18030 CSV (2023年7月1日 dates, thousands
  separators) for apartments and UTF-8 CSV with English headers for public rental.
- youth: GB18030 CSV saved from Excel, dates 2023/7/1, a title row (and a blank row after it
  from 2023).

Every form with title rows states its 填报日期 at the right end of the 填报单位 row: most a few
days before the deadline, a few after it around the holidays (LATE). The exports without title
rows state none; loaded in bulk with the history, their delivery date is unknown.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import replace

import numpy as np

from retention.contract import Contract
from retention.sample.batches import Batch
from retention.sample.calendar import HOLIDAYS, Quarter
from retention.sample.reference import reference
from retention.sample.writers import Style

SENDERS = {
    "hrss": "慈溪市人力资源和社会保障局",
    "edu": "慈溪市教育局",
    "housing": "慈溪市住房和城乡建设局",
    "youth": "共青团慈溪市委",
}


def title(contract: Contract, batch: Batch) -> str:
    feed = contract.feeds[batch.feed]
    q = batch.quarter
    end = q.end.astype(object)
    if batch.baseline:
        return f"{feed.title}历史数据（截至{end.year}年{end.month}月{end.day}日）"
    if batch.feed == "district_intake":
        return f"{feed.title}（{q.year}年1—{q.end_month}月）"
    if feed.kind == "snapshot":
        return f"{feed.title}（截至{end.year}年{end.month}月{end.day}日）"
    suffix = "明细表" if batch.feed == "subsidy_payment" else "表"
    return f"{q.zh}{feed.title}{suffix}"


# The files sent after their deadline (submission_calendar), on these days: the youth league's
# 2022Q4 files in the week before the Spring Festival, the housing bureau's apartment sales after
# the National Day week, and Ningbo's year-end district table once the city had compiled it.
LATE = {
    ("practice_position", Quarter(2022, 4)): dt.date(2023, 1, 18),
    ("practice_participant", Quarter(2022, 4)): dt.date(2023, 1, 18),
    ("talent_apartment_sale", Quarter(2023, 3)): dt.date(2023, 10, 17),
    ("district_intake", Quarter(2023, 4)): dt.date(2024, 1, 24),
}
VERSION_GAP_DAYS = 14  # a corrected version follows its predecessor by about two weeks


def delivered_on(batch: Batch) -> dt.date:
    """The day the department sent the file: a working day up to three days before its
    deadline (never before the quarter has ended), or its LATE day; a later version some
    weeks after the first."""
    q = batch.quarter
    first = LATE.get((batch.feed, q))
    if first is None:
        due = q.end + np.timedelta64(reference().due_days[batch.feed], "D")
        slack = zlib.crc32(f"{batch.feed}/{q}".encode()) % 4  # the same day on every run
        day = np.busday_offset(due - slack, 0, roll="backward", holidays=HOLIDAYS)
        if day <= q.end:  # the days before the deadline are a holiday week
            day = np.busday_offset(q.end + 1, 0, roll="forward", holidays=HOLIDAYS)
        first = day.astype(object)
    gap = np.timedelta64(VERSION_GAP_DAYS * (batch.version - 1), "D")
    later = np.busday_offset(np.datetime64(first) + gap, 0, roll="forward", holidays=HOLIDAYS)
    return later.astype(object)


def style(contract: Contract, batch: Batch) -> Style:
    layout = _layout(contract, batch)
    if not layout.titles:  # an export without title rows states no date
        return layout
    day = delivered_on(batch)
    return replace(layout, declared=f"填报日期：{day.year}年{day.month}月{day.day}日")


def _layout(contract: Contract, batch: Batch) -> Style:
    feed = contract.feeds[batch.feed]
    dept = feed.department
    sender = SENDERS[dept]
    head = title(contract, batch)
    q = batch.quarter
    form = (head, f"填报单位：{sender}")
    excel_csv = {"encoding": "gb18030", "newline": "\r\n", "pad_titles": True}
    name = batch.feed
    if name == "graduate_intake":
        return Style("xlsx", titles=form, serial=True, total=True, author=sender)
    if name == "subsidy_payment":
        return Style("csv", **excel_csv, dates="slash", thousands=True, titles=form, total=True)
    if name == "internship_base":
        return Style("xlsx", titles=form, total=True, author=sender)
    if name == "unemployed_support":
        if q.year == 2022 and q.q <= 2:
            return Style("csv", **excel_csv, dates="chinese", titles=form, total=True)
        return Style("xlsx", titles=form, total=True, author=sender)
    if name == "district_intake":
        if (q.year, q.q) == (2022, 1):
            return Style("csv", encoding="utf-8", newline="\n", english=True)
        return Style("xlsx", titles=(head, "单位：人"), total=True, author=sender)
    if name == "graduate_roster":
        return Style("csv", encoding="utf-8-sig", newline="\n", dates="iso")
    if name == "industry_program":
        bom = q.year >= 2024
        return Style("csv", encoding="utf-8-sig" if bom else "utf-8", newline="\n", dates="compact")
    if name == "talent_child_enrollment":
        return Style("csv", encoding="utf-8-sig", newline="\n", dates="iso", english=q.year >= 2024)
    if name == "talent_apartment_sale":
        if batch.baseline or q.year == 2022:
            return Style("xlsx", titles=form, total=True, thousands=True, author=sender)
        return Style(
            "csv",
            **excel_csv,
            dates="chinese",
            thousands=True,
            titles=form,
            blank_after_titles=True,
            total=True,
        )
    if name == "rental_housing_project":
        if batch.baseline:
            return Style("csv", encoding="utf-8-sig", newline="\n", dates="iso")
        return Style("xlsx", titles=form, total=True, author=sender)
    if name == "public_rental_allocation":
        if batch.baseline or q.year == 2022:
            return Style("xlsx", titles=form, total=True, author=sender)
        return Style("csv", encoding="utf-8", newline="\n", english=True, dates="compact")
    if name == "practice_position":
        return Style(
            "csv",
            **excel_csv,
            dates="slash",
            titles=form,
            blank_after_titles=q.year >= 2023,
            total=True,
        )
    if name == "practice_participant":
        return Style(
            "csv", **excel_csv, dates="slash", titles=form, blank_after_titles=q.year >= 2023
        )
    raise KeyError(name)


def created(batch: Batch) -> dt.datetime:
    """When the file was saved: the morning of the day it was sent."""
    return dt.datetime.combine(delivered_on(batch), dt.time(9, 30))


def file_name(batch: Batch, fmt: str) -> str:
    return f"{batch.file_stem}.{fmt}"
