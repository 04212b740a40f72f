"""How long a call-back may take: clock hours, working hours or working days.

A policy turns the instant a call was received into the instant its call-back is due, using
the office's WorkingCalendar for anything counted in working time. Clock hours are real
elapsed hours, so "24 hours" across a clock change is still 24 hours later, not the same
wall-clock time the next day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Literal

from callrouter.domain.calendar import WorkingCalendar
from callrouter.domain.vocabulary import Level

ClockStart = Literal["immediately", "next_opening"]
CLOCK_STARTS: tuple[ClockStart, ...] = ("immediately", "next_opening")


def _require_positive_whole_number(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more, got {value!r}")


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def _aware_utc(received_at: datetime) -> datetime:
    if not isinstance(received_at, datetime):
        raise ValueError(f"received_at must be a datetime, got {type(received_at).__name__}")
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError(
            f"received_at must be timezone-aware (we store UTC), got naive "
            f"{received_at.isoformat()}"
        )
    return received_at.astimezone(UTC)


@dataclass(frozen=True)
class ClockHours:
    """Count every hour, nights, weekends and bank holidays included."""

    hours: int
    # "next_opening" lets a policy say an out-of-hours call starts its clock when the office opens.
    starts: ClockStart = "immediately"

    def __post_init__(self) -> None:
        _require_positive_whole_number(self.hours, "hours")
        if self.starts not in CLOCK_STARTS:
            raise ValueError(f"starts must be one of {CLOCK_STARTS}, got {self.starts!r}")

    counts_open_time = False

    def clock_starts(self, received_at: datetime, calendar: WorkingCalendar) -> datetime:
        """Return the UTC instant the clock starts: the call, or the next opening."""
        received_at = _aware_utc(received_at)
        if self.starts == "next_opening":
            return calendar.next_opening(received_at)
        return received_at

    def due_at(self, received_at: datetime, calendar: WorkingCalendar) -> datetime:
        """Return the UTC instant the call-back is due."""
        # Adding in UTC counts real elapsed hours, whatever the clocks do meanwhile.
        return self.clock_starts(received_at, calendar) + timedelta(hours=self.hours)

    def describe(self) -> str:
        """Say the timescale in plain words."""
        text = f"within {_count(self.hours, 'hour')}"
        if self.starts == "next_opening":
            text += " from the next opening"
        return text


@dataclass(frozen=True)
class WorkingHours:
    """Count only the hours the office is open."""

    hours: int

    def __post_init__(self) -> None:
        _require_positive_whole_number(self.hours, "hours")

    counts_open_time = True

    def clock_starts(self, received_at: datetime, calendar: WorkingCalendar) -> datetime:
        """Return the UTC instant the clock starts: now if the office is open, else its opening."""
        return calendar.next_opening(_aware_utc(received_at))

    def due_at(self, received_at: datetime, calendar: WorkingCalendar) -> datetime:
        """Return the UTC instant the call-back is due."""
        return calendar.add_working_time(_aware_utc(received_at), timedelta(hours=self.hours))

    def describe(self) -> str:
        """Say the timescale in plain words."""
        return f"within {_count(self.hours, 'working hour')}"


@dataclass(frozen=True)
class WorkingDays:
    """Count working days, due at the same local time of day as the clock started."""

    days: int

    def __post_init__(self) -> None:
        _require_positive_whole_number(self.days, "days")

    counts_open_time = True

    def clock_starts(self, received_at: datetime, calendar: WorkingCalendar) -> datetime:
        """Return the UTC instant the clock starts: now if the office is open, else its opening."""
        return calendar.next_opening(_aware_utc(received_at))

    def due_at(self, received_at: datetime, calendar: WorkingCalendar) -> datetime:
        """Return the UTC instant the call-back is due."""
        return calendar.add_working_days(_aware_utc(received_at), self.days)

    def describe(self) -> str:
        """Say the timescale in plain words."""
        return f"within {_count(self.days, 'working day')}"


TimescalePolicy = ClockHours | WorkingHours | WorkingDays
# A level that gives a role but no timescale: the call-back is owed within the hour.
DEFAULT_TIMESCALE = "1 hour"

_TIMESCALE_PATTERN = re.compile(
    r"""^\s*(?:within\s+)?
        (?P<count>\d+)\s*
        (?P<working>working\s+)?
        (?P<unit>h|hrs?|hours?|days?)
        (?P<from_opening>\s+from\s+(?:the\s+)?next\s+opening)?
        \s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_EXAMPLES = "'1 hour', '48 hours', '2 working hours' or '5 working days'"
# A call-back timescale longer than a year is a slip of the keyboard; far longer ones cannot be
# counted at all (a due time past the year 9999), which would fail the call at its outcome.
# Roughly a year of each: clock hours, an office's working hours (52 weeks of 40) and days.
_LONGEST = {"hours": 366 * 24, "working hours": 52 * 40, "working days": 52 * 5}


def parse_timescale(text: str) -> TimescalePolicy:
    """Read a timescale as a flow file writes it, such as '24 hours' or '5 working days'."""
    if not isinstance(text, str):
        raise ValueError(f"timescale must be text such as {_EXAMPLES}, got {text!r}")
    match = _TIMESCALE_PATTERN.match(text)
    if match is None:
        raise ValueError(f"timescale {text!r} not understood: write it as {_EXAMPLES}")
    count = int(match["count"])
    if count < 1:
        raise ValueError(f"timescale {text!r} must be at least 1")
    working = match["working"] is not None
    in_days = match["unit"].lower().startswith("d")
    from_opening = match["from_opening"] is not None
    if from_opening and (working or in_days):
        raise ValueError(
            f"timescale {text!r}: 'from the next opening' applies to clock hours only; "
            "working time already starts at the next opening"
        )
    if in_days and not working:
        # "1 day" is ambiguous between 24 clock hours and one working day: make the author say.
        raise ValueError(
            f"timescale {text!r} is ambiguous: write '{count * 24} hours' "
            f"or '{_count(count, 'working day')}'"
        )
    if count > _LONGEST[("working " if working else "") + ("days" if in_days else "hours")]:
        raise ValueError(f"timescale {text!r} is longer than a year: check the number")
    if in_days:
        return WorkingDays(count)
    if working:
        return WorkingHours(count)
    return ClockHours(count, starts="next_opening" if from_opening else "immediately")


# Lancashire's screening timescales for a request once received (RAG grades).
DEFAULT_LEVEL_TIMESCALES: Mapping[Level, TimescalePolicy] = MappingProxyType(
    {
        Level.S47: ClockHours(1),
        Level.S17: ClockHours(24),
        Level.LEVEL3: ClockHours(24),
        Level.LEVEL2: ClockHours(48),
        Level.LEVEL1: ClockHours(48),
        Level.PUBLIC_CONCERN: ClockHours(24),
    }
)
