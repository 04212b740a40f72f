"""Every route of every shipped flow, walked through the signed webhooks by a softphone.

The routes are generated from the flow files (tests/flows/walk.py), not written by hand: a
new option in a flow is walked without touching this file.
"""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from callrouter.db.models import Contact, Task
from callrouter.domain.calendar import WorkingCalendar
from callrouter.domain.flow_check import path_level
from callrouter.domain.timescales import parse_timescale
from tests.conftest import MOBILE
from tests.flows.walk import (
    CLOSED_AT,
    OPEN_AT,
    SHIPPED,
    expected_answers,
    load,
    representative_paths,
    take,
)

ROUTES = [
    pytest.param(name, path, id=f"{name}:{'/'.join(s.key or s.node for s in path.steps)}")
    for name in SHIPPED
    for path in representative_paths(load(name))
]


@pytest.mark.parametrize(("flow_name", "path"), ROUTES)
def test_each_route_of_a_shipped_flow_ends_where_the_flow_says_with_what_was_captured(
    dial, db, flow_name, path
):
    spec = load(flow_name)
    now = CLOSED_AT if path.office_open is False else OPEN_AT
    with freeze_time(now):
        end = take(dial(called=spec["numbers"][0]), spec, path)

    contact = db.scalar(select(Contact))
    assert contact.flow_name == flow_name
    for name, value in expected_answers(spec, path, MOBILE).items():
        if name == "level":
            continue  # an outcome node's own level wins; checked below
        assert contact.answers.get(name) == value, name
    node = spec["nodes"][path.end]
    if node["type"] == "transfer":
        assert end.dial["number"] == spec["teams"][node["team"]]["number"]
        assert contact.redirected_to == node["team"]
        assert contact.outcome is None  # redirected once the team answers
        return
    assert end.hung_up
    assert contact.outcome == node["outcome"]
    level = path_level(spec, path)
    assert contact.answers.get("level") == level
    rules = spec["levels"].get(level, {})
    tasks = db.scalars(select(Task).where(Task.contact_id == contact.id)).all()
    if node["outcome"] == "callback":
        [task] = tasks
        calendar = WorkingCalendar.from_dict(spec.get("calendar") or {})
        assert task.role == rules.get("role", "social_worker")
        assert task.due_at == parse_timescale(rules["timescale"]).due_at(now, calendar)
        assert task.callback_number == MOBILE
    else:
        assert tasks == []
    if node["outcome"] == "information_only":
        assert contact.routed_team == rules.get("team")
