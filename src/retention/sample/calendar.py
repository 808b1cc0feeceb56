"""Quarters, working days and the date forms the contract allows.

Dates are numpy datetime64[D] arrays throughout (NaT for a blank), so that a million rows are
dated without a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAT = np.datetime64("NaT", "D")
QUARTER_ZH = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> np.datetime64:
        return np.datetime64(f"{self.year}-{3 * self.q - 2:02d}-01", "D")

    @property
    def end(self) -> np.datetime64:
        nxt = Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)
        return nxt.start - np.timedelta64(1, "D")

    @property
    def index(self) -> int:
        """Quarters counted from year 0, so that consecutive quarters differ by one."""
        return self.year * 4 + self.q - 1

    @property
    def zh(self) -> str:
        return f"{self.year}年{QUARTER_ZH[self.q]}"

    @property
    def end_month(self) -> int:
        return 3 * self.q


# The sample spans 2022Q1..2024Q2; the history before it comes in 2021Q4 baseline files.
QUARTERS: tuple[Quarter, ...] = tuple(
    Quarter(y, q) for y in (2022, 2023, 2024) for q in (1, 2, 3, 4) if (y, q) <= (2024, 2)
)
BASELINE = Quarter(2021, 4)
FIRST_DAY = QUARTERS[0].start
LAST_DAY = QUARTERS[-1].end


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


def _span(first: str, last: str) -> list[str]:
    a, b = day(first), day(last)
    return [str(a + i) for i in range(int((b - a).astype(int)) + 1)]


# Offices are closed over the Spring Festival and National Day weeks, New Year's Day and the
# May Day holiday; nothing is registered, paid or signed on those days.
_SPRING = {
    2014: "01-31",
    2015: "02-18",
    2016: "02-07",
    2017: "01-27",
    2018: "02-15",
    2019: "02-04",
    2020: "01-24",
    2021: "02-11",
    2022: "01-31",
    2023: "01-21",
    2024: "02-10",
}
HOLIDAYS = np.array(
    sorted(
        {
            d
            for y, first in _SPRING.items()
            for d in (
                _span(f"{y}-{first}", str(day(f"{y}-{first}") + 6))
                + _span(f"{y}-10-01", f"{y}-10-07")
                + _span(f"{y}-05-01", f"{y}-05-03")
                + [f"{y}-01-01"]
            )
        }
    ),
    dtype="datetime64[D]",
)


def workdays(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    """Every working day from first to last inclusive."""
    days = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return days[np.is_busday(days, holidays=HOLIDAYS)]


def random_workdays(
    rng: np.random.Generator,
    first: np.datetime64,
    last: np.datetime64,
    n: int,
    month_weights: dict[int, float] | None = None,
) -> np.ndarray:
    """n working days between first and last, optionally weighted by calendar month."""
    days = workdays(first, last)
    if days.size == 0:
        raise ValueError(f"no working day between {first} and {last}")
    if not month_weights:
        return days[rng.integers(0, days.size, n)]
    months = month_of(days)
    w = np.array([month_weights.get(int(m), 0.0) for m in months], float)
    if w.sum() == 0:
        w[:] = 1.0
    return days[rng.choice(days.size, size=n, p=w / w.sum())]


def next_workday(dates: np.ndarray) -> np.ndarray:
    """Each date, or the next working day if it falls on a weekend or holiday."""
    return np.busday_offset(dates, 0, roll="forward", holidays=HOLIDAYS)


def year_of(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[Y]").astype(int) + 1970


def month_of(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[M]").astype(int) % 12 + 1


def quarter_index(dates: np.ndarray) -> np.ndarray:
    """Quarter.index of each date."""
    return year_of(dates) * 4 + (month_of(dates) - 1) // 3


def ymd(dates: np.ndarray) -> np.ndarray:
    """yyyymmdd integers."""
    y = year_of(dates)
    m = month_of(dates)
    d = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    return y * 10000 + m * 100 + d


def excel_serial(dates: np.ndarray) -> np.ndarray:
    """Excel's date serial numbers (days since 1899-12-30)."""
    return (dates - np.datetime64("1899-12-30", "D")).astype(int)


# The forms the contract accepts for a date written as text.
DATE_STYLES = ("iso", "slash", "chinese", "compact")


def _format(value: int, style: str) -> str:
    y, m, d = value // 10000, value // 100 % 100, value % 100
    if style == "iso":
        return f"{y:04d}-{m:02d}-{d:02d}"
    if style == "slash":
        return f"{y}/{m}/{d}"
    if style == "chinese":
        return f"{y}年{m}月{d}日"
    if style == "compact":
        return f"{y:04d}{m:02d}{d:02d}"
    raise ValueError(f"unknown date style {style!r}")


def format_dates(dates: np.ndarray, style: str) -> list[str]:
    """Dates as text in one of DATE_STYLES; NaT becomes an empty cell.

    Formats each distinct date once: a quarter has ninety of them however many rows there are.
    """
    blank = np.isnat(dates)
    filled = np.where(blank, np.datetime64("2000-01-01", "D"), dates)
    uniq, inverse = np.unique(filled, return_inverse=True)
    texts = np.array([_format(int(v), style) for v in ymd(uniq)] + [""], dtype=object)
    inverse = np.where(blank, len(uniq), inverse)
    return texts[inverse].tolist()


def random_workday_between(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Per row, a working day from first to last inclusive (first's next working day if the
    range holds none, so callers keep their ranges at least a week long)."""
    first = np.busday_offset(first, 0, roll="forward", holidays=HOLIDAYS)
    count = np.busday_count(first, last + np.timedelta64(1, "D"), holidays=HOLIDAYS)
    k = (rng.random(first.size) * np.maximum(count, 1)).astype(np.int64)
    return np.busday_offset(first, k, roll="forward", holidays=HOLIDAYS)
