"""What every part of the demo shares: its fixed today, seed, batch size and London time."""

import datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
# The demo's "today": nothing in the data happens after it, whatever day the seed runs.
AS_OF = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SEED = "fundtracker-demo"
BATCH_SIZE = 1000
DAY = datetime.timedelta(days=1)
D = datetime.date


def london_time(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """``hour``:``minute`` in London on ``day``, in UTC.

    Every time is kept in UTC so that adding days is the same across a change of clocks,
    whether a round was just created (London time) or read back (UTC).
    """
    local = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
    return local.astimezone(UTC)
