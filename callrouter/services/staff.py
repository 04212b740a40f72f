"""Staff and their shifts, loaded from the rota CSV a rota manager already keeps; and who is
available now: a person going away, signing off or marked off sick gives back what they hold.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from callrouter.db.console_models import User
from callrouter.db.models import Shift, Staff, Task
from callrouter.domain.console_access import Permission, allowed
from callrouter.domain.rota import Rota, parse_rota
from callrouter.services import audit
from callrouter.services.allocation import set_availability
from callrouter.services.tasks import staff_for
from callrouter.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DEMO_TEAM = Path(__file__).resolve().parent.parent / "demo" / "team.csv"
DEFAULT_HORIZON = timedelta(days=14)


def load_rota(uow: UnitOfWork, rota: Rota, now: datetime,
              horizon: timedelta = DEFAULT_HORIZON) -> int:
    """Add or update the rota's staff and add its shifts from a day ago to the horizon."""
    by_ref = {staff.ref: staff for staff in uow.session.scalars(select(Staff))}
    for member in rota.staff:
        staff = by_ref.get(member.ref) or Staff(ref=member.ref, availability="available")
        staff.name = member.name
        staff.role = member.role
        staff.team = member.team
        staff.skills = ";".join(sorted(member.skills))
        uow.session.add(staff)
        by_ref[member.ref] = staff
    uow.session.flush()
    existing = {
        (staff_id, starts_at)
        for staff_id, starts_at in uow.session.execute(
            select(Shift.staff_id, Shift.starts_at).where(Shift.ends_at > now - timedelta(days=1))
        )
    }
    added = 0
    for shift in rota.shifts_between(now - timedelta(days=1), now + horizon):
        staff_id = by_ref[shift.staff_ref].id
        if (staff_id, shift.starts_at) in existing:
            continue
        uow.session.add(Shift(staff_id=staff_id, starts_at=shift.starts_at, ends_at=shift.ends_at))
        existing.add((staff_id, shift.starts_at))
        added += 1
    uow.commit()
    log.info("rota loaded: %s staff, %s new shifts", len(rota.staff), added)
    return added


def load_rota_file(uow: UnitOfWork, path: Path, now: datetime) -> int:
    """Load a rota CSV file."""
    return load_rota(uow, parse_rota(path.read_text(encoding="utf-8")), now)


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
        select(func.count(Task.id)).where(Task.assignee_id == staff_id,
                                          Task.status == "allocated")
    )


def change_availability(uow: UnitOfWork, staff_id: int | None, availability: str, user: User,
                        reason: str, now: datetime) -> list[int]:
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
    audit.record(uow.session, user.id, "availability_changed", now, staff_id=staff.id,
                 availability=availability, was=was, reason=reason[:2000] or None)
    # Commits the change with the audit event, then gives back what they can no longer make.
    released = sorted(set_availability(uow, staff.id, availability, now))
    log.info("staff %s now %s (was %s): %s call-back(s) released", staff.id, availability, was,
             len(released))
    return released


def change_words(name: str | None, availability: str, released: int, kept: int,
                 on_shift: bool) -> str:
    """Say, in plain English, what a change of availability did.

    name is None when people changed their own ("You are..."); kept counts the call-backs
    still held (a call in progress).
    """
    who = name or "You"
    if availability == "off":
        state = "signed off for today" if name is None else "marked off sick today"
        done = (f"{who} {'are' if name is None else 'is'} {state}: no call-backs will be given "
                f"to {'you' if name is None else 'them'} until {'your' if name is None else 'their'} "
                "next shift, unless marked available again.")
    elif availability == "away":
        done = f"{who} {'are' if name is None else 'is'} marked away."
    else:
        done = f"{who} {'are' if name is None else 'is'} {AVAILABILITY_WORDS[availability]}."
    if availability in ("away", "off"):
        if released == 0:
            done += " No call-backs went back to the queue."
        else:
            done += (f" {released} call-back{'' if released == 1 else 's'} went back to the "
                     "queue to be given to someone else.")
        if kept:
            done += (f" {kept} stay{'s' if kept == 1 else ''} with "
                     f"{'you' if name is None else 'them'} because a call is in progress.")
    elif not on_shift:
        done += (f" {'You are' if name is None else 'They are'} not on shift now, so no "
                 "call-backs will be given until the next shift begins.")
    else:
        done += " New call-backs can be given within a minute."
    return done
