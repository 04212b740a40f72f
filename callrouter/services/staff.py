"""Staff and their shifts, loaded from the rota CSV a rota manager already keeps."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from callrouter.db.models import Shift, Staff
from callrouter.domain.rota import Rota, parse_rota
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
