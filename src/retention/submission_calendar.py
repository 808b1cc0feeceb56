"""The submission calendar (seeds/reference/submission_calendar.csv, the file dbt seeds from):
which feeds a quarter expects and how many days after its end each is due.

Imported when Airflow parses the release DAG (its schedule follows the last deadline), so it
imports nothing heavy.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass

from retention.ingest.naming import Quarter
from retention.paths import REFERENCE_DIR


@dataclass(frozen=True)
class Deadline:
    feed: str
    department: str
    days_after_quarter_end: int

    def due_on(self, quarter: Quarter) -> dt.date:
        return quarter.end + dt.timedelta(days=self.days_after_quarter_end)


def submission_calendar() -> list[Deadline]:
    """Every feed a quarter expects, in the calendar's order."""
    with (REFERENCE_DIR / "submission_calendar.csv").open(encoding="utf-8", newline="") as fh:
        return [
            Deadline(row["feed"], row["department"], int(row["due_days_after_quarter_end"]))
            for row in csv.DictReader(fh)
        ]
