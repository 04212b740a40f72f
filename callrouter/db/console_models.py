"""The console's tables: users, the audit log, call-back attempts and notes, re-allocations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callrouter.db.models import Base, Staff, Task
from callrouter.db.types import UTCDateTime


class User(Base):
    """A person who signs in to the console; duty staff are linked to their Staff row by ref."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))  # domain.console_access.ConsoleRole
    password_hash: Mapped[str] = mapped_column(String(200))
    staff_ref: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who saw or changed what, and when; written in the same transaction as the change."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_contact_id", "contact_id"),
        Index("ix_audit_log_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


class TaskAttempt(Base):
    """One try at calling a caller back, and how it went."""

    __tablename__ = "task_attempts"
    __table_args__ = (Index("ix_task_attempts_task_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str] = mapped_column(String(24))  # reached, no_answer, voicemail, wrong_number
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # False for an unanswered try that did not use up one of the attempts: made before the
    # retry time, or after the caller had been reached.
    counted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    staff: Mapped[Staff | None] = relationship()


class TaskNote(Base):
    """A note a worker or manager adds to a task."""

    __tablename__ = "task_notes"
    __table_args__ = (Index("ix_task_notes_task_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


class TaskReallocation(Base):
    """A task moved from one holder to another (or handed back), with the reason kept."""

    __tablename__ = "task_reallocations"
    __table_args__ = (Index("ix_task_reallocations_task_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    from_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    to_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # None: handed back
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    from_staff: Mapped[Staff | None] = relationship(foreign_keys=[from_staff_id])
    to_staff: Mapped[Staff | None] = relationship(foreign_keys=[to_staff_id])
    user: Mapped[User | None] = relationship()


__all__ = ["AuditEvent", "Task", "TaskAttempt", "TaskNote", "TaskReallocation", "User"]
