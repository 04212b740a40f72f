"""Advisors' screens: calls now, take a call, caller history, a contact, the team directory."""

from __future__ import annotations

from dataclasses import asdict

from flask import abort, current_app, redirect, render_template, request, session, url_for

from callrouter.console import console, security
from callrouter.domain.console_access import Permission
from callrouter.domain.console_form import CONSENT_REASON, parse_form, questions
from callrouter.domain.flows import FlowRegistry
from callrouter.services import console_contacts


def _flows() -> FlowRegistry:
    return current_app.extensions["callrouter.runtime"].flows


def _flow():
    name = request.values.get("flow")
    flows = _flows()
    if name:
        if name not in flows.flows:
            abort(404)
        return flows.get(name)
    return flows.default


@console.get("/calls")
@security.requires(Permission.TAKE_CALLS)
def calls_now():
    """Show the calls in the phone menu now, with what each caller has said so far."""
    contacts = console_contacts.calls_now(security.uow().session)
    return render_template("calls_now.html", contacts=contacts, flows=_flows())


@console.route("/calls/new", methods=["GET", "POST"])
@security.requires(Permission.TAKE_CALLS)
def take_call():
    """Show the call form; on a complete form, check the history, then record the outcome."""
    flow = _flow()
    form = request.form if request.method == "POST" else request.args
    errors, history = {}, []
    number, child = form.get("callback_number", ""), form.get("child_name", "")
    work = security.uow()
    user = security.current_user()
    if number.strip() or child.strip():
        history = console_contacts.caller_history(work.session, number, child)
        if history:
            console_contacts.record_history_viewed(work, history, user.id, security.now())
    if request.method == "POST" and request.form.get("check") != "history":
        walk = parse_form(flow, request.form, security.now())
        errors = walk.errors
        seen = request.form.get("history_seen") == _history_key(history)
        if walk.complete and (seen or not history):
            taken = console_contacts.take_call(work, flow, walk, user.id, security.now())
            session["console_taken"] = asdict(taken)
            return redirect(url_for("console.call_taken", contact_id=taken.contact_id))
        if walk.complete:
            errors = {}
    status = 400 if errors else 200
    return render_template(
        "take_call.html",
        flow=flow,
        flows=_flows(),
        questions=questions(flow),
        form=form,
        errors=errors,
        history=history,
        history_key=_history_key(history),
        must_confirm_history=request.method == "POST"
        and not errors
        and bool(history)
        and request.form.get("check") != "history",
        consent_reason_field=CONSENT_REASON,
    ), status


def _history_key(history) -> str:
    return ",".join(str(contact.id) for contact in history)


@console.get("/calls/<int:contact_id>/taken")
@security.requires(Permission.TAKE_CALLS)
def call_taken(contact_id: int):
    """Confirm what became of the call, with the words to read to the caller."""
    taken = session.get("console_taken")
    if not taken or taken.get("contact_id") != contact_id:
        return redirect(url_for("console.contact", contact_id=contact_id))
    return render_template("call_taken.html", taken=taken)


@console.get("/history")
@security.requires(Permission.VIEW_HISTORY)
def history():
    """Find earlier contacts by the caller's number or the child's name."""
    number, child = request.args.get("number", ""), request.args.get("child_name", "")
    work = security.uow()
    contacts = console_contacts.caller_history(work.session, number, child)
    if contacts:
        console_contacts.record_history_viewed(
            work, contacts, security.current_user().id, security.now()
        )
    searched = bool(number.strip() or child.strip())
    return render_template(
        "history.html", contacts=contacts, number=number, child=child, searched=searched
    )


@console.get("/contacts/<int:contact_id>")
@security.requires(Permission.VIEW_HISTORY)
def contact(contact_id: int):
    """Show everything recorded about one contact."""
    found = console_contacts.view_contact(
        security.uow(), contact_id, security.current_user().id, security.now(), "contact"
    )
    if found is None:
        abort(404)
    return render_template("contact.html", contact=found)


@console.get("/directory")
@security.requires(Permission.VIEW_DIRECTORY)
def directory():
    """List the teams callers can be put through to, and their numbers."""
    return render_template("directory.html", teams=console_contacts.directory(_flows()))
