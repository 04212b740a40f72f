"""Administrators' screens: console users and the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from callrouter.console import console, security
from callrouter.db.console_models import User
from callrouter.domain.console_access import CONSOLE_ROLE_NAMES, Permission
from callrouter.services import accounts, audit


@console.route("/users", methods=["GET", "POST"])
@security.requires(Permission.MANAGE_USERS)
def users():
    """List console users and add one."""
    work = security.uow()
    error = None
    if request.method == "POST":
        try:
            accounts.create_user(
                work.session,
                request.form.get("email", ""),
                request.form.get("password", ""),
                request.form.get("name", ""),
                request.form.get("role", ""),
                security.now(),
                staff_ref=request.form.get("staff_ref"),
                created_by=security.current_user().id,
            )
            work.commit()
            flash("User added", "success")
            return redirect(url_for("console.users"))
        except accounts.AccountError as problem:
            work.session.rollback()
            error = str(problem)
    people = list(work.session.scalars(select(User).order_by(User.name)))
    return render_template(
        "users.html", users=people, error=error, form=request.form, roles=CONSOLE_ROLE_NAMES
    ), 400 if error else 200


@console.get("/audit")
@security.requires(Permission.VIEW_AUDIT)
def audit_log():
    """Show who saw or changed what, newest first."""
    contact_id = request.args.get("contact", type=int)
    events = audit.recent(security.uow().session, contact_id=contact_id)
    return render_template("audit.html", events=events, contact_id=contact_id)
