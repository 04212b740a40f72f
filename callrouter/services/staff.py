"""Staff and their shifts, loaded from the rota CSV a rota manager already keeps; and who is
available now: a person going away, signing off or marked off sick gives back what they hold.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from callrouter.db.console_models import User
from callrouter.db.models import Shift, Staff, Task
from callrouter.domain.calendar import DEFAULT_OPENING_HOURS
from callrouter.domain.console_access import Permission, allowed
from callrouter.domain.rota import (
    Rota,
    RotaError,
    StaffMember,
    join_overlapping,
    join_rotas,
    local_span,
    parse_rota,
    read_rota_text,
    uncovered,
)
from callrouter.domain.rota import Shift as RotaShift
from callrouter.services import audit
from callrouter.services.allocation import set_availability
from callrouter.services.tasks import staff_for
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DEMO_TEAM = Path(__file__).resolve().parent.parent / "demo" / "team.csv"
DEFAULT_HORIZON = timedelta(days=14)
# Rota shifts that ended this long ago are still written on a first load (see load_rota).
HISTORY_FILLED = timedelta(days=1)


def load_rota(
    uow: UnitOfWork,
    rota: Rota,
    now: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    *,
    leave_others: bool = False,
) -> int:
    """Make the stored shifts follow the rota from now to the horizon; return how many were added.

    The rota is the truth from now on: every stored shift starting after now is changed, removed
    or added to match it (overlapping shifts of one person joined), and someone no longer in
    the rota keeps no future shift. The past is history, never rewritten: a shift that has ended
    stays as it was, and the rota's shifts of the last day are added only where nothing stored
    overlaps them (a first load, so a night that began yesterday is read from its start). A
    shift under way keeps its start and takes the rota's end; gone from the rota or cut short
    to a time already past, it ends now, and the sweep gives back what its holder cannot make.
    One transaction; loading the same rota again changes nothing. With leave_others, people
    the rota does not name keep their shifts (`callrouter staff load` without --replace-all:
    the EDT's file beside the front door's; and the demo team, beside a rota loaded by hand).
    """
    staff_ids = _add_or_update_staff(uow, rota)
    wanted = _wanted_shifts(rota, staff_ids, now, horizon)
    since = min(
        [now - HISTORY_FILLED, *(shift.starts_at for own in wanted.values() for shift in own)]
    )
    stored = _stored_shifts(uow, since)
    if leave_others:
        named = {staff_ids[member.ref] for member in rota.staff}
        stored = {staff_id: rows for staff_id, rows in stored.items() if staff_id in named}
    changes = ShiftChanges()
    for staff_id in wanted.keys() | stored.keys():
        _follow_rota(
            uow, staff_id, wanted.get(staff_id, []), stored.get(staff_id, []), now, changes
        )
    uow.commit()
    log.info(
        "rota loaded: %s staff; shifts %s added, %s changed, %s removed",
        len(rota.staff),
        changes.added,
        changes.changed,
        changes.removed,
    )
    return changes.added


def load_rota_file(
    uow: UnitOfWork, path: Path, now: datetime, *, replace_all: bool = False
) -> RotaLoaded:
    """Load one rota CSV file, as load_rota_files does."""
    return load_rota_files(uow, [path], now, replace_all=replace_all)


@dataclass(frozen=True)
class BankHolidayNote:
    """A bank holiday a rota load reached, for the rota manager to check."""

    day: date
    name: str
    left_out: tuple[str, ...]  # staff_refs whose weekly shifts the day left out
    uncovered: tuple[tuple[datetime, datetime], ...]  # office hours with nobody on shift


@dataclass(frozen=True)
class RotaLoaded:
    added: int  # new shifts
    bank_holidays: list[BankHolidayNote]


def load_rota_files(
    uow: UnitOfWork,
    paths: Sequence[Path],
    now: datetime,
    *,
    replace_all: bool = False,
    open_on_bank_holidays: bool = False,
) -> RotaLoaded:
    """Load rota CSV files kept apart (the front door's, the EDT's) joined as one rota.

    The shifts of the people the files name follow them; everyone else is left alone, so
    loading the EDT's file changes only the EDT's people. With replace_all the files are the
    whole rota (STAFF_FILE): someone in none of them keeps no future shift. Every file is read
    before anything is written: one that cannot be read or parsed, or a staff_ref that is a
    different person in two files, loads nothing (RotaError naming the file). Weekly rows give
    the front door no shift on a bank holiday unless open_on_bank_holidays (FlowRegistry);
    each bank holiday that left shifts out is noted for the rota manager.
    """
    paths = [Path(path) for path in paths]
    rota = read_rota_files(paths, open_on_bank_holidays=open_on_bank_holidays)
    # The demo team, even loaded by itself, is never the whole rota: it must not take off
    # anyone loaded by hand (the worker refreshes it only while it is all the staff there is).
    demo = all(path.resolve() == DEMO_TEAM for path in paths)
    added = load_rota(uow, rota, now, leave_others=demo or not replace_all)
    notes = _bank_holiday_notes(uow, rota, now)
    for note in notes:
        log.info(
            "rota: weekly shifts of %d people left out on bank holiday %s",
            len(note.left_out),
            note.day.isoformat(),
        )
    return RotaLoaded(added, notes)


def _bank_holiday_notes(uow: UnitOfWork, rota: Rota, now: datetime) -> list[BankHolidayNote]:
    """The bank holidays the load reached on which weekly rows gave no shift
    (Rota.bank_holidays_left_out), with any of the usual office hours nobody stored covers
    (whichever file they came from): an unanswered transfer to the EDT then leaves a
    call-back nobody can make."""
    notes = []
    for day, name, refs in rota.bank_holidays_left_out(now, now + DEFAULT_HORIZON):
        starts_at, ends_at = local_span(day, *_office_minutes(day))
        stored = uow.session.execute(
            select(Shift.staff_id, Shift.starts_at, Shift.ends_at).where(
                Shift.starts_at < ends_at, Shift.ends_at > starts_at
            )
        ).all()
        shifts = [RotaShift(str(staff_id), start, end) for staff_id, start, end in stored]
        notes.append(BankHolidayNote(day, name, refs, tuple(uncovered(shifts, starts_at, ends_at))))
    return notes


def _office_minutes(day: date) -> tuple[int, int]:
    opens, closes = DEFAULT_OPENING_HOURS.get(day.weekday(), (time(9), time(17)))
    return opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute


def load_staff_file(
    uow: UnitOfWork, staff_file: str | Path, now: datetime, *, open_on_bank_holidays: bool = False
) -> RotaLoaded:
    """Load STAFF_FILE, the whole rota: one file, or several joined with '+'
    (front-door.csv+edt.csv); someone in none of them keeps no future shift."""
    return load_rota_files(
        uow,
        staff_file_paths(staff_file),
        now,
        replace_all=True,
        open_on_bank_holidays=open_on_bank_holidays,
    )


def staff_file_paths(staff_file: str | Path) -> list[Path]:
    """The rota files STAFF_FILE names, joined with '+' as the simulator joins rotas.

    A value that is itself a file is that one file, even with a '+' in its path.
    """
    if Path(staff_file).is_file():
        return [Path(staff_file)]
    parts = [part.strip() for part in str(staff_file).split("+")]
    if not all(parts):
        raise RotaError(
            None,
            f"{staff_file!r} has an empty file name; join rota files with "
            "'+', as in front-door.csv+edt.csv",
        )
    return [Path(part) for part in parts]


def read_rota_files(paths: Sequence[Path], *, open_on_bank_holidays: bool = False) -> Rota:
    """Read and parse rota files and join them into one rota, or raise RotaError naming the
    file (and line) at fault. A staff_ref in two files must be the same person in both."""
    rotas: list[Rota] = []
    first_seen: dict[str, tuple[StaffMember, Path, Rota]] = {}
    for path in paths:
        rota = _read_rota_file(Path(path))
        for member in rota.staff:
            seen = first_seen.setdefault(member.ref, (member, path, rota))
            if seen[0] != member:
                raise RotaError(
                    None,
                    f"staff_ref {member.ref!r} is a different person in {path} "
                    f"(rota line {_first_line(rota, member.ref)}) and in {seen[1]} (rota line "
                    f"{_first_line(seen[2], member.ref)}): the name, role, team and skills of "
                    "one person must be the same in every rota file",
                )
        rotas.append(rota)
    joined = join_rotas(rotas)
    return joined.open_every_day() if open_on_bank_holidays else joined


def _read_rota_file(path: Path) -> Rota:
    try:
        rota = parse_rota(read_rota_text(path))
        # The demo team is round the clock on every day, or the demo would not work on one.
        return rota.open_every_day() if path.resolve() == DEMO_TEAM else rota
    except RotaError as error:
        if error.line is None and str(path) in str(error):
            raise  # it names the file already ("no rota file at ...")
        raise RotaFileError(path, error.line, error.problem) from None


def _first_line(rota: Rota, ref: str) -> int:
    return min(pattern.line for pattern in rota.patterns if pattern.staff_ref == ref)


class RotaFileError(RotaError):
    """A RotaError in one of the rota files loaded, naming the file before the line."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}" if line is None else f"{path}: rota line {line}"
        ValueError.__init__(self, f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclass
class ShiftChanges:
    """What a reload did to the stored shifts, counted for the log."""

    added: int = 0
    changed: int = 0
    removed: int = 0


def _add_or_update_staff(uow: UnitOfWork, rota: Rota) -> dict[str, int]:
    """Add or update the rota's people; return every stored person's id by staff_ref."""
    # Locking the staff rows makes a second reload at the same moment (two workers starting)
    # wait for the first and then find nothing to change, on PostgreSQL; SQLite's single
    # writer does the same.
    locked = select(Staff).order_by(Staff.id).with_for_update()  # in one order: no deadlock
    by_ref = {staff.ref: staff for staff in uow.session.scalars(locked)}
    for member in rota.staff:
        staff = by_ref.get(member.ref) or Staff(ref=member.ref, availability="available")
        staff.name = member.name
        staff.role = member.role
        staff.team = member.team
        staff.skills = ";".join(sorted(member.skills))
        uow.session.add(staff)
        by_ref[member.ref] = staff
    uow.session.flush()
    return {ref: staff.id for ref, staff in by_ref.items()}


def _wanted_shifts(
    rota: Rota, staff_ids: dict[str, int], now: datetime, horizon: timedelta
) -> dict[int, list[RotaShift]]:
    """The rota's shifts from a day ago to the horizon, overlapping ones joined, by staff id."""
    wanted: dict[int, list[RotaShift]] = defaultdict(list)
    shifts = rota.shifts_between(now - HISTORY_FILLED, now + horizon)
    for shift in join_overlapping(shifts):
        wanted[staff_ids[shift.staff_ref]].append(shift)
    return wanted


def _stored_shifts(uow: UnitOfWork, since: datetime) -> dict[int, list[Shift]]:
    """Every stored shift ending after since (all the future, and the history near it)."""
    stored: dict[int, list[Shift]] = defaultdict(list)
    rows = uow.session.scalars(
        select(Shift)
        .where(Shift.ends_at > since)
        .order_by(Shift.staff_id, Shift.starts_at, Shift.id)
    )
    for row in rows:
        stored[row.staff_id].append(row)
    return stored


def _follow_rota(
    uow: UnitOfWork,
    staff_id: int,
    wanted: list[RotaShift],
    stored: list[Shift],
    now: datetime,
    changes: ShiftChanges,
) -> None:
    """Make one person's stored shifts follow their rota shifts, as load_rota describes."""
    under_way = [row for row in stored if row.starts_at <= now < row.ends_at]
    wanted_now = next((s for s in wanted if s.starts_at <= now < s.ends_at), None)
    _follow_future(
        uow,
        staff_id,
        [row for row in stored if row.starts_at > now],
        [s for s in wanted if s.starts_at > now],
        changes,
    )
    _follow_shift_under_way(uow, staff_id, under_way, wanted_now, stored, now, changes)
    _fill_history(uow, staff_id, [s for s in wanted if s.ends_at <= now], stored, changes)


def _follow_future(
    uow: UnitOfWork,
    staff_id: int,
    stored: list[Shift],
    wanted: list[RotaShift],
    changes: ShiftChanges,
) -> None:
    """Change, remove or add shifts not yet begun so they are exactly the rota's."""
    # Matched by start, which is unique per person, so a row is changed in place, never
    # deleted and inserted again in the same flush.
    stored_by_start = {row.starts_at: row for row in stored}
    for shift in wanted:
        row = stored_by_start.pop(shift.starts_at, None)
        if row is None:
            _add_shift(uow, staff_id, shift.starts_at, shift.ends_at, changes)
        elif row.ends_at != shift.ends_at:
            row.ends_at = shift.ends_at
            changes.changed += 1
    for row in stored_by_start.values():
        uow.session.delete(row)
        changes.removed += 1


def _follow_shift_under_way(
    uow: UnitOfWork,
    staff_id: int,
    under_way: list[Shift],
    wanted_now: RotaShift | None,
    stored: list[Shift],
    now: datetime,
    changes: ShiftChanges,
) -> None:
    """Keep a started shift's start and give it the rota's end, or end it now if the rota has
    no shift for this person now; add the rota's shift under way if none is stored."""
    if not under_way:
        if wanted_now is not None:
            # Its past part only where nothing stored says otherwise: re-added after being
            # cut short, it starts now rather than covering the time they were off.
            overlaps = any(_overlap(wanted_now.starts_at, now, row) for row in stored)
            starts_at = now if overlaps else wanted_now.starts_at
            _add_shift(uow, staff_id, starts_at, wanted_now.ends_at, changes)
        return
    ends_at = wanted_now.ends_at if wanted_now is not None else now
    # Two started rows overlap only if an older load stored them; the earliest carries on.
    first, *copies = sorted(under_way, key=lambda row: row.starts_at)
    for row, new_end in [(first, ends_at), *((copy, now) for copy in copies)]:
        if row.ends_at != new_end:
            row.ends_at = new_end
            changes.changed += 1
    if wanted_now is None:
        log.info("staff %s: shift under way ended now, as the rota no longer has it", staff_id)


def _fill_history(
    uow: UnitOfWork,
    staff_id: int,
    wanted: list[RotaShift],
    stored: list[Shift],
    changes: ShiftChanges,
) -> None:
    """Add the rota's shifts that have ended where nothing stored overlaps them."""
    for shift in wanted:
        if not any(_overlap(shift.starts_at, shift.ends_at, row) for row in stored):
            _add_shift(uow, staff_id, shift.starts_at, shift.ends_at, changes)


def _overlap(starts_at: datetime, ends_at: datetime, row: Shift) -> bool:
    return row.starts_at < ends_at and starts_at < row.ends_at


def _add_shift(
    uow: UnitOfWork, staff_id: int, starts_at: datetime, ends_at: datetime, changes: ShiftChanges
) -> None:
    uow.session.add(Shift(staff_id=staff_id, starts_at=starts_at, ends_at=ends_at))
    changes.added += 1


# -- availability -----------------------------------------------------------------------------

# What each state means, in the words the console shows. Busy (on a call) keeps what is held.
AVAILABILITY_WORDS = {
    "available": "available for call-backs",
    "busy": "on a call",
    "away": "away",
    "off": "signed off for today",
}


class AvailabilityError(ValueError):
    """A change of availability that cannot be made; the message says why."""


def held_count(session, staff_id: int) -> int:
    """Count the call-backs a person holds now."""
    return session.scalar(
        select(func.count(Task.id)).where(Task.assignee_id == staff_id, Task.status == "allocated")
    )


def change_availability(
    uow: UnitOfWork, staff_id: int | None, availability: str, user: User, reason: str, now: datetime
) -> list[int]:
    """Mark someone available, busy, away or off, and give back what they hold if they left.

    Anyone may change their own; only a practice manager may change someone else's, and
    marking someone else off (off sick today) needs a reason. The change and an audit event
    (ids only) are committed together; then the call-backs the person can no longer make go
    back to the queue and are allocated again. Returns the ids of the call-backs taken back
    from this person (a call in progress stays with them).
    """
    if availability not in AVAILABILITY_WORDS:
        raise AvailabilityError("Choose available, away or off")
    staff = uow.session.get(Staff, staff_id) if staff_id else None
    if staff is None:
        raise AvailabilityError("Choose a member of staff from the list")
    me = staff_for(uow.session, user)
    own = me is not None and me.id == staff.id
    if not own and not allowed(user.role, Permission.MANAGE_QUEUE):
        raise AvailabilityError("Only a practice manager can change someone else's availability")
    reason = (reason or "").strip()
    if availability == "off" and not own and not reason:
        raise AvailabilityError(f"Say why {staff.name} is off, for example off sick today")
    was = staff.availability
    audit.record(
        uow.session,
        user.id,
        "availability_changed",
        now,
        staff_id=staff.id,
        availability=availability,
        was=was,
        reason=reason[:2000] or None,
    )
    # Commits the change with the audit event, then gives back what they can no longer make.
    released = sorted(set_availability(uow, staff.id, availability, now))
    log.info(
        "staff %s now %s (was %s): %s call-back(s) released",
        staff.id,
        availability,
        was,
        len(released),
    )
    return released


def change_words(
    name: str | None, availability: str, released: int, kept: int, on_shift: bool
) -> str:
    """Say, in plain English, what a change of availability did.

    name is None when people changed their own ("You are..."); kept counts the call-backs
    still held (a call in progress).
    """
    who = name or "You"
    if availability == "off":
        state = "signed off for today" if name is None else "marked off sick today"
        done = (
            f"{who} {'are' if name is None else 'is'} {state}: no call-backs will be given "
            f"to {'you' if name is None else 'them'} until {'your' if name is None else 'their'} "
            "next shift, unless marked available again."
        )
    elif availability == "away":
        done = f"{who} {'are' if name is None else 'is'} marked away."
    else:
        done = f"{who} {'are' if name is None else 'is'} {AVAILABILITY_WORDS[availability]}."
    if availability in ("away", "off"):
        if released == 0:
            done += " No call-backs went back to the queue."
        else:
            done += (
                f" {released} call-back{'' if released == 1 else 's'} went back to the "
                "queue to be given to someone else."
            )
        if kept:
            done += (
                f" {kept} stay{'s' if kept == 1 else ''} with "
                f"{'you' if name is None else 'them'} because a call is in progress."
            )
    elif not on_shift:
        done += (
            f" {'You are' if name is None else 'They are'} not on shift now, so no "
            "call-backs will be given until the next shift begins."
        )
    else:
        done += " New call-backs can be given within a minute."
    return done
