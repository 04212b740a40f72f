"""Practice managers' screens: the whole queue, who holds what, who is away or off sick, and
re-allocation."""

from __future__ import annotations

from itertools import groupby

from flask import abort, flash, redirect, render_template, request, url_for

from callrouter.console import console, security
from callrouter.db.models import Staff
from callrouter.domain.console_access import Permission
from callrouter.services import allocation, tasks
from callrouter.services import staff as staff_service

MANAGER_CHOICES = ("available", "away", "off")  # off: off sick today, with a reason
LEVEL_ORDER = ["s47", "public_concern", "s17", "level3", "level2", "level1"]


def _level_key(task) -> int:
    return LEVEL_ORDER.index(task.level) if task.level in LEVEL_ORDER else len(LEVEL_ORDER)


@console.get("/queue")
@security.requires(Permission.MANAGE_QUEUE)
def queue():
    """Show every open call-back by level, with its holder, team and risk of breach."""
    work = security.uow()
    now = security.now()
    open_tasks = tasks.open_queue(work.session)
    states = {t.id: tasks.urgency(t, now) for t in open_tasks}
    ordered = sorted(open_tasks, key=lambda t: (_level_key(t), t.due_at))
    by_level = [(level, list(group)) for level, group in groupby(ordered, key=lambda t: t.level)]
    counts = {
        state: sum(1 for u in states.values() if u.state == state)
        for state in ("breached", "at_risk", "on_time")
    }
    holdings = tasks.holdings(work.session)
    return render_template(
        "queue.html",
        by_level=by_level,
        states=states,
        counts=counts,
        holdings=holdings,
        now=now,
        people=sorted((s for s, _ in holdings), key=lambda s: (s.name, s.id)),
        availability_words=staff_service.AVAILABILITY_WORDS,
        availability=allocation.current_availability(work, [s for s, _ in holdings], now),
        escalations=tasks.recent_escalations(work.session, now),
        waiting=allocation.waiting_reasons(work, now),
    )


@console.post("/staff/availability")
@security.requires(Permission.MANAGE_QUEUE)
def staff_availability():
    """Mark a member of staff available, away or off sick today; what they hold goes back."""
    work = security.uow()
    back = redirect(url_for("console.queue", _anchor="staff-availability"))
    choice = request.form.get("availability", "")
    try:
        staff_id = int(request.form.get("staff_id") or 0)
    except ValueError:
        staff_id = 0
    if choice not in MANAGER_CHOICES:
        flash("Choose available, away or off sick today", "error")
        return back
    now = security.now()
    user = security.current_user()
    try:
        released = staff_service.change_availability(
            work, staff_id, choice, user, request.form.get("reason", ""), now
        )
    except staff_service.AvailabilityError as error:
        flash(str(error), "error")
        return back
    person = work.session.get(Staff, staff_id)
    me = tasks.staff_for(work.session, user)
    name = None if me is not None and me.id == staff_id else person.name
    flash(
        staff_service.change_words(
            name,
            choice,
            len(released),
            staff_service.held_count(work.session, staff_id),
            allocation.on_shift_now(work, staff_id, now),
        ),
        "success",
    )
    return redirect(url_for("console.queue"))


@console.post("/tasks/<int:task_id>/reallocate")
@security.requires(Permission.MANAGE_QUEUE)
def reallocate(task_id: int):
    """Give a call-back to someone else, keeping the reason."""
    work = security.uow()
    task = tasks.load_task(work, task_id)
    if task is None:
        abort(404)
    try:
        staff_id = int(request.form.get("staff_id") or 0)
        tasks.reallocate(
            work,
            task,
            security.current_user(),
            staff_id,
            request.form.get("reason", ""),
            security.now(),
        )
    except tasks.TaskError as error:
        flash(str(error), "error")
        return redirect(url_for("console.task", task_id=task_id, _anchor="reallocate"))
    flash("Call-back re-allocated", "success")
    return redirect(url_for("console.task", task_id=task_id))
