"""The tables: contacts and their call turns, call-back tasks, messages, staff and shifts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from callrouter.db.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Contact(Base):
    """One telephone contact with the front door: what the caller said and how it ended."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    flow_name: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    caller_id_withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")  # or "closed"
    outcome: Mapped[str | None] = mapped_column(String(32))
    routed_team: Mapped[str | None] = mapped_column(String(64))
    redirected_to: Mapped[str | None] = mapped_column(String(64))
    # What the caller told us; a plain dict so every flow can capture its own fields.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the caller is in the flow.
    current_node: Mapped[str | None] = mapped_column(String(64))
    node_phase: Mapped[str | None] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    turn: Mapped[int] = mapped_column(Integer, default=0)
    call_status: Mapped[str | None] = mapped_column(String(32))
    last_status_sequence: Mapped[int] = mapped_column(Integer, default=-1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tasks: Mapped[list[Task]] = relationship(back_populates="contact", order_by="Task.id")
    messages: Mapped[list[Message]] = relationship(back_populates="contact", order_by="Message.id")


class CallTurn(Base):
    """The answer given to one webhook turn, so a Twilio retry gets the same answer, once."""

    __tablename__ = "call_turns"
    __table_args__ = (UniqueConstraint("call_sid", "turn", name="uq_call_turns_call_sid_turn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Staff(Base):
    """A person who can be given call-back tasks."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64))
    skills: Mapped[str] = mapped_column(String(200), default="")  # ";"-separated
    availability: Mapped[str] = mapped_column(String(16), default="available")
    # When it was last set: away lasts the stretch of shift it was set in; off lasts that
    # stretch and until availability_until (the end of the UK day that stretch began).
    availability_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    availability_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shifts: Mapped[list[Shift]] = relationship(back_populates="staff", order_by="Shift.starts_at")

    @property
    def skill_set(self) -> frozenset[str]:
        return frozenset(s for s in self.skills.split(";") if s)


class Shift(Base):
    """A period a person is on duty."""

    __tablename__ = "shifts"
    __table_args__ = (UniqueConstraint("staff_id", "starts_at", name="uq_shifts_staff_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship(back_populates="shifts")


class Task(Base):
    """A call-back (or a manager's review) owed to a caller, due by a deadline."""

    __tablename__ = "tasks"
    # The allocator reads open tasks by status and counts each person's recent ones every
    # decision; without these a year of closed call-backs puts a decision past 50 ms. The
    # minute's deadline check reads the call-backs closed in the last week.
    __table_args__ = (
        Index("ix_tasks_status", "status"),
        Index("ix_tasks_assignee_id_allocated_at", "assignee_id", "allocated_at"),
        Index("ix_tasks_closed_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    kind: Mapped[str] = mapped_column(String(16), default="callback")  # or "review"
    role: Mapped[str] = mapped_column(String(32))
    level: Mapped[str | None] = mapped_column(String(32))
    skill: Mapped[str | None] = mapped_column(String(32))
    # The flow's level asks for the Emergency Duty Team to make it when the office cannot.
    out_of_hours_cover: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    callback_number: Mapped[str | None] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When managers are told it is at risk, worked out with its timescale (working time counts
    # only open hours); None on tasks made before it was stored.
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # unallocated -> allocated -> completed | unable_to_contact | cancelled; never expires
    status: Mapped[str] = mapped_column(String(24), default="unallocated")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)  # every attempt recorded
    # The unanswered tries that use up the attempts: made at or after their retry time, before
    # the caller was reached (see services.tasks.record_attempt).
    unanswered_tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    closed_by_user_id: Mapped[int | None] = mapped_column(Integer)  # a console user

    contact: Mapped[Contact] = relationship(back_populates="tasks")
    assignee: Mapped[Staff | None] = relationship()


class Message(Base):
    """A text message to a caller; the outbox row is written before any attempt to send it."""

    __tablename__ = "messages"
    # The sweep looks for texts waiting to send, or stuck sending, every minute.
    __table_args__ = (Index("ix_messages_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    purpose: Mapped[str] = mapped_column(String(32))  # eform, signpost, missed_callback
    to_number: Mapped[str] = mapped_column(String(32))
    from_number: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    # pending -> sending -> sent | dry_run | failed | unconfirmed (Twilio may have taken it: no
    # answer in time, or the sender died mid-send), or back to pending after a passing fault,
    # until the tries run out. unconfirmed -> sent (found in Twilio's records) | pending (no
    # text at all in them: it never went), or stays unconfirmed; next_try_at is then when the
    # records are next read, None once it is settled for good. Twilio's delivery reports move
    # sent -> delivered | undelivered (the phone company could not deliver it).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    # Why the last try did not send it: Twilio's error code and its message, numbers removed.
    error: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[int | None] = mapped_column(Integer)
    # Tries so far, across worker runs and sweeps, so a fault cannot make it send forever.
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the last try began
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship(back_populates="messages")


class Escalation(Base):
    """Someone told that a call-back is at risk of, or has, missed its deadline."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("task_id", "kind", name="uq_escalations_task_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    kind: Mapped[str] = mapped_column(String(16))  # at_risk or breach
    task_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who was told: a practice manager on shift, or out of hours the EDT social worker on shift
    # for a call-back it covers; None: every manager, on the queue page.
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An at-risk warning raised because nobody able to make the call-back is on shift from
    # then until its deadline (at or before created_at: nobody is, from then on); None for one
    # raised as its deadline neared.
    cover_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship()
    manager: Mapped[Staff | None] = relationship()


def _kept_from_the_start(context) -> datetime:
    return context.get_current_parameters()["since"]


class DialLock(Base):
    """Who is ringing a caller right now: one row per number, so two people never dial at once."""

    __tablename__ = "dial_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_number: Mapped[str] = mapped_column(String(32), unique=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    since: Mapped[datetime] = mapped_column(UTCDateTime)  # when this call began
    # The last sign the holder is still on it: the start, or their open task page saying so.
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_kept_from_the_start)


class AllocatorLock(Base):
    """One row every allocator updates first, so allocations run one at a time on any database."""

    __tablename__ = "allocator_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
