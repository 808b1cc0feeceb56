"""generate_broken(): department files that break the contract on purpose, one per reason code.

Each file sits in a feed and quarter the sample does not use (2024Q3, a few 2024Q4), so the
files can be dropped into the same landing folder as the sample. A file-level fault refuses the
whole file; a row-level fault rejects only the broken rows (a known number among valid ones),
each broken in exactly one way. `BrokenCase` says what the loader must conclude for each file,
assuming it processes files sorted by (feed, quarter, version, file name) and that a refused
file loads nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xlsxwriter

from retention.contract import Feed, default_contract
from retention.identifiers import USCC_ALPHABET, id_check_char, uscc_check_char
from retention.sample.calendar import day, random_workdays
from retention.sample.context import Context
from retention.sample.people import IdAllocator, birth_dates, region_mix
from retention.sample.randomness import stream
from retention.sample.youth import make_positions

SAVED = dt.datetime(2024, 10, 9, 9, 30)


@dataclass(frozen=True)
class BrokenCase:
    """What the loader must make of one deliberately bad file."""

    path: str  # relative to the landing folder, e.g. 'hrss/graduate_intake_2024Q3.csv'
    reason: str  # the contract's reason code
    status: str  # 'refused' (file codes) or 'loaded' (row codes)
    rows_loaded: int  # 0 for a refused file
    rows_rejected: int  # 0 for a refused file
    rejected_lines: tuple[int, ...] = ()  # 1-based lines (CSV) or rows (XLSX) of rejected rows
    conflicts_with: str | None = None  # version_conflict: the same-version file that loads first
    note: str = ""


def _feed(name: str) -> Feed:
    return default_contract().feeds[name]


def _headers(feed: Feed, drop: tuple[str, ...] = ()) -> list[str]:
    return [c.header for c in feed.columns if c.name not in drop]


def _write_csv(
    path: Path, lines: list[list[str]], encoding: str = "utf-8", newline: str = "\n"
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator=newline).writerows(lines)


def _write_xlsx(path: Path, lines: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": SAVED})
    ws = wb.add_worksheet()
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, line in enumerate(lines):
        for c, v in enumerate(line):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v)
            elif v:
                ws.write_string(r, c, str(v))
    wb.close()


class _Maker:
    """Valid values to surround the broken ones with."""

    def __init__(self) -> None:
        self.rng = stream("broken")
        self.ids = IdAllocator()
        self.ctx = Context(1)

    def people(self, n: int, first: int = 1996, last: int = 2003):
        births = birth_dates(self.rng, self.rng.integers(first, last + 1, n))
        return self.ids.people(self.rng, births, region_mix(0.5, 0.15, 0.15, 0.2))

    def firms(self, n: int):
        idx = self.rng.choice(len(self.ctx.employers), size=n, replace=False)
        return self.ctx.employers.take(idx)

    def days(self, first: str, last: str, n: int) -> list[dt.date]:
        got = np.sort(random_workdays(self.rng, day(first), day(last), n))
        return [d.astype(object) for d in got]


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _slash(d: dt.date) -> str:
    return f"{d.year}/{d.month}/{d.day}"


def _yuan(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


# ---- file-level faults -----------------------------------------------------------------------


def _unreadable_xlsx(out: Path) -> BrokenCase:
    # An old binary workbook (Excel 97-2003, OLE2) saved under an .xlsx name: not a zip file.
    rel = "hrss/district_intake_2024Q3.xlsx"
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(16) + bytes.fromhex("3e000300feff0900")
    path.write_bytes(header + bytes(range(256)) * 8)
    return BrokenCase(
        rel,
        "unreadable",
        "refused",
        0,
        0,
        note="an Excel 97-2003 (OLE2) workbook named .xlsx: not a zip archive",
    )


def _unreadable_csv(out: Path, m: _Maker) -> BrokenCase:
    # Excel's "Unicode text" export (UTF-16 LE with a BOM, tab-separated) named .csv: neither
    # UTF-8 nor GB18030.
    rel = "youth/practice_position_2024Q4.csv"
    feed = _feed("practice_position")
    firms = m.firms(3)
    lines = ["\t".join(_headers(feed))]
    for i, d in enumerate(m.days("2024-10-08", "2024-12-20", 3)):
        lines.append(
            "\t".join(
                [
                    f"JYGC2024{9001 + i}",
                    str(firms.name[i]),
                    str(firms.uscc[i]),
                    "行政助理",
                    "管理类",
                    "2",
                    _slash(d),
                ]
            )
        )
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le") + b"\r\n\x00")
    return BrokenCase(
        rel,
        "unreadable",
        "refused",
        0,
        0,
        note="UTF-16 (Excel 'Unicode text') named .csv: neither UTF-8 nor GB18030",
    )


def _no_header(out: Path, m: _Maker) -> BrokenCase:
    # Data pasted under a title with the column names row deleted.
    rel = "edu/talent_child_enrollment_2024Q3.csv"
    talents = m.people(6, 1975, 1990)
    lines = [["2024年第三季度人才子女入学办结名单"]]
    for i, d in enumerate(m.days("2024-07-08", "2024-09-20", 6)):
        lines.append(
            [
                f"RCZN2024{9001 + i}",
                str(talents.id[i]),
                "D类",
                "小学",
                "慈溪市浒山中心小学",
                _iso(d),
            ]
        )
    _write_csv(out / rel, lines, "utf-8-sig")
    return BrokenCase(rel, "no_header", "refused", 0, 0, note="title row, then data: no header")


def _missing_column(out: Path, m: _Maker) -> BrokenCase:
    rel = "housing/public_rental_allocation_2024Q3.csv"
    feed = _feed("public_rental_allocation")
    people = m.people(8, 1970, 1995)
    lines = [_headers(feed, drop=("mode",))]
    for i, d in enumerate(m.days("2024-07-08", "2024-09-27", 8)):
        lines.append([f"GZF2024{9001 + i}", str(people.id[i]), str(1 + i % 5), _iso(d)])
    _write_csv(out / rel, lines)
    return BrokenCase(
        rel,
        "missing_column",
        "refused",
        0,
        0,
        note="the required column 保障方式 (mode) is missing",
    )


def _subsidy_lines(m: _Maker, first: str, last: str, n: int, prefix: str) -> list[list[str]]:
    """Valid 就业补贴 lines to individuals (高校毕业生就业补贴, 2000-30000 yuan)."""
    people = m.people(n)
    amounts = m.rng.choice([1200000, 1500000, 2000000, 2500000], size=n)
    lines = []
    for i, d in enumerate(m.days(first, last, n)):
        lines.append(
            [
                f"{prefix}{i + 1:05d}",
                "高校毕业生就业补贴",
                "个人",
                str(people.id[i]),
                str(people.name[i]),
                "",
                _yuan(int(amounts[i])),
                _slash(d),
                "就业补助资金",
            ]
        )
    return lines


def _control_total(out: Path, m: _Maker) -> BrokenCase:
    rel = "hrss/subsidy_payment_2024Q3.csv"
    feed = _feed("subsidy_payment")
    body = _subsidy_lines(m, "2024-07-08", "2024-09-27", 10, "BTFF2024Q3")
    actual = sum(int(r[6].replace(",", "").replace(".", "")) for r in body)
    total = ["合计", "", "", "", "", "", _yuan(actual + 10000), "", ""]
    lines = [["2024年第三季度补贴发放明细表"] + [""] * 8, _headers(feed), *body, total]
    _write_csv(out / rel, lines, "gb18030", "\r\n")
    return BrokenCase(
        rel,
        "control_total_mismatch",
        "refused",
        0,
        0,
        note=f"合计 says {_yuan(actual + 10000)}, the rows add up to {_yuan(actual)}",
    )


def _empty(out: Path) -> BrokenCase:
    rel = "youth/practice_position_2024Q3.csv"
    feed = _feed("practice_position")
    lines = [["2024年第三季度“家燕归巢”社会实践岗位表"] + [""] * 6, _headers(feed)]
    _write_csv(out / rel, lines, "gb18030", "\r\n")
    return BrokenCase(rel, "empty", "refused", 0, 0, note="a title and a header, no data row")


def _version_conflict(out: Path, m: _Maker) -> BrokenCase:
    # The same quarter sent twice as version 1 (once unnamed, once `_v1`), with different
    # contents. Sorted by file name the .csv comes first and loads; the .xlsx is refused.
    first = "housing/rental_housing_project_2024Q3.csv"
    second = "housing/rental_housing_project_2024Q3_v1.xlsx"
    feed = _feed("rental_housing_project")
    dates = m.days("2024-07-08", "2024-09-27", 5)
    rows = [
        [f"BZZF2024{901 + i}", f"{t}青年公寓保障性租赁住房项目", "新建", t, 120 + 40 * i, d]
        for i, (t, d) in enumerate(
            zip(("浒山街道", "古塘街道", "宗汉街道", "坎墩街道", "周巷镇"), dates, strict=True)
        )
    ]
    _write_csv(out / first, [_headers(feed)] + [[*r[:4], str(r[4]), _iso(r[5])] for r in rows])
    changed = [list(r) for r in rows]
    changed[2][4] += 60  # the second delivery corrects one project's units
    _write_xlsx(out / second, [_headers(feed), *changed])
    return BrokenCase(
        second,
        "version_conflict",
        "refused",
        0,
        0,
        conflicts_with=first,
        note=f"{first} (5 rows) loads first; this different version 1 is refused",
    )


# ---- row-level faults ------------------------------------------------------------------------


def _bad_id(out: Path, m: _Maker) -> BrokenCase:
    rel = "hrss/graduate_intake_2024Q3.csv"
    feed = _feed("graduate_intake")
    people = m.people(20)
    firms = m.firms(20)
    ids = [str(x) for x in people.id]
    # A valid ID ending in a lower-case x (accepted in either case).
    body = f"33028220010318{201:03d}"
    while id_check_char(body) != "X":
        body = str(int(body) + 1)
    ids[3] = body + "x"
    bad = {
        5: ids[5][:17] + ("0" if ids[5][17] != "0" else "1"),  # wrong check character
        9: ids[9][:6] + ids[9][8:17],  # a 15-digit first-generation ID
        12: ids[12][:17],  # the check character left off
        15: "33028219990230123" + id_check_char("33028219990230123"),  # 30 February
        18: ids[18][:10] + "O" + ids[18][11:],  # a letter O for a zero
    }
    lines = [_headers(feed)]
    dates = m.days("2024-07-01", "2024-09-30", 20)
    for i in range(20):
        lines.append(
            [
                f"CXJS2024{900001 + i}",
                bad.get(i, ids[i]),
                str(people.name[i]),
                "宁波工程学院",
                "本科",
                "机械设计制造及其自动化",
                "2024-06-28",
                str(firms.name[i]),
                str(firms.uscc[i]),
                str(firms.section[i]),
                str(firms.town[i]),
                "就业登记",
                _iso(dates[i]),
            ]
        )
    _write_csv(out / rel, lines, "utf-8-sig")
    rejected = tuple(sorted(2 + i for i in bad))
    return BrokenCase(
        rel,
        "bad_id_check",
        "loaded",
        15,
        5,
        rejected,
        note="wrong check character, 15 digits, 17 digits, 30 February, letter O; "
        "one valid ID ends in a lower-case x",
    )


def _bad_uscc(out: Path, m: _Maker) -> BrokenCase:
    rel = "hrss/internship_base_2024Q3.xlsx"
    feed = _feed("internship_base")
    firms = m.firms(12)
    usccs = [str(x) for x in firms.uscc]
    usccs[2] = usccs[2][:8] + "IO" + usccs[2][10:]  # I and O are not in the alphabet
    usccs[6] = usccs[6][:17]  # 17 characters
    usccs[9] = usccs[9][:12] + "S" + usccs[9][13:]  # S is not in the alphabet
    # A well-formed code with a wrong check character is only flagged, and loads.
    body = usccs[4][:17]
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(uscc_check_char(body)) + 1) % 31]
    usccs[4] = body + wrong
    lines: list[list[object]] = [["就业见习基地名册（截至2024年9月30日）"], _headers(feed)]
    for i in range(12):
        lines.append(
            [
                f"CXJX2024{901 + i}",
                str(firms.name[i]),
                usccs[i],
                "技术技能类",
                "县级",
                dt.date(2024, 3, 29),
                None,
                "未考核",
                6 + i % 5,
                3,
                1,
            ]
        )
    _write_xlsx(out / rel, lines)
    return BrokenCase(
        rel,
        "bad_uscc_format",
        "loaded",
        9,
        3,
        (5, 9, 12),
        note="I/O letters, 17 characters, an S; one wrong check character only "
        "flagged (row 7 loads with check_ok false)",
    )


def _bad_date(out: Path, m: _Maker) -> BrokenCase:
    rel = "edu/graduate_roster_2024Q3.csv"
    feed = _feed("graduate_roster")
    people = m.people(15, 2001, 2002)
    dates = [_iso(d) for d in m.days("2024-09-02", "2024-09-27", 15)]
    bad = {3: "2024-09-31", 7: "2024/13/2", 10: "2024年9月", 13: "二〇二四年九月二十日"}
    lines = [_headers(feed)]
    for i in range(15):
        lines.append(
            [
                f"2020019{i + 1:03d}",
                str(people.id[i]),
                str(people.name[i]),
                "机电工程学院",
                "机械电子工程",
                "本科",
                bad.get(i, dates[i]),
                "浙江省慈溪市",
            ]
        )
    _write_csv(out / rel, lines, "utf-8-sig")
    return BrokenCase(
        rel,
        "bad_date",
        "loaded",
        11,
        4,
        tuple(sorted(2 + i for i in bad)),
        note="31 September, month 13, a month without a day, a date in words",
    )


def _bad_enum(out: Path, m: _Maker) -> BrokenCase:
    rel = "hrss/unemployed_support_2024Q3.xlsx"
    feed = _feed("unemployed_support")
    people = m.people(10, 2001, 2002)
    status = [
        "未就业",
        "已就业",
        "暂不就业",
        " 未就业 ",
        "待就业",
        "未就业",
        "已经就业",
        "已就业",
        "Employed",
        "未就业",
    ]
    lines: list[list[object]] = [
        ["离校未就业高校毕业生帮扶台账（截至2024年9月30日）"],
        ["填报单位：慈溪市人力资源和社会保障局"],
        _headers(feed),
    ]
    for i in range(10):
        employed = dt.date(2024, 8, 19) if status[i] == "已就业" else None
        lines.append(
            [
                str(people.id[i]),
                "宁波工程学院",
                dt.date(2024, 6, 28),
                dt.date(2024, 7, 10),
                1 + i % 3,
                status[i],
                employed,
            ]
        )
    _write_xlsx(out / rel, lines)
    return BrokenCase(
        rel,
        "bad_enum",
        "loaded",
        7,
        3,
        (8, 10, 12),
        note="待就业, 已经就业, Employed; ' 未就业 ' (surrounding spaces) is valid",
    )


def _bad_number(out: Path, m: _Maker) -> BrokenCase:
    rel = "housing/talent_apartment_sale_2024Q3.csv"
    feed = _feed("talent_apartment_sale")
    people = m.people(12, 1985, 1998)
    lines = [["2024年第三季度人才公寓销售表"] + [""] * 6, _headers(feed)]
    bad = {
        2: ("105.33", "1,359,227.891"),
        5: ("89.62", "-1,200,000.00"),
        8: ("89.62", "壹佰贰拾万元"),
        10: ("0", "1,000,000.00"),
    }
    for i, d in enumerate(m.days("2024-07-08", "2024-09-27", 12)):
        area, price = bad.get(i, ("119.76", f"{1_600_000 + 1000 * i:,}.00"))
        lines.append(
            [
                f"RCGY2024{901 + i}",
                str(people.id[i]),
                "人才公寓·前湾雅苑二期",
                f"5幢{i + 2}01室",
                area,
                price,
                f"{d.year}年{d.month}月{d.day}日",
            ]
        )
    _write_csv(out / rel, lines, "gb18030", "\r\n")
    return BrokenCase(
        rel,
        "bad_number",
        "loaded",
        8,
        4,
        tuple(sorted(3 + i for i in bad)),
        note="3 decimals, a negative price, a price in words, a zero floor area",
    )


def _missing_value(out: Path, m: _Maker) -> BrokenCase:
    rel = "edu/industry_program_2024Q3.csv"
    feed = _feed("industry_program")
    people = m.people(12, 2003, 2005)
    firms = m.firms(1)
    bad = {1: "", 6: "", 9: "   "}
    lines = [_headers(feed)]
    for i, d in enumerate(m.days("2024-09-02", "2024-09-30", 12)):
        partner = "" if i == 4 else str(firms.uscc[0])  # optional: blank is fine
        lines.append(
            [
                f"2023010{i + 1:03d}",
                str(people.id[i]),
                "机械电子工程",
                bad.get(i, "智能家电产业学院"),
                partner,
                d.strftime("%Y%m%d"),
            ]
        )
    _write_csv(out / rel, lines)
    return BrokenCase(
        rel,
        "missing_value",
        "loaded",
        9,
        3,
        tuple(sorted(2 + i for i in bad)),
        note="产业学院或产业班 empty twice and blank (spaces only) once; an empty "
        "optional partner code loads",
    )


def _out_of_period(out: Path, m: _Maker) -> BrokenCase:
    rel = "youth/practice_participant_2024Q3.csv"
    feed = _feed("practice_participant")
    # Positions the sample delivers in 2024 (a resolvable cross-feed reference).
    positions = make_positions(m.ctx).rows
    published = positions["published_on"]
    ids = positions["position_id"][
        (published >= day("2024-01-01")) & (published <= day("2024-06-20"))
    ][:15]
    people = m.people(15, 2002, 2005)
    starts = m.days("2024-07-01", "2024-08-30", 15)
    bad = {4: dt.date(2024, 6, 28), 8: dt.date(2024, 10, 8), 13: dt.date(2023, 7, 17)}
    lines = [["2024年第三季度“家燕归巢”实践青年名单"] + [""] * 6, _headers(feed)]
    for i in range(15):
        start = bad.get(i, starts[i])
        lines.append(
            [
                f"BM2024{90001 + i}",
                str(people.id[i]),
                str(people.name[i]),
                "宁波大学",
                str(ids[i]),
                _slash(start),
                _slash(start + dt.timedelta(days=14)),
            ]
        )
    _write_csv(out / rel, lines, "gb18030", "\r\n")
    return BrokenCase(
        rel,
        "out_of_period",
        "loaded",
        12,
        3,
        tuple(sorted(3 + i for i in bad)),
        note="开始日期 in 2024Q2, 2024Q4 and 2023Q3",
    )


def _duplicate_key(out: Path, m: _Maker) -> BrokenCase:
    rel = "hrss/subsidy_payment_2024Q4.csv"
    feed = _feed("subsidy_payment")
    body = _subsidy_lines(m, "2024-10-08", "2024-12-20", 12, "BTFF2024Q4")
    # The same lines pasted twice, and a corrected line appended under its old number: the
    # first row with a key loads, later ones are rejected.
    dups = [list(body[3]), list(body[7]), list(body[10])]
    dups[2][6] = _yuan(int(dups[2][6].replace(",", "").replace(".", "")) + 50000)
    rows = body[:9] + [dups[0], dups[1]] + body[9:] + [dups[2]]
    total = sum(int(r[6].replace(",", "").replace(".", "")) for r in rows)
    lines = [
        ["2024年第四季度补贴发放明细表"] + [""] * 8,
        _headers(feed),
        *rows,
        ["合计", "", "", "", "", "", _yuan(total), "", ""],
    ]
    _write_csv(out / rel, lines, "gb18030", "\r\n")
    return BrokenCase(
        rel,
        "duplicate_key",
        "loaded",
        12,
        3,
        (12, 13, 17),
        note="two lines pasted twice and one re-entered with another amount; the "
        "合计 adds up all 15 rows as delivered",
    )


def _multiple_sheets(out: Path, m: _Maker) -> BrokenCase:
    # Monthly sheets in one workbook: reading the first alone would lose two months.
    rel = "youth/practice_position_2024Q4.xlsx"
    feed = _feed("practice_position")
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": SAVED})
    firms = m.firms(3)
    for i, month in enumerate(("10月", "11月", "12月")):
        ws = wb.add_worksheet(month)
        ws.write_row(0, 0, _headers(feed))
        row = [f"GW2024{991 + i}", str(firms.name[i]), str(firms.uscc[i]), "实践助理"]
        ws.write_row(1, 0, [*row, "管理类", "2", f"2024-{10 + i}-08"])
    wb.close()
    return BrokenCase(rel, "multiple_sheets", "refused", 0, 0, note="a sheet per month")


def _not_a_file(out: Path, m: _Maker) -> BrokenCase:
    # A sub-folder inside the department folder: its files are not deliveries.
    rel = "edu/2024Q3"
    feed = _feed("talent_child_enrollment")
    lines = [_headers(feed), ["SL2024901", str(m.people(1).id[0]), "C类", "小学", "", "2024/8/1"]]
    _write_csv(out / rel / "talent_child_enrollment_2024Q3.csv", lines)
    return BrokenCase(rel, "not_a_file", "refused", 0, 0, note="a folder, not a file")


def _no_valid_rows(out: Path, m: _Maker) -> BrokenCase:
    rel = "housing/rental_housing_project_2024Q4.csv"
    feed = _feed("rental_housing_project")
    dates = m.days("2024-04-08", "2024-06-27", 3)  # all in 2024Q2: none in the file's quarter
    lines = [_headers(feed)] + [
        [f"BZZF2024{951 + i}", f"新浦镇人才公寓{i + 1}期", "改建", "新浦镇", 60, _iso(d)]
        for i, d in enumerate(dates)
    ]
    _write_csv(out / rel, lines)
    return BrokenCase(rel, "no_valid_rows", "refused", 0, 0, note="every row dated in 2024Q2")


def generate_broken(out: Path) -> list[BrokenCase]:
    """Write the broken files under `out` and return what the loader must make of each."""
    out = Path(out)
    m = _Maker()
    cases = [
        _unreadable_xlsx(out),
        _unreadable_csv(out, m),
        _no_header(out, m),
        _missing_column(out, m),
        _control_total(out, m),
        _empty(out),
        _version_conflict(out, m),
        _bad_id(out, m),
        _bad_uscc(out, m),
        _bad_date(out, m),
        _bad_enum(out, m),
        _bad_number(out, m),
        _missing_value(out, m),
        _out_of_period(out, m),
        _duplicate_key(out, m),
        _multiple_sheets(out, m),
        _not_a_file(out, m),
        _no_valid_rows(out, m),
    ]
    return cases
