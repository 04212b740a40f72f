"""The office's working calendar: opening hours, England's bank holidays and local closures.

Every instant goes in and comes out as an aware datetime; results are in UTC because that is
what we store. Opening and closing are local wall-clock times (Europe/London by default), so
"09:00" means 09:00 in both GMT and BST and the clock changes need no special handling.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DEFAULT_TIMEZONE = "Europe/London"

OpeningHours = Mapping[int, tuple[time, time]]

# Monday is 0, as in date.weekday(); days absent from the mapping are closed.
DEFAULT_OPENING_HOURS: OpeningHours = MappingProxyType(
    {
        0: (time(9, 0), time(17, 0)),
        1: (time(9, 0), time(17, 0)),
        2: (time(9, 0), time(17, 0)),
        3: (time(9, 0), time(17, 0)),
        4: (time(9, 0), time(16, 30)),
    }
)

# Region name as a flow file spells it -> (country, subdivision) for the holidays library.
# The subdivision matters: "GB" alone gives only the days common to the whole UK.
BANK_HOLIDAY_REGIONS: Mapping[str, tuple[str, str]] = MappingProxyType({"england": ("GB", "ENG")})

DAY_NAMES: Mapping[str, int] = MappingProxyType(
    {
        "mon": 0, "monday": 0,
        "tue": 1, "tues": 1, "tuesday": 1,
        "wed": 2, "wednesday": 2,
        "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
        "fri": 4, "friday": 4,
        "sat": 5, "saturday": 5,
        "sun": 6, "sunday": 6,
    }
)  # fmt: skip

# A council closed for longer than this is a mistake in its calendar, not a long holiday;
# it also stops a calendar with no working days looping for ever.
MAX_DAYS_WITHOUT_OPENING = 400

_HOURS_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_CLOSED_WORDS = frozenset({"closed", "none", ""})
_NO_BANK_HOLIDAY_WORDS = frozenset({"none", "off", "no"})
_CALENDAR_KEYS = frozenset({"timezone", "hours", "closures", "bank_holidays"})


@dataclass(frozen=True)
class WorkingCalendar:
    """When a front door's office is open to work on call-backs."""

    timezone: str = DEFAULT_TIMEZONE
    opening_hours: OpeningHours = field(default_factory=lambda: DEFAULT_OPENING_HOURS)
    bank_holidays: str | None = "england"
    closures: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _load_zone(self.timezone))
        object.__setattr__(self, "opening_hours", _checked_opening_hours(self.opening_hours))
        if self.bank_holidays is not None and self.bank_holidays not in BANK_HOLIDAY_REGIONS:
            known = ", ".join(sorted(BANK_HOLIDAY_REGIONS))
            raise ValueError(
                f"bank_holidays must be one of: {known}, or None; got {self.bank_holidays!r}"
            )
        object.__setattr__(self, "closures", _checked_closures(self.closures))

    def __hash__(self) -> int:
        # The opening hours are a mapping, which cannot be hashed as it stands.
        return hash(
            (
                self.timezone,
                tuple(sorted(self.opening_hours.items())),
                self.bank_holidays,
                self.closures,
            )
        )

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any]) -> WorkingCalendar:
        """Build a calendar from the plain mapping a YAML flow file holds."""
        if not isinstance(settings, Mapping):
            raise ValueError(f"calendar must be a mapping, got {type(settings).__name__}")
        unknown = set(settings) - _CALENDAR_KEYS
        if unknown:
            raise ValueError(
                f"calendar has unknown setting(s): {', '.join(sorted(map(str, unknown)))}; "
                f"expected some of: {', '.join(sorted(_CALENDAR_KEYS))}"
            )
        timezone = settings.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(timezone, str):
            raise ValueError(f"calendar timezone must be text, got {timezone!r}")
        hours = settings.get("hours")
        closures = settings.get("closures") or []
        if not isinstance(closures, list | tuple):
            raise ValueError(f"calendar closures must be a list of dates, got {closures!r}")
        return cls(
            timezone=timezone,
            opening_hours=DEFAULT_OPENING_HOURS if hours is None else _parse_week(hours),
            bank_holidays=_parse_bank_holidays(settings.get("bank_holidays", "england")),
            closures=frozenset(day for entry in closures for day in _parse_closure(entry)),
        )

    def is_working_day(self, day: date) -> bool:
        """Tell whether the office opens at all on this local date."""
        return (
            day.weekday() in self.opening_hours
            and day not in self.closures
            and not self._is_bank_holiday(day)
        )

    def opening_window(self, day: date) -> tuple[datetime, datetime] | None:
        """Return the UTC opening and closing instants on a local date, or None if shut."""
        if not self.is_working_day(day):
            return None
        opens, closes = self.opening_hours[day.weekday()]
        return self._utc(day, opens), self._utc(day, closes)

    def is_open(self, at: datetime | None = None) -> bool:
        """Tell whether the office is open at an instant (now if none is given)."""
        at = _aware_utc(at, "at")
        window = self.opening_window(self._local_date(at))
        return window is not None and window[0] <= at < window[1]

    def next_opening(self, at: datetime | None = None) -> datetime:
        """Return when the office next opens in UTC: the instant itself if already open."""
        at = _aware_utc(at, "at")
        opens, _ = next(self._open_periods_from(at))
        return opens

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """Return the UTC instant once `delta` of open time has passed since `start`.

        Only time inside opening hours counts; a clock started while the office is shut
        starts at the next opening. Work that ends exactly at closing is due at closing.
        """
        start = _aware_utc(start, "start")
        if not isinstance(delta, timedelta) or delta < timedelta(0):
            raise ValueError(f"delta must be a timedelta of zero or more, got {delta!r}")
        remaining = delta
        for opens, closes in self._open_periods_from(start):
            available = closes - opens
            if remaining <= available:
                return opens + remaining
            remaining -= available
        raise AssertionError("unreachable: open periods never run out")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Return how much open time there is from `start` to `end` (zero if end is first)."""
        start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
        total = timedelta(0)
        for opens, closes in self._open_periods_from(start):
            if opens >= end:
                return total
            total += min(closes, end) - opens
        raise AssertionError("unreachable: open periods never run out")  # pragma: no cover

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the UTC instant `days` working days after `start`, at the same local time.

        The clock starts at the next opening if `start` is out of hours. The due instant
        keeps the local time of day at which the clock started, on the `days`-th working day
        after that one; a time outside that day's hours is moved to its opening or closing.
        Zero days gives the instant the clock starts.
        """
        start = _aware_utc(start, "start")
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"days must be a whole number of zero or more, got {days!r}")
        clock_starts = self.next_opening(start)
        if days == 0:
            return clock_starts
        local_start = clock_starts.astimezone(self._zone)
        due_day = self._working_day_after(local_start.date(), days)
        opens, closes = self.opening_hours[due_day.weekday()]
        # Opening hours can differ by weekday (Friday closes early), so keep within the due day.
        due_time = min(max(local_start.time(), opens), closes)
        return self._utc(due_day, due_time)

    def working_days_between(self, first: date, last: date) -> int:
        """Count working days after `first` up to and including `last` (negative if reversed)."""
        if last < first:
            return -self.working_days_between(last, first)
        return sum(
            1
            for offset in range(1, (last - first).days + 1)
            if self.is_working_day(first + timedelta(days=offset))
        )

    def _working_day_after(self, day: date, count: int) -> date:
        found = 0
        idle_days = 0
        while found < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                found += 1
                idle_days = 0
            else:
                idle_days += 1
                self._refuse_endless_closure(idle_days, day)
        return day

    def _open_periods_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Yield the UTC open periods from `at` onwards, the first clipped to start at `at`."""
        day = self._local_date(at)
        idle_days = 0
        while True:
            window = self.opening_window(day)
            if window is not None and window[1] > at:
                idle_days = 0
                yield max(window[0], at), window[1]
            else:
                idle_days += 1
                self._refuse_endless_closure(idle_days, day)
            day += timedelta(days=1)

    def _refuse_endless_closure(self, idle_days: int, day: date) -> None:
        if idle_days > MAX_DAYS_WITHOUT_OPENING:
            raise ValueError(
                f"the office does not open for over {MAX_DAYS_WITHOUT_OPENING} days "
                f"up to {day.isoformat()}: check the calendar's hours and closures"
            )

    def _is_bank_holiday(self, day: date) -> bool:
        if self.bank_holidays is None:
            return False
        return day in _bank_holidays(self.bank_holidays, day.year)

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self._zone).date()

    def _utc(self, day: date, wall_time: time) -> datetime:
        return datetime.combine(day, wall_time, tzinfo=self._zone).astimezone(UTC)


def is_bank_holiday(day: date, region: str = "england") -> bool:
    """Say whether this local date is a bank holiday in the region (England by default)."""
    return day in _bank_holidays(region, day.year)


def bank_holiday_name(day: date, region: str = "england") -> str | None:
    """Return the bank holiday's name ("Christmas Day"), or None on any other day."""
    country, subdivision = BANK_HOLIDAY_REGIONS[region]
    return holidays.country_holidays(country, subdiv=subdivision, years=day.year).get(day)


@functools.lru_cache(maxsize=64)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    country, subdivision = BANK_HOLIDAY_REGIONS[region]
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _aware_utc(at: datetime | None, name: str) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if not isinstance(at, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (we store UTC), got naive {at.isoformat()}"
        )
    return at.astimezone(UTC)


def _load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown timezone {name!r}") from error


def _checked_opening_hours(hours: Mapping[int, tuple[time, time]]) -> OpeningHours:
    if not isinstance(hours, Mapping):
        raise ValueError(f"opening_hours must map weekday numbers to (open, close), got {hours!r}")
    checked: dict[int, tuple[time, time]] = {}
    for weekday, window in hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"opening_hours weekday must be 0 (Monday) to 6, got {weekday!r}")
        if window is None:
            continue
        try:
            opens, closes = window
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"opening hours for weekday {weekday} must be (open, close)"
            ) from error
        if not (isinstance(opens, time) and isinstance(closes, time)):
            raise ValueError(f"opening hours for weekday {weekday} must be two times")
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("opening hours are local wall-clock times: give them no tzinfo")
        if not opens < closes:
            raise ValueError(
                f"opening hours for weekday {weekday} close ({closes:%H:%M}) "
                f"at or before they open ({opens:%H:%M})"
            )
        checked[weekday] = (opens, closes)
    if not checked:
        raise ValueError("opening hours must open on at least one day of the week")
    return MappingProxyType(checked)


def _checked_closures(closures: Any) -> frozenset[date]:
    checked = frozenset(closures)
    for day in checked:
        # A datetime is a date too, but a closure is a whole local day.
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"closures must be dates, got {day!r}")
    return checked


def _parse_week(hours: Any) -> dict[int, tuple[time, time]]:
    if not isinstance(hours, Mapping):
        raise ValueError(f"calendar hours must map day names to 'HH:MM-HH:MM', got {hours!r}")
    week: dict[int, tuple[time, time]] = {}
    for name, text in hours.items():
        weekday = DAY_NAMES.get(str(name).strip().lower())
        if weekday is None:
            raise ValueError(
                f"calendar hours: unknown day {name!r}; use mon, tue, wed, thu, fri, sat, sun"
            )
        if weekday in week:
            raise ValueError(f"calendar hours: {name!r} is given twice")
        window = _parse_day_hours(name, text)
        if window is not None:
            week[weekday] = window
    return week


def _parse_day_hours(name: str, text: Any) -> tuple[time, time] | None:
    if text is None or text is False:
        return None
    if not isinstance(text, str):
        raise ValueError(f"calendar hours for {name}: expected 'HH:MM-HH:MM', got {text!r}")
    if text.strip().lower() in _CLOSED_WORDS:
        return None
    match = _HOURS_PATTERN.match(text)
    if match is None:
        raise ValueError(f"calendar hours for {name}: expected 'HH:MM-HH:MM', got {text!r}")
    open_hour, open_minute, close_hour, close_minute = map(int, match.groups())
    try:
        opens, closes = time(open_hour, open_minute), time(close_hour, close_minute)
    except ValueError as error:
        raise ValueError(f"calendar hours for {name}: {text!r} is not a time of day") from error
    if not opens < closes:
        raise ValueError(
            f"calendar hours for {name}: {text!r} closes at or before it opens; "
            "overnight hours are not supported"
        )
    return opens, closes


def _parse_bank_holidays(value: Any) -> str | None:
    if value is None or value is False:
        return None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _NO_BANK_HOLIDAY_WORDS:
            return None
        if word in BANK_HOLIDAY_REGIONS:
            return word
    known = ", ".join(sorted(BANK_HOLIDAY_REGIONS))
    raise ValueError(f"calendar bank_holidays must be {known} or none, got {value!r}")


def _parse_closure(entry: Any) -> list[date]:
    """Read one closure: a date, 'YYYY-MM-DD', or an inclusive range 'YYYY-MM-DD to YYYY-MM-DD'."""
    # YAML reads an unquoted 2026-12-24 as a date already.
    if isinstance(entry, date) and not isinstance(entry, datetime):
        return [entry]
    if not isinstance(entry, str):
        raise ValueError(f"calendar closure must be a date 'YYYY-MM-DD', got {entry!r}")
    first_text, separator, last_text = entry.partition(" to ")
    first = _parse_iso_date(first_text, entry)
    if not separator:
        return [first]
    last = _parse_iso_date(last_text, entry)
    if last < first:
        raise ValueError(f"calendar closure {entry!r} ends before it starts")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _parse_iso_date(text: str, entry: str) -> date:
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"calendar closure {entry!r}: expected a date 'YYYY-MM-DD'")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"calendar closure {entry!r}: {text!r} is not a real date") from error
