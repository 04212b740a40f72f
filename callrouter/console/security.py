"""Signing in, session expiry, CSRF tokens and permission checks for the console.

CSRF: our own small token (no Flask-WTF): one random token per session, compared in constant
time with the `csrf_token` form field (or the X-CSRF-Token header) on every unsafe request to
a console blueprint. It is attached to blueprints in register_blueprints, like the sign-in
requirement, so the Twilio webhooks are untouched.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from callrouter.db.console_models import User
from callrouter.domain.console_access import Permission, allowed
from callrouter.services.unit_of_work import UnitOfWork

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_IDLE = timedelta(minutes=60)
DEFAULT_LIFETIME = timedelta(hours=12)  # a long shift; then sign in again
# Requests that must not count as activity (a page polling or keeping a call's dial lock in
# an unattended tab): they must not keep an unattended console signed in.
PASSIVE_ENDPOINTS = frozenset({"console.my_callbacks_json", "console.still_calling"})


def now() -> datetime:
    return datetime.now(UTC)


def uow() -> UnitOfWork:
    """Return this request's unit of work, opening it on first use; it closes after the request."""
    if "console_uow" not in g:
        runtime = current_app.extensions["callrouter.runtime"]
        work = runtime.unit_of_work(current_app.extensions["callrouter.dispatcher"])
        g.console_uow = work.__enter__()
    return g.console_uow


def close_uow(_exc=None) -> None:
    work = g.pop("console_uow", None)
    if work is not None:
        work.__exit__(None, None, None)


def csrf_token() -> str:
    """Return the session's CSRF token, making one if needed."""
    token = session.get("csrf_token")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf_token"] = token
    return token


def check_csrf() -> None:
    """Refuse an unsafe request whose CSRF token does not match the session's."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf_token", "")
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        abort(
            400,
            description="The form had expired or was not sent from this service. "
            "Go back, reload the page and try again.",
        )


def sign_in(user: User) -> None:
    """Start a fresh session for a user (a new session id, so none can be fixed in advance)."""
    session.clear()
    session.permanent = True
    stamp = now().timestamp()
    session.update(user_id=user.id, signed_in_at=stamp, seen_at=stamp)
    csrf_token()


def sign_out() -> None:
    session.clear()


def current_user() -> User | None:
    """Return the signed-in user, loading them once per request, or None."""
    if "console_user" in g:
        return g.console_user
    user = None
    user_id = session.get("user_id")
    if user_id is not None and _session_alive():
        found = uow().session.get(User, user_id)
        user = found if found is not None and found.active else None
    if user is None and user_id is not None:
        session.clear()
        g.console_signed_out = True
    g.console_user = user
    return user


def _session_alive() -> bool:
    stamp = now().timestamp()
    idle = current_app.config.get("CONSOLE_IDLE_TIMEOUT", DEFAULT_IDLE).total_seconds()
    life = current_app.config.get("CONSOLE_SESSION_LIFETIME", DEFAULT_LIFETIME).total_seconds()
    if stamp - session.get("seen_at", 0) > idle or stamp - session.get("signed_in_at", 0) > life:
        return False
    if request.endpoint not in PASSIVE_ENDPOINTS:
        session["seen_at"] = stamp
    return True


def require_sign_in(app: Flask, blueprint_name: str) -> None:
    """Send every signed-out request to a blueprint to the sign-in page (JSON gets 401)."""

    def _check():
        if request.endpoint == f"{blueprint_name}.static":
            return None  # stylesheets and scripts: the sign-in page needs them too
        if current_user() is None:
            wants_json = request.accept_mimetypes.best == "application/json"
            if request.endpoint in PASSIVE_ENDPOINTS or wants_json:
                abort(401)
            expired = "1" if g.get("console_signed_out") else None
            return redirect(
                url_for("console_auth.sign_in", next=request.full_path.rstrip("?"), expired=expired)
            )
        return None

    app.before_request_funcs.setdefault(blueprint_name, []).append(_check)


def require_csrf(app: Flask, blueprint_name: str) -> None:
    """Check the CSRF token on every unsafe request to a blueprint."""
    app.before_request_funcs.setdefault(blueprint_name, []).append(check_csrf)


def requires(permission: Permission) -> Callable:
    """Let a view run only for a user whose role carries the permission; others get 403."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None or not allowed(user.role, permission):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def can(permission: str) -> bool:
    """Say, in a template, whether the signed-in user has a permission."""
    user = current_user()
    return user is not None and allowed(user.role, Permission(permission))
