"""Whether a quarter is ready to build and release, decided before any build.

The submission calendar (seeds/reference/submission_calendar.csv) says which feeds each
quarter expects and by when; the ledger's view of deliveries (ledger.deliveries, where what
counts as delivered is defined once) says which arrived. No dbt run is needed, so the check
leaves the warehouse's last build as it was. A quarter is refused when it has not ended, when
feeds are still to come before their deadlines, when it lies before the data begins, or when
nothing at all was delivered for it. A quarter whose deadlines have passed with some feeds
delivered goes on, to a provisional release that lists what is missing (contract/kpis.md).
Whether a delivery was on time is judged in one place only, by dbt's int_feed_deliveries for
the pack: nothing here depends on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from retention import warehouse
from retention.contract import default_contract
from retention.errors import ExpectedError
from retention.ingest import ledger
from retention.ingest.naming import Quarter
from retention.paths import warehouse_path
from retention.submission_calendar import Deadline, submission_calendar

Missing = dict[str, list[str]]  # department code -> its missing feeds, in calendar order


def _by_department(feeds: list[Deadline]) -> Missing:
    missing: Missing = {}
    for deadline in feeds:
        missing.setdefault(deadline.department, []).append(deadline.feed)
    return missing


def _describe(missing: Missing) -> str:
    """`人力资源和社会保障局 (HR and social security): graduate_intake, district_intake; ...`"""
    departments = default_contract().departments
    return "; ".join(
        f"{departments[code]['zh']} ({departments[code]['en']}): {', '.join(feeds)}"
        for code, feeds in missing.items()
    )


class QuarterNotReady(ExpectedError):
    """The quarter cannot be built now: it has not ended, feeds are still due, it is before the
    data begins, or nothing was delivered for it. The refusal is deterministic (the same ledger
    on the same day gives the same answer), so running again without new files, or before the
    date it names, cannot help. One line, Chinese and English, naming the quarter, why, what to
    do next and the missing feeds by department."""

    def __init__(self, quarter: str, reason: str, missing: Missing, zh: str, en: str) -> None:
        self.quarter, self.reason, self.missing = quarter, reason, missing
        super().__init__(f"{zh} / {en}. 未报送 / missing: {_describe(missing)}")


@dataclass(frozen=True)
class Completeness:
    quarter: str
    missing: Missing

    @property
    def status(self) -> str:
        """final, or provisional when an expected feed was not delivered (contract/kpis.md)."""
        return "provisional" if self.missing else "final"

    def as_json(self) -> dict:
        return {"quarter": self.quarter, "status": self.status, "missing": self.missing}


def _delivered(state: Path) -> set[tuple[str, str]]:
    """(feed, quarter) of every regular delivery on record; none before the first ingest."""
    if not warehouse_path(state).exists():
        return set()
    with warehouse.connect(state, read_only=True) as con:
        try:
            rows = con.execute("select feed, quarter from ledger.deliveries").fetchall()
        except duckdb.CatalogException:  # a warehouse no ingest has opened since the view came
            return set()
    return set(rows)


def check(state: Path, quarter: str, today: dt.date | None = None) -> Completeness:
    """The quarter's missing feeds if it may go on to the build; QuarterNotReady otherwise.
    `today` is the day in Cixi, where the deadlines fall."""
    q = Quarter.parse(quarter)
    quarter = str(q)
    today = today or ledger.today()
    calendar = submission_calendar()
    delivered = _delivered(state)
    missing = [d for d in calendar if (d.feed, quarter) not in delivered]
    by_department = _by_department(missing)
    if today <= q.end:
        last = max(d.due_on(q) for d in calendar)
        raise QuarterNotReady(
            quarter,
            "not_ended",
            by_department,
            f"{quarter} 尚未结束（{q.end} 结束），报送截止于 {last}，请在此后再发布",
            f"{quarter} has not ended (it ends {q.end}) and its files are due by {last}: "
            "release it after that day",
        )
    first = min((delivered_quarter for _, delivered_quarter in delivered), default=None)
    if first is not None and quarter < first:  # YYYYQn sorts as the quarters do
        raise QuarterNotReady(
            quarter,
            "before_data",
            by_department,
            f"{quarter} 早于数据起始季度 {first}，没有可发布的数据，请选择 {first} 及以后的季度",
            f"{quarter} is before the data begins ({first}): choose a quarter from {first} on",
        )
    if len(missing) == len(calendar):
        raise QuarterNotReady(
            quarter,
            "nothing_delivered",
            by_department,
            f"{quarter} 没有任何部门报送数据，请检查报送目录、运行 retention ingest 后再试",
            f"nothing has been delivered for {quarter}: check the landing folder, run "
            "`retention ingest` and try again",
        )
    if missing and today <= (last := max(d.due_on(q) for d in missing)):
        raise QuarterNotReady(
            quarter,
            "not_due",
            by_department,
            f"{quarter} 尚有数据项未到报送截止日（最晚 {last}），请在此后再发布",
            f"{quarter} still has feeds to come before their deadlines (the last is {last}): "
            "release it after that day",
        )
    return Completeness(quarter, by_department)
