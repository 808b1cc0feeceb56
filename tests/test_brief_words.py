"""The words staff edit, as a careless or hostile editor leaves them: the release either
prints them as text or refuses in one line naming the file (and line), never a traceback,
never Python reached from a template, never "None" for a figure the warehouse lacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retention.errors import ExpectedError
from retention.release.narrative import WORDS_DIR, Words, WordsRefused

QUARTER = "2023Q4"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the staff's words."""
    copy = tmp_path / "pack"
    shutil.copytree(WORDS_DIR, copy)
    return copy


def template(folder: Path, name: str, text: str) -> str:
    (folder / "sentences" / name).write_text(text, encoding="utf-8")
    return name


def note(folder: Path, heading: str, content: bytes) -> Path:
    path = folder / "quarters" / QUARTER / f"{heading}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_a_staff_note_is_text_not_a_template(folder: Path) -> None:
    note(
        folder, "下步打算", "继续{{ 7*7 }}推进{% include 'title.j2' %}<script>x</script>\n".encode()
    )
    assert Words(QUARTER, folder).note("下步打算") == [
        "继续{{ 7*7 }}推进{% include 'title.j2' %}<script>x</script>"
    ]


def test_a_note_saved_by_notepad_loses_its_byte_order_mark(folder: Path) -> None:
    note(folder, "下步打算", "\ufeff加强就业服务。\n".encode())
    assert Words(QUARTER, folder).note("下步打算") == ["加强就业服务。"]


def test_a_note_in_gbk_is_refused_naming_the_file_and_line(folder: Path) -> None:
    path = note(folder, "存在问题", "第一段。\n\n第二段含中文。\n".encode("gbk"))
    with pytest.raises(WordsRefused, match="UTF-8") as refused:
        Words(QUARTER, folder).note("存在问题")
    assert f"{path}:1" in str(refused.value)
    assert isinstance(refused.value, ExpectedError)


def test_an_empty_note_leaves_the_placeholder(folder: Path) -> None:
    note(folder, "下步打算", b"\n  \n")
    assert Words(QUARTER, folder).note("下步打算") == []


def test_a_folder_where_the_note_should_be_is_refused(folder: Path) -> None:
    path = folder / "quarters" / QUARTER / "存在问题.md"
    path.mkdir(parents=True)
    with pytest.raises(WordsRefused, match="不是文件"):
        Words(QUARTER, folder).note("存在问题")


def test_a_link_out_of_the_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("内部资料\n", encoding="utf-8")
    path = folder / "quarters" / QUARTER / "存在问题.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(secret)
    with pytest.raises(WordsRefused, match="outside the words folder"):
        Words(QUARTER, folder).note("存在问题")


def test_a_template_that_does_not_parse_is_refused_at_its_line(folder: Path) -> None:
    name = template(folder, "opening.j2", "第一行\n{% if period %}没有结束\n")
    with pytest.raises(WordsRefused) as refused:
        Words(QUARTER, folder).render(name)
    assert f"{folder / 'sentences' / name}:" in str(refused.value)
    assert "语法错误" in str(refused.value) and "does not parse" in str(refused.value)


def test_an_unknown_name_in_a_template_is_refused_at_its_line(folder: Path) -> None:
    name = template(folder, "opening.j2", "第一行\n第二行{{ periodd }}\n")
    with pytest.raises(WordsRefused) as refused:
        Words(QUARTER, folder).render(name)
    assert f"{folder / 'sentences' / name}:2 " in str(refused.value)
    assert "periodd" in str(refused.value)


def test_a_template_cannot_reach_python(folder: Path) -> None:
    name = template(folder, "opening.j2", "{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(WordsRefused, match="SecurityError"):
        Words(QUARTER, folder).render(name)


def test_a_figure_the_warehouse_lacks_is_printed_as_missing(folder: Path) -> None:
    name = template(
        folder, "opening.j2", "接收{{ v('x', 'ytd') }}，补贴{{ v('x', 'ytd') | money }}。\n"
    )
    assert Words(QUARTER, folder).render(name, v=lambda *_: None) == ["接收—，补贴—。"]


def test_a_comparison_with_a_missing_figure_is_refused_at_its_line(folder: Path) -> None:
    name = template(folder, "opening.j2", "{% if v('x', 'ytd') > 1 %}多{% endif %}\n")
    with pytest.raises(WordsRefused) as refused:
        Words(QUARTER, folder).render(name, v=lambda *_: None)
    assert f"{folder / 'sentences' / name}:1 " in str(refused.value)


def test_an_authority_file_without_the_authority_is_refused(folder: Path) -> None:
    (folder / "authority.yaml").write_text("issuing_authority: [\n", encoding="utf-8")
    with pytest.raises(WordsRefused, match="YAML"):
        Words(QUARTER, folder).authority()
    (folder / "authority.yaml").unlink()
    with pytest.raises(WordsRefused, match="issuing_authority"):
        Words(QUARTER, folder).authority()


ROWS = [{"section": "internship", "kpi": "internship_bases_active"}]


@pytest.mark.parametrize(
    ("charts", "says"),
    [
        ("internship:\n  title: 趋势\n", "kpis"),
        ("internship:\n  kpis: [internship_bases_active]\n", "title"),
        ("internships:\n  title: 趋势\n  kpis: [internship_bases_active]\n", "internships"),
        (
            "internship:\n  title: 趋势\n  kpis: [internship_base_active]\n",
            "internship_base_active",
        ),
        ("internship:\n  title: 趋势\n  kpis: [a, b, c, d, e]\n", "1 to 4"),
    ],
)
def test_a_mistyped_trend_chart_is_refused_not_dropped(folder: Path, charts: str, says) -> None:
    (folder / "charts.yaml").write_text(charts, encoding="utf-8")
    with pytest.raises(WordsRefused, match=says):
        Words(QUARTER, folder).trend_charts(ROWS)


def test_the_trend_charts_as_staff_wrote_them(folder: Path) -> None:
    (folder / "charts.yaml").write_text(
        "internship:\n  title: 趋势\n  kpis: [internship_bases_active]\n", encoding="utf-8"
    )
    assert Words(QUARTER, folder).trend_charts(ROWS) == {
        "internship": {"title": "趋势", "kpis": ["internship_bases_active"]}
    }


@pytest.mark.parametrize("name", ["下步打算.md.txt", "下步打算.docx"])
def test_a_note_under_another_name_is_refused_not_replaced_by_the_placeholder(
    folder: Path, name: str
) -> None:
    path = folder / "quarters" / QUARTER / name
    path.parent.mkdir(parents=True, exist_ok=True)
    (folder / "quarters" / QUARTER / "下步打算.md").unlink(missing_ok=True)
    path.write_text("继续推进。\n", encoding="utf-8")
    with pytest.raises(WordsRefused, match="下步打算.md"):
        Words(QUARTER, folder).note("下步打算")
