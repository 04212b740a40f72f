"""Console accounts: creating users, checking passwords (Argon2id), the first administrator."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callrouter.db.console_models import User
from callrouter.domain.console_access import ConsoleRole
from callrouter.services import audit
from callrouter.services.unit_of_work import NoDispatcher, UnitOfWork

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
# Checked when no such user exists, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountError(ValueError):
    """A user that cannot be created as asked; the message says why, in plain words."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    email: str,
    password: str,
    name: str,
    role: str,
    now: datetime,
    staff_ref: str | None = None,
    created_by: int | None = None,
) -> User:
    """Add a console user after checking the email, role and password; the caller commits."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountError("Enter an email address, like name@council.gov.uk")
    if not name.strip():
        raise AccountError("Enter the person's name")
    try:
        role = ConsoleRole(role)
    except ValueError:
        raise AccountError("Choose a role") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise AccountError("There is already a user with that email address")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        staff_ref=(staff_ref or "").strip() or None,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(session, created_by, "user_created", now, user=user.id, role=str(role))
    return user


def authenticate(uow: UnitOfWork, email: str, password: str, now: datetime) -> User | None:
    """Return the active user with that email and password, and note the sign-in; else None."""
    email = normalise_email(email)
    user = uow.session.scalar(select(User).where(func.lower(User.email) == email))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        audit.record(
            uow.session, user.id if user else None, "sign_in_failed", now, email=email[:320]
        )
        uow.commit()
        return None
    if user is None or not user.active:
        uow.commit()
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_signed_in_at = now
    audit.record(uow.session, user.id, "signed_in", now)
    uow.commit()
    return user


def create_admin(runtime, email: str, password: str, name: str) -> None:
    """Create the first administrator (for `callrouter create-admin`)."""
    with runtime.unit_of_work(NoDispatcher()) as uow:
        create_user(uow.session, email, password, name, ConsoleRole.ADMIN, datetime.now(UTC))
        uow.commit()
