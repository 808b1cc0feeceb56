"""The brief's words: sentences generated from the figures through the Jinja templates staff
edit in seeds/reference/pack/sentences, and the texts they write each quarter
(seeds/reference/pack/quarters/<quarter>/). The style is that of the city's reply to suggestion
No. 348 (contract/reply-348-2023.txt).

Sentences are rendered as plain text (no autoescape here); the brief's HTML template escapes
them, so a name from a department file or a staff text is never markup. The templates run in
Jinja's sandbox: a template is text staff edit, not code with the run's Python at hand. A file
of the folder the brief cannot use (a template that does not parse or fails, a text not in
UTF-8, a link out of the folder) refuses the release in one line naming the file and line."""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import yaml

from retention.errors import ExpectedError
from retention.paths import REFERENCE_DIR
from retention.release import formatting as fmt
from retention.release.charts import COLOURS
from retention.release.workbook.book import quarter_label

WORDS_DIR = REFERENCE_DIR / "pack"
# The staff texts of a quarter, by the heading of the brief they go under
PROBLEMS, NEXT_STEPS = "存在问题", "下步打算"
MISSING = fmt.MISSING


class WordsRefused(ExpectedError):
    """A file of the words folder the brief cannot use."""

    def __init__(self, path: Path, line: int | None, zh: str, en: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(
            f"简报文字文件 {where} {zh}，请改正后重新发布 / the brief's words file {where} {en}: "
            "correct it and release again"
        )


def _chart_problem(
    section: str, chart: Any, sections: set[str], kpis: set[str]
) -> tuple[str, str] | None:
    """What is wrong with a chart of charts.yaml, in Chinese and English; None if nothing."""
    if section not in sections:
        return (
            f"板块 {section} 不在 pack_sections.csv 中",
            f"names no section of the pack: {section}",
        )
    if not isinstance(chart, dict) or not isinstance(chart.get("title"), str):
        return f"{section} 的图缺少图题（title）", f"{section}'s chart has no title"
    drawn = chart.get("kpis")
    most = len(COLOURS)  # a colour each
    if (
        not isinstance(drawn, list)
        or not 0 < len(drawn) <= most
        or not all(isinstance(k, str) for k in drawn)
    ):
        return (
            f"{section} 的图须列出一至{most}项指标（kpis）",
            f"{section}'s chart must list 1 to {most} kpis",
        )
    unknown = sorted(set(drawn) - kpis)
    if unknown:
        return (
            f"{section} 的图所列指标不在指标目录中：{unknown}",
            f"{section}'s chart: {unknown} not in the catalogue",
        )
    return None


def _missing_as_dash(write: Callable[..., str]) -> Callable[..., str]:
    """A filter of a figure that prints — for a figure the warehouse does not have."""

    def filtered(value: Any, *args: Any) -> str:
        return MISSING if value is None else write(value, *args)

    return filtered


def period(quarter: str) -> str:
    """2023Q4 -> 2023年 (the whole year); 2024Q2 -> 2024年1—6月."""
    year, q = quarter[:4], int(quarter[-1])
    return f"{year}年" if q == 4 else f"{year}年1—{3 * q}月"


def up_to(quarter: str) -> str:
    """截至2023年 / 截至2024年6月底."""
    year, q = quarter[:4], int(quarter[-1])
    return f"截至{year}年" if q == 4 else f"截至{year}年{3 * q}月底"


def paragraphs_of(text: str) -> list[str]:
    """Text in paragraphs: a blank line separates them; the lines of one are joined (Chinese
    has no spaces between words, so a template's or a note's line breaks are not spaces)."""
    out, lines = [], []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            lines.append(line.strip())
        elif lines:
            out.append("".join(lines))
            lines = []
    return out


@dataclass
class Words:
    """The words folder for one quarter, and every file of it the brief read."""

    quarter: str
    folder: Path = WORDS_DIR

    def __post_init__(self) -> None:
        self.environment = jinja2.sandbox.SandboxedEnvironment(
            loader=jinja2.FunctionLoader(self._load),
            autoescape=False,  # plain text: the HTML template escapes it
            undefined=jinja2.StrictUndefined,  # a misspelt name fails the release, loudly
            finalize=lambda value: MISSING if value is None else value,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        filters = dict(
            count=fmt.count,
            money=fmt.money,
            percent=fmt.percent,
            # a difference of two ratios in percentage points: 0.0293 -> 2.93
            points=lambda difference: str(fmt.round_half_up(abs(difference) * 100, 2)),
            wan=fmt.wan,
            more_than=fmt.more_than,
            place=lambda rank: fmt.place(int(rank)),
        )
        self.environment.filters.update(
            {name: _missing_as_dash(write) for name, write in filters.items()}
        )
        self.environment.globals.update(
            quarter=self.quarter,
            year=int(self.quarter[:4]),
            period=period(self.quarter),
            up_to=up_to(self.quarter),
            quarter_label=quarter_label(self.quarter),
        )

    def _read(self, relative: str) -> bytes | None:
        """A file of the folder; None when there is none. Refused: a link out of the folder
        (the brief would print, and the manifest record, whatever it points at) and a folder
        where a file should be (the staff meant to write one)."""
        path = self.folder / relative
        if not path.exists() and not path.is_symlink():
            return None
        if not path.resolve().is_relative_to(self.folder.resolve()):
            raise WordsRefused(path, None, "指向文字目录之外", "points outside the words folder")
        if not path.is_file():
            raise WordsRefused(path, None, "不是文件", "is not a file")
        return path.read_bytes()

    def _text(self, relative: str) -> str | None:
        content = self._read(relative)
        try:
            # utf-8-sig: Windows Notepad starts a UTF-8 file with a byte-order mark
            return None if content is None else content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = content[: error.start].count(b"\n") + 1
            raise WordsRefused(
                self.folder / relative,
                line,
                "不是 UTF-8 编码（请另存为 UTF-8）",
                "is not in UTF-8 (save it as UTF-8)",
            ) from None

    def _load(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        source = self._text(f"sentences/{name}")
        # the file's path is the template's name in Jinja's errors and tracebacks
        return None if source is None else (source, str(self.folder / "sentences" / name), bool)

    def has(self, name: str) -> bool:
        return (self.folder / "sentences" / name).is_file()

    def render(self, name: str, **context: Any) -> list[str]:
        """A template's sentences, in paragraphs."""
        try:
            return paragraphs_of(self.environment.get_template(name).render(**context))
        except ExpectedError:
            raise
        except jinja2.TemplateSyntaxError as error:
            path = Path(error.filename) if error.filename else self.folder / "sentences" / name
            raise WordsRefused(
                path, error.lineno, f"有语法错误（{error.message}）", f"does not parse: {error}"
            ) from None
        except jinja2.TemplateNotFound as error:
            path = self.folder / "sentences" / error.name
            raise WordsRefused(path, None, "不存在", "does not exist") from None
        except Exception as error:
            # a template is staff's text: whatever fails in it (an unknown name, a comparison
            # with a missing figure, a forbidden attribute) is told at its line
            path, line = self._where(error, name)
            raise WordsRefused(
                path, line, f"无法生成（{error}）", f"fails: {type(error).__name__}: {error}"
            ) from None

    def _where(self, error: Exception, name: str) -> tuple[Path, int | None]:
        """The template file and line an error happened at: Jinja gives the frames of a
        template the template's file name and line."""
        folder = str(self.folder / "sentences")
        frames = [
            f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(folder)
        ]
        if frames:
            return Path(frames[-1].filename), frames[-1].lineno
        return self.folder / "sentences" / name, None

    def sentence(self, name: str, **context: Any) -> str:
        return "".join(self.render(name, **context))

    def authority(self) -> str:
        authority = self._yaml("authority.yaml").get("issuing_authority")
        if not isinstance(authority, str) or not authority.strip():
            raise WordsRefused(
                self.folder / "authority.yaml",
                None,
                "缺少发文机关（issuing_authority）",
                "has no issuing_authority",
            )
        return authority.strip()

    def trend_charts(self, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """charts.yaml: the trend chart of a section, its title and the KPIs it draws (at most
        four, each a KPI of the catalogue, rows), checked: a chart staff mistyped is refused,
        not dropped from the brief."""
        charts = self._yaml("charts.yaml")
        sections = {r["section"] for r in rows}
        kpis = {r["kpi"] for r in rows}
        for section, chart in charts.items():
            problem = _chart_problem(section, chart, sections, kpis)
            if problem:
                raise WordsRefused(self.folder / "charts.yaml", None, *problem)
        return charts

    def _yaml(self, relative: str) -> dict[str, Any]:
        try:
            content = yaml.safe_load(self._text(relative) or "")
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            raise WordsRefused(
                self.folder / relative,
                mark.line + 1 if mark else None,
                "不是有效的 YAML",
                f"is not valid YAML ({error})",
            ) from None
        return content if isinstance(content, dict) else {}

    def note(self, heading: str) -> list[str]:
        """The staff's text for this quarter under a heading, in paragraphs; none if unwritten.
        It is text, never a template: {{ }} in it is printed as written."""
        relative = f"quarters/{self.quarter}/{heading}.md"
        text = self._text(relative)
        if text is None:
            # 下步打算.docx, or 下步打算.md.txt from an editor that hides extensions: the staff
            # wrote it, and the brief would print the placeholder in its place
            misnamed = sorted((self.folder / relative).parent.glob(f"{heading}*"))
            if misnamed:
                raise WordsRefused(
                    misnamed[0],
                    None,
                    f"简报不会读取，请另存为 UTF-8 纯文本文件 {heading}.md",
                    f"is not read by the brief: save it as plain UTF-8 text named {heading}.md",
                )
        return paragraphs_of(text or "")

    def record(self) -> list[dict[str, str]]:
        """What the release records of the words the brief may use: the authority, every
        sentence template and the quarter's staff texts, each with its SHA-256. A change to
        any of them is a change of the release's inputs."""
        files = [
            self.folder / "authority.yaml",
            self.folder / "charts.yaml",
            *sorted((self.folder / "sentences").rglob("*.j2")),
            *sorted((self.folder / "quarters" / self.quarter).glob("*.md")),
        ]
        return [
            {
                "file": path.relative_to(self.folder).as_posix(),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
            for path in files
            if path.is_file()
        ]
