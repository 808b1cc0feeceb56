"""The PDF brief as a leader reads it: a government report in the layout of GB/T 9704-2012,
its four sections, the staff's words, Chinese throughout. Measured on the PDF itself."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import pypdfium2
import pytest

from retention.paths import REFERENCE_DIR
from retention.release.brief import write_brief
from retention.release.narrative import WORDS_DIR, Words
from retention.release.pack_data import read_pack_data

QUARTER = "2023Q4"
NOW = dt.datetime(2024, 1, 21, 2, 0, tzinfo=dt.UTC)
MM = 72 / 25.4  # points in a millimetre
# GB/T 9704-2012 on A4 (210 × 297 mm): top margin 37 mm, binding margin 28 mm, text block
# 156 × 225 mm; the standard allows 1 mm either way.
BLOCK = {"left": 28, "right": 28 + 156, "top": 297 - 37, "bottom": 297 - 37 - 225}
STAFF_PROBLEM = "部分镇街接收登记信息录入不够及时，个别<b>企业</b>未按期备案。"
# a link pasted into the note: one word longer than a line
STAFF_LINK = "详见https://rsj.cixi.gov.cn/art/2024/1/21/" + "a" * 150 + ".html"
SECTIONS = ["一、主要指标完成情况", "二、重点工作成效", "三、存在问题", "四、下步打算"]


@pytest.fixture(scope="module")
def brief(gated: Path, tmp_path_factory) -> Path:
    """The sample's 2023Q4 brief, from a copy of the staff's words with a 存在问题 written for
    the quarter (with a link longer than a line) and no 下步打算."""
    folder = tmp_path_factory.mktemp("words") / "pack"
    shutil.copytree(WORDS_DIR, folder)
    notes = folder / "quarters" / QUARTER
    (notes / "下步打算.md").unlink(missing_ok=True)
    notes.mkdir(parents=True, exist_ok=True)
    (notes / "存在问题.md").write_text(f"{STAFF_PROBLEM}\n\n{STAFF_LINK}\n", encoding="utf-8")
    data = read_pack_data(gated, QUARTER, NOW)
    data.kpis["release"]["version"] = 1
    path = tmp_path_factory.mktemp("brief") / "brief.pdf"
    return write_brief(data, path, Words(QUARTER, folder))


def pages(pdf: Path) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def full_width(char: str) -> bool:
    return (
        "\u4e00" <= char <= "\u9fff" or "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef"
    )


def text_of(pdf: Path) -> str:
    """The brief's text without line breaks or spaces (Chinese has none between words)."""
    return "".join("".join(page.split()) for page in pages(pdf))


def test_every_character_is_inside_the_text_block_but_the_page_number(brief: Path) -> None:
    document = pypdfium2.PdfDocument(brief)
    for index in range(len(document)):
        page = document[index]
        assert [round(x) for x in page.get_size()] == [595, 842]  # A4
        text = page.get_textpage()
        outside = ""
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            if char.isspace():
                continue
            left, bottom, right, top = (v / MM for v in text.get_charbox(i))
            if not (
                BLOCK["left"] - 1 <= left
                and right <= BLOCK["right"] + 1
                and BLOCK["bottom"] - 1 <= bottom
                and top <= BLOCK["top"] + 1
            ):
                outside += char
                assert bottom < BLOCK["bottom"], f"page {index + 1}: {char!r} is out of the block"
        # under the block: "— 1 —", its number in half-width digits
        assert re.sub(r"\s", "", outside) == f"—{index + 1}—", index + 1


def test_the_body_is_set_at_28_characters_a_line(brief: Path) -> None:
    """3号 characters at the pitch that puts 28 on a line of 156 mm."""
    document = pypdfium2.PdfDocument(brief)
    text = document[0].get_textpage()
    lines: dict[int, list[tuple[float, bool]]] = {}
    for i in range(text.count_chars()):
        char = text.get_text_range(i, 1)
        if not char.isspace():
            left, bottom, right, top = text.get_charbox(i, loose=True)
            lines.setdefault(round(bottom), []).append((left, full_width(char)))
    # a line of full-width characters only (ideographs and Chinese punctuation)
    full = [
        sorted(left for left, _ in chars)
        for chars in lines.values()
        if len(chars) == 28 and all(wide for _, wide in chars)
    ]
    assert full, "no line of 28 characters on the first page"
    pitch = (full[0][-1] - full[0][0]) / 27 / MM
    assert 155 / 28 <= pitch <= 156 / 28


def test_the_four_sections_come_in_order_then_the_authority_and_date(brief: Path) -> None:
    text = text_of(brief)
    places = [text.index(heading) for heading in SECTIONS]
    assert places == sorted(places)
    ending = text.index("慈溪市人力资源和社会保障局2024年1月21日")  # Beijing time, Arabic numerals
    assert ending > places[-1]


def test_the_headline_kpis_stand_against_target_schedule_and_last_year(brief: Path) -> None:
    text = text_of(brief)
    first = text[text.index(SECTIONS[0]) : text.index(SECTIONS[1])]
    assert "20999人" in first and "时序进度" in first and "同比增长" in first


def test_the_staffs_problem_is_printed_as_they_wrote_it(brief: Path) -> None:
    text = text_of(brief)
    problems = text[text.index(SECTIONS[2]) : text.index(SECTIONS[3])]
    assert "".join(STAFF_PROBLEM.split()) in problems  # <b> printed, not obeyed
    assert STAFF_LINK in problems  # whole, though broken across lines


def test_next_steps_not_written_show_a_placeholder(brief: Path) -> None:
    text = text_of(brief)
    assert "【待填写：下步打算】" in text[text.index(SECTIONS[3]) :]


def test_the_sample_s_own_next_steps_reach_the_brief(gated: Path, tmp_path: Path) -> None:
    data = read_pack_data(gated, QUARTER, NOW)
    data.kpis["release"]["version"] = 1
    note = (WORDS_DIR / "quarters" / QUARTER / "下步打算.md").read_text(encoding="utf-8")
    first = note.split("。")[0]

    text = text_of(write_brief(data, tmp_path / "brief.pdf"))

    assert first in text[text.index(SECTIONS[3]) :]
    assert "【待填写" not in text


def test_no_latin_letters_reach_a_leader(brief: Path) -> None:
    """No feed code, check name or English: figures, units and Chinese only."""
    text = text_of(brief)
    for staff_wrote in (STAFF_PROBLEM, STAFF_LINK):  # the staff's own words
        text = text.replace("".join(staff_wrote.split()), "")
    assert re.findall(r"[A-Za-z]+", text) == []


def test_the_town_table_lists_every_town_with_its_intake(brief: Path, gated: Path) -> None:
    text = text_of(brief)
    assert "各镇（街道）高校毕业生接收情况" in text
    with (REFERENCE_DIR / "cixi_towns.csv").open(encoding="utf-8") as fh:
        towns = [row["town_name"] for row in csv.DictReader(fh)]
    for town in towns:
        assert re.search(rf"{town}\d+人\d+人", text), town


def test_the_cohort_still_graduating_is_marked_as_partial(brief: Path) -> None:
    text = text_of(brief)
    partial = "（截至季末，该届毕业生尚未全部满半年，为阶段数）"
    assert f"2023届留慈率{partial}29.31%" in text  # 一、主要指标完成情况
    assert f"2023届宁波大学科学技术学院毕业生留慈率为29.31%{partial}" in text  # 二、
    assert "2022届留慈率30.10%" in text  # the complete cohort, unmarked
