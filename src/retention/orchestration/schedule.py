"""When the quarterly release runs: the day after the quarter's last submission deadline."""

from __future__ import annotations

import datetime as dt

from retention.ingest.naming import Quarter
from retention.submission_calendar import submission_calendar


def last_due_days() -> int:
    """The latest deadline of the submission calendar, in days after the quarter's end."""
    return max(deadline.days_after_quarter_end for deadline in submission_calendar())


def release_cron(hour: int = 2) -> str:
    """Quarters end on the 31st of March and December and the 30th of June and September, so
    N days after each end falls on day N of the next month and the release on day N + 1."""
    return f"0 {hour} {last_due_days() + 1} 1,4,7,10 *"


def quarter_before(moment: dt.datetime | dt.date) -> Quarter:
    """The quarter that ended last before this moment: the quarter a release run is for."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    q = (day.month - 1) // 3 + 1
    return Quarter(day.year - 1, 4) if q == 1 else Quarter(day.year, q - 1)
