"""Signing in and out, and each role's landing page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for

from callrouter.console import console, console_auth, security
from callrouter.domain.console_access import ConsoleRole
from callrouter.services import accounts, audit

LANDING = {
    ConsoleRole.ADVISOR: "console.calls_now",
    ConsoleRole.SOCIAL_WORKER: "console.my_callbacks",
    ConsoleRole.EARLY_HELP: "console.my_callbacks",
    ConsoleRole.PRACTICE_MANAGER: "console.queue",
    ConsoleRole.ADMIN: "console.users",
}


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console"):
        return None
    return target


@console_auth.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form; sign the person in if their email and password match."""
    error = None
    if request.method == "POST":
        user = accounts.authenticate(
            security.uow(),
            request.form.get("email", ""),
            request.form.get("password", ""),
            security.now(),
        )
        if user is not None:
            security.sign_in(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("console.home"))
        error = "Enter a correct email address and password"
    status = 200 if error is None else 400
    return render_template(
        "sign_in.html",
        error=error,
        email=request.form.get("email", ""),
        expired=request.args.get("expired"),
    ), status


@console_auth.post("/sign-out")
def sign_out():
    """Sign out and go back to the sign-in page."""
    user = security.current_user()
    if user is not None:
        work = security.uow()
        audit.record(work.session, user.id, "signed_out", security.now())
        work.commit()
    security.sign_out()
    return redirect(url_for("console_auth.sign_in"))


@console.get("/")
def home():
    """Send each person to the page their role starts from."""
    user = security.current_user()
    return redirect(url_for(LANDING.get(user.role, "console.directory")))
