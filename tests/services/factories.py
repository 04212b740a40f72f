"""Plain create_* helpers for staff, shifts and tasks."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from callrouter.db.models import Contact, Shift, Staff, Task

_references = itertools.count(1)


def create_staff(
    uow,
    ref: str,
    role: str,
    *,
    starts: datetime,
    hours: float = 8,
    skills: str = "",
    availability: str = "available",
) -> Staff:
    staff = Staff(
        ref=ref,
        name=f"{ref} (test)",
        role=role,
        team="mash",
        skills=skills,
        availability=availability,
    )
    uow.session.add(staff)
    uow.session.flush()
    uow.session.add(
        Shift(staff_id=staff.id, starts_at=starts, ends_at=starts + timedelta(hours=hours))
    )
    uow.session.flush()
    return staff


def create_task(
    uow,
    *,
    created: datetime,
    due_in: timedelta = timedelta(hours=1),
    role: str = "social_worker",
    level: str = "s47",
    skill: str | None = None,
    status: str = "unallocated",
    assignee: Staff | None = None,
    out_of_hours_cover: bool = False,
) -> Task:
    contact = Contact(
        reference=f"T{next(_references):05d}",
        flow_name="default",
        channel="phone",
        answers={},
        created_at=created,
        updated_at=created,
    )
    task = Task(
        contact=contact,
        role=role,
        level=level,
        skill=skill,
        due_at=created + due_in,
        status=status,
        assignee=assignee,
        created_at=created,
        callback_number="+447400123456",
        out_of_hours_cover=out_of_hours_cover,
    )
    uow.session.add(task)
    uow.session.flush()
    return task


class RecordingDispatcher:
    """Keep the jobs a unit of work asks for, with the time each is wanted."""

    def __init__(self):
        self.jobs: list[tuple[str, tuple[int, ...], datetime | None]] = []

    def enqueue(self, job: str, *args: int, at: datetime | None = None) -> None:
        self.jobs.append((job, args, at))
