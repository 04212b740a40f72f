"""Duty staff's screens: my call-backs (kept live by polling), my availability, a task, and
what to do with it."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from callrouter.console import console, security
from callrouter.console.filters import clock
from callrouter.db.models import Task
from callrouter.domain.console_access import (
    ATTEMPT_OUTCOMES,
    Permission,
    allowed,
    may_open_task,
)
from callrouter.services import allocation, dialling, messages, tasks
from callrouter.services import staff as staff_service

WAITING_EMPTY = "Nothing is waiting for the Emergency Duty Team."
ESCALATIONS_EMPTY = "No open call-back has been escalated to you in the last two days."
OWN_CHOICES = ("available", "away", "off")  # the states people set for themselves here
NOT_LINKED = (
    "Your account is not linked to a duty rota record, so your availability cannot "
    "be changed. Ask an administrator to add your staff reference."
)


def _my_tasks():
    work = security.uow()
    staff = tasks.staff_for(work.session, security.current_user())
    return staff, tasks.my_tasks(work.session, staff)


@console.get("/callbacks")
@security.requires(Permission.WORK_TASKS)
def my_callbacks():
    """List the call-backs I hold, soonest deadline first, with the time left on each."""
    me, held = _my_tasks()
    now = security.now()
    return render_template(
        "my_callbacks.html",
        staff=me,
        tasks=held,
        now=now,
        urgency=tasks.urgency,
        max_attempts=tasks.RETRY_POLICY.max_attempts,
        **_panels(me, now),
        availability_words=staff_service.AVAILABILITY_WORDS,
        availability=allocation.current_availability(security.uow(), [me], now)[me.id]
        if me
        else None,
        on_shift=me is not None and allocation.on_shift_now(security.uow(), me.id, now),
    )


def _panels(me, now) -> dict:
    """What, besides my own call-backs, my page shows: for the EDT, the urgent call-backs
    waiting for its cover and why; for whoever may be told of escalations, those told to me."""
    work = security.uow()
    waiting = tasks.waiting_for_cover(work.session, me)
    return {
        "waiting": waiting,
        "waiting_empty": WAITING_EMPTY,
        "reasons": allocation.waiting_reasons(work, now, task_ids=[t.id for t in waiting])
        if waiting
        else {},
        "escalations": tasks.escalated_to(work.session, me, now),
        "escalations_empty": ESCALATIONS_EMPTY,
    }


@console.post("/availability")
@security.requires(Permission.WORK_TASKS)
def my_availability():
    """Mark myself available, away or signed off; what I hold goes back if I leave."""
    work = security.uow()
    user = security.current_user()
    me = tasks.staff_for(work.session, user)
    back = redirect(url_for("console.my_callbacks", _anchor="your-availability"))
    if me is None:
        flash(NOT_LINKED, "error")
        return back
    choice = request.form.get("availability", "")
    if choice not in OWN_CHOICES:
        flash("Choose available, away or signed off for today", "error")
        return back
    now = security.now()
    try:
        released = staff_service.change_availability(
            work, me.id, choice, user, request.form.get("reason", ""), now
        )
    except staff_service.AvailabilityError as error:
        flash(str(error), "error")
        return back
    flash(
        staff_service.change_words(
            None,
            choice,
            len(released),
            staff_service.held_count(work.session, me.id),
            allocation.on_shift_now(work, me.id, now),
        ),
        "success",
    )
    return redirect(url_for("console.my_callbacks"))


@console.get("/callbacks.json")
@security.requires(Permission.WORK_TASKS)
def my_callbacks_json():
    """Return my call-backs as JSON and as table rows, for the page to refresh itself."""
    staff, held = _my_tasks()
    now = security.now()
    rows = render_template(
        "_callback_rows.html",
        tasks=held,
        now=now,
        urgency=tasks.urgency,
        max_attempts=tasks.RETRY_POLICY.max_attempts,
    )
    answer = {
        "tasks": [{"id": t.id, "level": t.level, "due_at": t.due_at.isoformat()} for t in held],
        "rows": rows,
    }
    panels = _panels(staff, now)
    if panels["waiting"] is not None:
        answer["waiting"] = [t.id for t in panels["waiting"]]
        answer["waiting_rows"] = render_template(
            "_waiting_rows.html",
            tasks=panels["waiting"],
            now=now,
            urgency=tasks.urgency,
            reasons=panels["reasons"],
            empty=WAITING_EMPTY,
        )
    if panels["escalations"] is not None:
        answer["escalated"] = [e.id for e in panels["escalations"]]
        answer["escalated_rows"] = render_template(
            "_escalated_rows.html",
            escalations=panels["escalations"],
            now=now,
            urgency=tasks.urgency,
            empty=ESCALATIONS_EMPTY,
        )
    return jsonify(**answer)


def _task_for_me(task_id: int) -> Task:
    """Load a task the signed-in user may open, or stop with 404 / 403."""
    work = security.uow()
    task = tasks.load_task(work, task_id)
    if task is None:
        abort(404)
    user = security.current_user()
    staff = tasks.staff_for(work.session, user)
    mine = staff is not None and task.assignee_id == staff.id
    if not (may_open_task(user.role, task.role, mine) or tasks.edt_covered(staff, task)):
        abort(403)
    return task


@console.get("/tasks/<int:task_id>")
@security.requires(Permission.WORK_TASKS)
def task(task_id: int):
    """Show a call-back with everything captured, its attempts, and what can be done next."""
    found = _task_for_me(task_id)
    work = security.uow()
    user = security.current_user()
    tasks.view_task(work, found, user.id, security.now())
    staff = tasks.staff_for(work.session, user)
    mine = staff is not None and found.assignee_id == staff.id
    manager = allowed(user.role, Permission.MANAGE_QUEUE)
    now = security.now()
    lock = dialling.current_lock(work, found.callback_number)
    live = dialling.is_live(work, lock, now)
    calling = live and staff is not None and lock.staff_id == staff.id
    eligible = tasks.eligible_staff(work.session, found) if manager else []
    return render_template(
        "task.html",
        task=found,
        contact=found.contact,
        now=security.now(),
        urgency=tasks.urgency(found, security.now()),
        attempts=tasks.attempts(work.session, found.id),
        notes=tasks.notes(work.session, found.id),
        moves=tasks.reallocations(work.session, found.id),
        outcomes=ATTEMPT_OUTCOMES,
        show_recording=allowed(user.role, Permission.HEAR_RECORDINGS) and (mine or manager),
        eligible=eligible,
        not_now=tasks.why_not_now(work, eligible, now) if manager else {},
        manager=manager,
        may_cancel=tasks.may_cancel(user),
        calling=calling,
        dial_holder=(dialling.holder_name(work, lock) or "Someone else")
        if live and not calling
        else None,
        dial_since=lock.since if live else None,
        closed_by=tasks.closed_by(work.session, found),
        max_attempts=tasks.RETRY_POLICY.max_attempts,
        may_take=found.status == "unallocated"
        and staff is not None
        and allocation.could_take(staff, found),
        works=mine or manager or tasks.covers(work, staff, found, now),
        may_hand_back=mine or manager,
        texts=messages.texts_for_contact(work.session, found.contact_id),
    )


def _act(task_id: int, action, done: str):
    found = _task_for_me(task_id)
    try:
        action(security.uow(), found, security.current_user())
    except tasks.TaskError as error:
        flash(str(error), "error")
        return redirect(url_for("console.task", task_id=task_id))
    flash(done, "success")
    return redirect(url_for("console.task", task_id=task_id))


@console.post("/tasks/<int:task_id>/attempts")
@security.requires(Permission.WORK_TASKS)
def record_attempt(task_id: int):
    """Record a call-back attempt and how it went."""
    outcome = request.form.get("outcome", "")
    flows = current_app.extensions["callrouter.runtime"].flows
    seen = request.form.get("attempts_seen", "")
    found = _task_for_me(task_id)
    try:
        attempt = tasks.record_attempt(
            security.uow(),
            found,
            security.current_user(),
            outcome,
            request.form.get("note", ""),
            security.now(),
            flows=flows,
            attempts_seen=int(seen) if seen.isdigit() else None,
        )
    except tasks.TaskError as error:
        flash(str(error), "error")
        return redirect(url_for("console.task", task_id=task_id))
    done = f"Attempt recorded: {ATTEMPT_OUTCOMES.get(outcome, '').lower()}"
    if not attempt.counted and found.next_attempt_at is not None:
        # Said plainly, so nobody thinks the early try used up one of the attempts, or rings
        # again and again expecting the call-back to close.
        done += (
            f". It was before the time set for the next try, so it does not count "
            f"towards the {tasks.RETRY_POLICY.max_attempts} attempts: try again at "
            f"{clock(found.next_attempt_at, security.now())}."
        )
    elif not attempt.counted:
        done += (
            ". You reached the caller earlier, so this call-back will not be closed as "
            "unable to contact: complete it once you have done what they need."
        )
    flash(done, "success")
    return redirect(url_for("console.task", task_id=task_id))


@console.post("/tasks/<int:task_id>/take")
@security.requires(Permission.WORK_TASKS)
def take(task_id: int):
    """Take a call-back nobody holds for myself (the EDT from its waiting list, for one)."""
    return _act(
        task_id,
        lambda w, t, u: tasks.take(w, t, u, security.now()),
        "This call-back is now yours. Start the call when you are ready.",
    )


@console.post("/tasks/<int:task_id>/start-call")
@security.requires(Permission.WORK_TASKS)
def start_call(task_id: int):
    """Say I am ringing this caller now, so no one else rings them at the same time."""
    found = _task_for_me(task_id)
    work = security.uow()
    user = security.current_user()
    staff = tasks.staff_for(work.session, user)
    if staff is None:
        flash(
            "Your account is not linked to a duty rota record, so you cannot start a call. "
            "Ask an administrator to add your staff reference.",
            "error",
        )
        return redirect(url_for("console.task", task_id=task_id))
    try:
        tasks.may_work(work, found, user, security.now(), "start a call")
        dialling.start_dialling(work, found, staff.id, security.now(), user_id=user.id)
    except tasks.TaskError as error:
        flash(str(error), "error")
        return redirect(url_for("console.task", task_id=task_id))
    return redirect(url_for("console.task", task_id=task_id, _anchor="dialling"))


@console.post("/tasks/<int:task_id>/still-calling")
@security.requires(Permission.WORK_TASKS)
def still_calling(task_id: int):
    """Keep my dial lock alive while my call goes on (the task page says so every few minutes)."""
    found = _task_for_me(task_id)
    work = security.uow()
    staff = tasks.staff_for(work.session, security.current_user())
    kept = dialling.keep_dialling(work, found, staff.id if staff else None, security.now())
    return jsonify(calling=kept)


@console.post("/tasks/<int:task_id>/cancel")
@security.requires(Permission.CANCEL_TASKS)
def cancel(task_id: int):
    """Cancel a call-back that is no longer owed, with the reason (practice managers only)."""
    return _act(
        task_id,
        lambda w, t, u: tasks.cancel(w, t, u, request.form.get("reason", ""), security.now()),
        "Call-back cancelled",
    )


@console.post("/tasks/<int:task_id>/notes")
@security.requires(Permission.WORK_TASKS)
def add_note(task_id: int):
    """Add a note to a call-back."""
    return _act(
        task_id,
        lambda w, t, u: tasks.add_note(w, t, u, request.form.get("note", ""), security.now()),
        "Note added",
    )


@console.post("/tasks/<int:task_id>/complete")
@security.requires(Permission.WORK_TASKS)
def complete(task_id: int):
    """Mark a call-back as done."""
    response = _act(
        task_id, lambda w, t, u: tasks.complete(w, t, u, security.now()), "Call-back completed"
    )
    return response


@console.post("/tasks/<int:task_id>/hand-back")
@security.requires(Permission.WORK_TASKS)
def hand_back(task_id: int):
    """Hand a call-back back to the queue for someone else."""
    return _act(
        task_id,
        lambda w, t, u: tasks.hand_back(w, t, u, request.form.get("reason", ""), security.now()),
        "Call-back handed back to the queue",
    )
