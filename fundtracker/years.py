"""UK financial years (1 April to 31 March), stored as their start year and shown as ``2016/17``."""

import calendar
import datetime
import re

_LABEL = re.compile(r"^\s*(\d{4})\s*(?:[/-]\s*(\d{2}|\d{4}))?\s*$")

MIN_YEAR = 1990
MAX_YEAR = 2100


def fy_label(start_year: int) -> str:
    """``2016`` → ``"2016/17"``."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fy_parse(text: str | int) -> int:
    """``"2016/17"``, ``"2016-17"``, ``"2016/2017"`` or ``"2016"`` → ``2016``.

    Raises ``ValueError`` with a message fit for a user when the text is not a financial year,
    including a second year that does not follow the first (``"2016/18"``).
    """
    match = _LABEL.match(str(text))
    if not match:
        raise ValueError(f"“{text}” is not a financial year: write it like 2016/17.")
    start = int(match.group(1))
    if match.group(2):
        end = int(match.group(2))
        expected = start + 1 if len(match.group(2)) == 4 else (start + 1) % 100
        if end != expected:
            raise ValueError(
                f"“{text}” is not a financial year: the second year must follow the first, "
                f"as in {fy_label(start)}."
            )
    if not MIN_YEAR <= start <= MAX_YEAR:
        raise ValueError(f"“{text}” is outside the years this service covers.")
    return start


def fy_of(day: datetime.date) -> int:
    """The financial year a date falls in: 31 March 2017 is in 2016/17, 1 April 2017 in 2017/18."""
    return day.year if day.month >= 4 else day.year - 1


def fy_bounds(start_year: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a financial year."""
    return datetime.date(start_year, 4, 1), datetime.date(start_year + 1, 3, 31)


QUARTER_MONTHS = {
    1: "April to June",
    2: "July to September",
    3: "October to December",
    4: "January to March",
}


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of ``quarter`` (1–4) of the financial year starting in ``year``."""
    first_month = 4 + 3 * (quarter - 1)
    calendar_year = year + (first_month - 1) // 12
    first_month = (first_month - 1) % 12 + 1
    last_month = first_month + 2
    last_day = calendar.monthrange(calendar_year, last_month)[1]
    return (
        datetime.date(calendar_year, first_month, 1),
        datetime.date(calendar_year, last_month, last_day),
    )


def quarter_label(year: int, quarter: int) -> str:
    """``Q4 (January to March 2017)``."""
    return f"Q{quarter} ({QUARTER_MONTHS[quarter]} {quarter_bounds(year, quarter)[0].year})"
