"""File names of the contract: `<feed>_<YYYY>Q<n>[_v<k>].<csv|xlsx>` and baseline files."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Years 2000-2099 and versions 1-999: a year 0000 or 9999 or a twenty-digit version is a typing
# slip, refused by name rather than carried into dates and integer columns.
_NAME = re.compile(
    r"^(?P<feed>[a-z][a-z0-9_]*?)_(?P<baseline>baseline_)?(?P<year>20\d{2})Q(?P<q>[1-4])"
    r"(?:_v(?P<version>[1-9]\d{0,2}))?\.(?P<ext>csv|xlsx)$",
    re.IGNORECASE,
)
NAME_PATTERN = "<feed>_<YYYY>Q<n>[_v<k>].<csv|xlsx>"


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
        if not match:
            raise ValueError(f"not a quarter: {text!r} (expected e.g. 2023Q4)")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        nxt = dt.date(self.year + (self.q == 4), 1 if self.q == 4 else 3 * self.q + 1, 1)
        return nxt - dt.timedelta(days=1)


@dataclass(frozen=True)
class FileName:
    feed: str
    quarter: Quarter
    version: int
    is_baseline: bool
    extension: str


def parse_file_name(name: str) -> FileName | None:
    match = _NAME.match(name)
    if not match:
        return None
    return FileName(
        feed=match["feed"].lower(),
        quarter=Quarter(int(match["year"]), int(match["q"])),
        version=int(match["version"] or 1),
        is_baseline=bool(match["baseline"]),
        extension=match["ext"].lower(),
    )
