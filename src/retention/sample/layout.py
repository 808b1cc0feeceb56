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
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from retention.contract import Contract
from retention.sample.batches import Batch
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


def style(contract: Contract, batch: Batch) -> Style:
    feed = contract.feeds[batch.feed]
    dept = feed.department
    sender = SENDERS[dept]
    head = title(contract, batch)
    q = batch.quarter
    xlsx_titles = (head, f"填报单位：{sender}")
    excel_csv = {"encoding": "gb18030", "newline": "\r\n", "pad_titles": True}
    name = batch.feed
    if name == "graduate_intake":
        return Style("xlsx", titles=xlsx_titles, serial=True, total=True, author=sender)
    if name == "subsidy_payment":
        return Style("csv", **excel_csv, dates="slash", thousands=True, titles=(head,), total=True)
    if name == "internship_base":
        return Style("xlsx", titles=xlsx_titles, total=True, author=sender)
    if name == "unemployed_support":
        if q.year == 2022 and q.q <= 2:
            return Style("csv", **excel_csv, dates="chinese", titles=(head,), total=True)
        return Style("xlsx", titles=xlsx_titles, total=True, author=sender)
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
            return Style("xlsx", titles=(head,), total=True, thousands=True, author=sender)
        return Style(
            "csv",
            **excel_csv,
            dates="chinese",
            thousands=True,
            titles=(head,),
            blank_after_titles=True,
            total=True,
        )
    if name == "rental_housing_project":
        if batch.baseline:
            return Style("csv", encoding="utf-8-sig", newline="\n", dates="iso")
        return Style("xlsx", titles=(head,), total=True, author=sender)
    if name == "public_rental_allocation":
        if batch.baseline or q.year == 2022:
            return Style("xlsx", titles=(head,), total=True, author=sender)
        return Style("csv", encoding="utf-8", newline="\n", english=True, dates="compact")
    if name == "practice_position":
        return Style(
            "csv",
            **excel_csv,
            dates="slash",
            titles=(head,),
            blank_after_titles=q.year >= 2023,
            total=True,
        )
    if name == "practice_participant":
        return Style(
            "csv", **excel_csv, dates="slash", titles=(head,), blank_after_titles=q.year >= 2023
        )
    raise KeyError(name)


def created(batch: Batch) -> dt.datetime:
    """When the file was saved: a working morning about a week after the quarter's end."""
    end = (batch.quarter.end + np.timedelta64(8 + batch.version * 14, "D")).astype(object)
    return dt.datetime(end.year, end.month, end.day, 9, 30, 0)


def file_name(batch: Batch, fmt: str) -> str:
    return f"{batch.file_stem}.{fmt}"
