"""The brief's words: sentences generated from the figures through the Jinja templates staff
edit in seeds/reference/pack/sentences, and the texts they write each quarter
(seeds/reference/pack/quarters/<quarter>/). The style is that of the city's reply to suggestion
No. 348 (contract/reply-348-2023.txt).

Sentences are rendered as plain text (no autoescape here); the brief's HTML template escapes
them, so a name from a department file or a staff text is never markup."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from retention.paths import REFERENCE_DIR
from retention.release import formatting as fmt
from retention.release.workbook.book import quarter_label

WORDS_DIR = REFERENCE_DIR / "pack"
# The staff texts of a quarter, by the heading of the brief they go under
PROBLEMS, NEXT_STEPS = "存在问题", "下步打算"


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
        self.environment = jinja2.Environment(
            loader=jinja2.FunctionLoader(self._load),
            autoescape=False,  # plain text: the HTML template escapes it
            undefined=jinja2.StrictUndefined,  # a misspelt name fails the release, loudly
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters.update(
            count=fmt.count,
            money=fmt.money,
            percent=fmt.percent,
            # a difference of two ratios in percentage points: 0.0293 -> 2.93
            points=lambda difference: str(fmt.round_half_up(abs(difference) * 100, 2)),
            wan=fmt.wan,
            more_than=fmt.more_than,
            place=lambda rank: fmt.place(int(rank)),
        )
        self.environment.globals.update(
            quarter=self.quarter,
            year=int(self.quarter[:4]),
            period=period(self.quarter),
            up_to=up_to(self.quarter),
            quarter_label=quarter_label(self.quarter),
        )

    def _read(self, relative: str) -> bytes | None:
        path = self.folder / relative
        return path.read_bytes() if path.is_file() else None

    def _load(self, name: str) -> str | None:
        content = self._read(f"sentences/{name}")
        return None if content is None else content.decode("utf-8")

    def has(self, name: str) -> bool:
        return (self.folder / "sentences" / name).is_file()

    def render(self, name: str, **context: Any) -> list[str]:
        """A template's sentences, in paragraphs."""
        return paragraphs_of(self.environment.get_template(name).render(**context))

    def sentence(self, name: str, **context: Any) -> str:
        return "".join(self.render(name, **context))

    def authority(self) -> str:
        return yaml.safe_load(self._read("authority.yaml"))["issuing_authority"]

    def trend_charts(self) -> dict[str, dict[str, Any]]:
        """charts.yaml: the trend chart of a section, its title and the KPIs it draws."""
        return yaml.safe_load(self._read("charts.yaml") or b"{}") or {}

    def note(self, heading: str) -> list[str]:
        """The staff's text for this quarter under a heading, in paragraphs; none if unwritten."""
        content = self._read(f"quarters/{self.quarter}/{heading}.md")
        return paragraphs_of(content.decode("utf-8")) if content else []

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
