"""Read the rota a front-door manager keeps as a spreadsheet, and turn it into real shifts.

The CSV has one row per shift pattern: `staff_ref,name,role,team,skills,date,weekday,start,end`.
Exactly one of `date` (YYYY-MM-DD, a one-off shift) or `weekday` (Mon..Sun, every week) is
filled. A dated row with no start and no end is a day off: none of that person's shifts starts
that date (annual leave, a bank holiday, sickness known in advance). Times are Europe/London
wall-clock HH:MM; an end at or before the start means the shift runs past midnight, and an end
of 24:00 means midnight at the close of the day. Shifts come out as aware UTC datetimes, so a
night shift across a clock change lasts its real length.

The front door shuts on England's bank holidays and the EDT takes its urgent calls, so a
weekly row of anyone but the EDT gives no shift on a bank holiday: otherwise call-backs would
go on Christmas Day to people at home. A dated row still gives one (someone working Boxing Day
is written in as that date), and the EDT's weekly rows run every day of the year.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from callrouter.domain.calendar import bank_holiday_name, is_bank_holiday
from callrouter.domain.vocabulary import Role, Skill

LONDON = ZoneInfo("Europe/London")
COLUMNS = ("staff_ref", "name", "role", "team", "skills", "date", "weekday", "start", "end")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class RotaError(ValueError):
    """A rota the loader cannot accept, with the line number a spreadsheet user sees.

    line is None when the problem is the file as a whole (missing, or a workbook, not CSV).
    """

    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem if line is None else f"rota line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class StaffMember:
    ref: str
    name: str
    role: Role
    team: str
    skills: frozenset[Skill]


@dataclass(frozen=True)
class Shift:
    """One concrete stretch of work, in UTC."""

    staff_ref: str
    starts_at: datetime
    ends_at: datetime

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


@dataclass(frozen=True)
class ShiftPattern:
    """One rota row's shift: a one-off date or a weekday, with local start and end minutes."""

    staff_ref: str
    start_minute: int  # minutes after local midnight, 0..1439
    end_minute: int  # 1..1440; at or before start_minute means the next day
    on_date: date | None
    weekday: int | None  # Monday is 0, as date.weekday() counts
    line: int
    day_off: bool = False  # no shift of this person starts on on_date
    every_day_of_the_year: bool = False  # a weekly row that runs on bank holidays too

    def occurs_on(self, day: date) -> bool:
        """Say whether this pattern starts a shift on this local date."""
        if self.day_off:
            return False
        if self.on_date is not None:
            return self.on_date == day
        return self.weekday == day.weekday()

    def shift_starting_on(self, day: date) -> Shift:
        """Return the shift this pattern gives when it starts on this local date."""
        end_day_offset = 1 if self.end_minute <= self.start_minute else 0
        return Shift(
            self.staff_ref,
            _local_to_utc(day, self.start_minute),
            _local_to_utc(day + timedelta(days=end_day_offset), self.end_minute),
        )


def _local_to_utc(day: date, minute_of_day: int) -> datetime:
    # 24:00 is the next midnight; a wall time the spring change skips is read with the offset
    # in force before the change (zoneinfo's fold=0), so 01:30 that day becomes 02:30 BST.
    day = day + timedelta(days=minute_of_day // MINUTES_PER_DAY)
    minute_of_day %= MINUTES_PER_DAY
    local = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=LONDON)
    return local.astimezone(UTC)


@dataclass(frozen=True)
class Rota:
    staff: tuple[StaffMember, ...]
    patterns: tuple[ShiftPattern, ...]

    def member(self, ref: str) -> StaffMember:
        """Return the staff member with this reference."""
        for member in self.staff:
            if member.ref == ref:
                return member
        raise KeyError(ref)

    def shifts_between(self, start_utc: datetime, end_utc: datetime) -> list[Shift]:
        """List every shift overlapping [start_utc, end_utc), whole and unclipped, by start."""
        _require_aware(start_utc, "start_utc")
        _require_aware(end_utc, "end_utc")
        # A shift that overlaps the window started at most a day before it, in local dates.
        first_day = start_utc.astimezone(LONDON).date() - timedelta(days=1)
        last_day = end_utc.astimezone(LONDON).date()
        shifts: list[Shift] = []
        days_off = {(p.staff_ref, p.on_date) for p in self.patterns if p.day_off}
        day = first_day
        while day <= last_day:
            for pattern in self.patterns:
                if (
                    pattern.occurs_on(day)
                    and (pattern.staff_ref, day) not in days_off
                    and not self._shut_for_bank_holiday(pattern, day)
                ):
                    shift = pattern.shift_starting_on(day)
                    if shift.ends_at > start_utc and shift.starts_at < end_utc:
                        shifts.append(shift)
            day += timedelta(days=1)
        shifts.sort(key=lambda s: (s.starts_at, s.staff_ref, s.ends_at))
        return shifts

    def bank_holidays_left_out(
        self, start_utc: datetime, end_utc: datetime
    ) -> list[tuple[date, str, tuple[str, ...]]]:
        """List each bank holiday in the window on which weekly rows gave no shift: the date,
        the holiday's name and the staff_refs left off (not those written in by date), for the
        rota manager to check."""
        first_day = start_utc.astimezone(LONDON).date()
        last_day = end_utc.astimezone(LONDON).date()
        left_out: list[tuple[date, str, tuple[str, ...]]] = []
        day = first_day
        while day <= last_day:
            written_in = {
                p.staff_ref for p in self.patterns if p.on_date == day and p.occurs_on(day)
            }
            refs = sorted(
                {
                    p.staff_ref
                    for p in self.patterns
                    if p.occurs_on(day) and self._shut_for_bank_holiday(p, day)
                }
                - written_in
            )
            if refs:
                left_out.append((day, bank_holiday_name(day) or "bank holiday", tuple(refs)))
            day += timedelta(days=1)
        return left_out

    def open_every_day(self) -> Rota:
        """Return this rota with its weekly rows running on bank holidays too: the demo team,
        there whatever day someone tries the system, or a front door whose flows open then."""
        return replace(
            self,
            patterns=tuple(
                replace(pattern, every_day_of_the_year=True) for pattern in self.patterns
            ),
        )

    def _shut_for_bank_holiday(self, pattern: ShiftPattern, day: date) -> bool:
        if pattern.weekday is None or pattern.every_day_of_the_year or not is_bank_holiday(day):
            return False
        return self._roles[pattern.staff_ref] is not Role.EDT_SOCIAL_WORKER

    @cached_property
    def _roles(self) -> dict[str, Role]:
        return {member.ref: member.role for member in self.staff}

    def on_shift_at(self, moment: datetime) -> list[Shift]:
        """List who is on shift at this moment, with touching shifts joined into one."""
        nearby = self.shifts_between(moment - timedelta(days=2), moment + timedelta(days=2))
        return [s for s in join_touching(nearby) if s.starts_at <= moment < s.ends_at]


def join_rotas(rotas: Iterable[Rota]) -> Rota:
    """Put rotas kept apart (the front door's, the EDT's) together as one.

    A staff_ref in two rotas must be the same person in both, as within one rota.
    """
    staff: dict[str, StaffMember] = {}
    patterns: list[ShiftPattern] = []
    for rota in rotas:
        for member in rota.staff:
            earlier = staff.setdefault(member.ref, member)
            if earlier != member:
                raise ValueError(
                    f"staff_ref {member.ref!r} is a different person in two of the rotas"
                )
        patterns.extend(rota.patterns)
    return Rota(staff=tuple(staff.values()), patterns=tuple(patterns))


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")


def local_span(day: date, start_minute: int, end_minute: int) -> tuple[datetime, datetime]:
    """Return the UTC instants of two wall-clock minutes of a local date."""
    return _local_to_utc(day, start_minute), _local_to_utc(day, end_minute)


def uncovered(
    shifts: Iterable[Shift], starts_at: datetime, ends_at: datetime
) -> list[tuple[datetime, datetime]]:
    """List the stretches between two instants with nobody at all on shift."""
    gaps = []
    covered_until = starts_at
    during = [s for s in shifts if s.ends_at > starts_at and s.starts_at < ends_at]
    for shift in sorted(during, key=lambda s: s.starts_at):
        if shift.starts_at > covered_until:
            gaps.append((covered_until, shift.starts_at))
        covered_until = max(covered_until, shift.ends_at)
    if covered_until < ends_at:
        gaps.append((covered_until, ends_at))
    return gaps


def join_touching(shifts: Iterable[Shift]) -> list[Shift]:
    """Join each person's overlapping or back-to-back shifts, so a shift end is a real sign-off."""
    return _join(shifts, back_to_back=True)


def join_overlapping(shifts: Iterable[Shift]) -> list[Shift]:
    """Join each person's overlapping shifts (the latest end wins), keeping back-to-back apart.

    A one-off shift on a day a weekly one also starts is one stretch of work, stored once; a
    night split at midnight stays two rows, as the rota manager wrote it.
    """
    return _join(shifts, back_to_back=False)


def _join(shifts: Iterable[Shift], *, back_to_back: bool) -> list[Shift]:
    by_staff: dict[str, list[Shift]] = {}
    for shift in shifts:
        by_staff.setdefault(shift.staff_ref, []).append(shift)
    joined: list[Shift] = []
    for ref, own in by_staff.items():
        own.sort(key=lambda s: s.starts_at)
        current = own[0]
        for shift in own[1:]:
            joins = (
                shift.starts_at <= current.ends_at
                if back_to_back
                else shift.starts_at < current.ends_at
            )
            if joins:
                current = Shift(ref, current.starts_at, max(current.ends_at, shift.ends_at))
            else:
                joined.append(current)
                current = shift
        joined.append(current)
    joined.sort(key=lambda s: (s.starts_at, s.staff_ref))
    return joined


def load_rota(path: str | Path) -> Rota:
    """Read and parse a rota CSV file."""
    return parse_rota(read_rota_text(path))


_EXCEL_WORKBOOK = b"PK\x03\x04"  # an .xlsx is a zip archive
_SAVE_AS_CSV = 'in Excel, save the rota as "CSV UTF-8 (Comma delimited)"'


def read_rota_text(path: str | Path) -> str:
    """Read a rota file as UTF-8 text (a byte-order mark allowed), or say plainly why not.

    Excel's plain "CSV (Comma delimited)" writes Windows-1252, so an accented name (Siân) is
    not UTF-8: the error names the line but never its text, which holds personal data.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RotaError(None, f"no rota file at {path}") from None
    except OSError as error:
        raise RotaError(None, f"cannot read the rota file {path}: {error.strerror}") from None
    if data.startswith(_EXCEL_WORKBOOK):
        raise RotaError(None, f"{path} is an Excel workbook, not CSV; {_SAVE_AS_CSV}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise RotaError(line, f"not UTF-8 text (byte 0x{byte:02x}); {_SAVE_AS_CSV}") from None


def parse_rota(text: str) -> Rota:
    """Parse rota CSV text, raising RotaError naming the first bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise RotaError(1, "the rota is empty; the first line must name the columns " + _columns())
    twice = sorted({column for column in header if column and header.count(column) > 1})
    if twice:  # the csv module would silently keep the last of them
        raise RotaError(1, f"column(s) {', '.join(twice)} named twice; expected {_columns()}")
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise RotaError(1, f"missing column(s) {', '.join(missing)}; expected {_columns()}")
    reader.fieldnames = header
    staff: dict[str, tuple[StaffMember, int]] = {}
    patterns: list[ShiftPattern] = []
    for row in _rows(reader):
        line = reader.line_num
        if _is_blank(row):
            continue
        member, pattern = _parse_row(row, line)
        earlier = staff.get(member.ref)
        if earlier is None:
            staff[member.ref] = (member, line)
        elif earlier[0] != member:
            raise RotaError(
                line,
                f"staff_ref {member.ref!r} has a different name, role, team or skills "
                f"from line {earlier[1]}; every row for one person must agree",
            )
        patterns.append(pattern)
    if not any(not pattern.day_off for pattern in patterns):
        raise RotaError(reader.line_num or 1, "the rota has no shifts")
    return Rota(tuple(member for member, _ in staff.values()), tuple(patterns))


def _rows(reader: csv.DictReader) -> Iterator[dict[str | None, object]]:
    # The csv module's own complaints (a field too long, a stray quote) name the line too.
    try:
        yield from reader
    except csv.Error as error:
        # The DictReader's own count stops at the last good row; its reader's is the line read.
        raise RotaError(reader.reader.line_num, f"not readable as CSV ({error})") from None


def _columns() -> str:
    return ",".join(COLUMNS)


def _is_blank(row: dict[str | None, object]) -> bool:
    return all(not (value or "").strip() for key, value in row.items() if isinstance(value, str))


def _parse_row(row: dict[str | None, object], line: int) -> tuple[StaffMember, ShiftPattern]:
    if None in row:
        raise RotaError(line, f"too many fields; expected {len(COLUMNS)}: {_columns()}")
    if any(row.get(column) is None for column in COLUMNS):
        raise RotaError(line, f"too few fields; expected {len(COLUMNS)}: {_columns()}")
    cell = {column: str(row[column]).strip() for column in COLUMNS}
    ref = cell["staff_ref"]
    if not ref:
        raise RotaError(line, "staff_ref is empty")
    member = StaffMember(
        ref=ref,
        name=cell["name"] or ref,
        role=_parse_role(cell["role"], line),
        team=cell["team"],
        skills=_parse_skills(cell["skills"], line),
    )
    on_date, weekday = _parse_when(cell["date"], cell["weekday"], line)
    if not cell["start"] and not cell["end"]:
        if on_date is None:
            raise RotaError(line, "a day off (no start and no end) needs a date, not a weekday")
        return member, ShiftPattern(ref, 0, 0, on_date, None, line, day_off=True)
    start = _parse_clock(cell["start"], "start", line, allow_midnight_end=False)
    end = _parse_clock(cell["end"], "end", line, allow_midnight_end=True)
    return member, ShiftPattern(ref, start, end, on_date, weekday, line)


def _parse_role(text: str, line: int) -> Role:
    normalised = re.sub(r"[\s-]+", "_", text.lower())
    try:
        return Role(normalised)
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise RotaError(line, f"unknown role {text!r}; use one of {known}") from None


def _parse_skills(text: str, line: int) -> frozenset[Skill]:
    skills: set[Skill] = set()
    for part in text.split(";"):
        name = re.sub(r"[\s-]+", "_", part.strip().lower())
        if not name:
            continue
        try:
            skills.add(Skill(name))
        except ValueError:
            known = ", ".join(skill.value for skill in Skill)
            raise RotaError(line, f"unknown skill {part.strip()!r}; use {known}") from None
    return frozenset(skills)


def _parse_when(date_text: str, weekday_text: str, line: int) -> tuple[date | None, int | None]:
    if date_text and weekday_text:
        raise RotaError(line, "fill in date or weekday, not both")
    if not date_text and not weekday_text:
        raise RotaError(line, "fill in date (YYYY-MM-DD, one-off) or weekday (Mon..Sun, weekly)")
    if date_text:
        try:
            return date.fromisoformat(date_text), None
        except ValueError:
            raise RotaError(line, f"date {date_text!r} is not a YYYY-MM-DD date") from None
    name = weekday_text.lower()
    for index, full_name in enumerate(WEEKDAY_NAMES):
        if name in (full_name, full_name[:3]):
            return None, index
    raise RotaError(line, f"weekday {weekday_text!r} is not one of Mon, Tue, ... Sun")


def _parse_clock(text: str, column: str, line: int, *, allow_midnight_end: bool) -> int:
    match = _TIME.match(text)
    if match is None:
        raise RotaError(line, f"{column} {text!r} is not a HH:MM time")
    hours, minutes = int(match[1]), int(match[2])
    if allow_midnight_end and (hours, minutes) == (24, 0):
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        limit = " (24:00 is allowed as an end)" if not allow_midnight_end else ""
        raise RotaError(line, f"{column} {text!r} is not a time of day{limit}")
    minute_of_day = hours * 60 + minutes
    if allow_midnight_end and minute_of_day == 0:
        return MINUTES_PER_DAY  # an end of 00:00 is the coming midnight, the same as 24:00
    return minute_of_day
