"""Words for the caller: times and references as a speech engine should say them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def repeated_hour_zone(local: datetime) -> str:
    """Return " BST" or " GMT" for a UK wall time the autumn clock change repeats, else "".

    On the last Sunday of October 01:00 to 02:00 happens twice; without the zone a call at
    01:40 BST and its deadline at 01:40 GMT read the same.
    """
    other = local.replace(fold=1 - local.fold)
    return f" {local.tzname()}" if other.utcoffset() != local.utcoffset() else ""


def spoken_due_time(due_at: datetime, now: datetime) -> str:
    """Say a deadline in UK time, relative to today where that is clearer."""
    due_local = due_at.astimezone(UK)
    today = now.astimezone(UK).date()
    clock = due_local.strftime("%H:%M") + repeated_hour_zone(due_local)
    days = (due_local.date() - today).days
    if days == 0:
        return f"{clock} today"
    if days == 1:
        return f"{clock} tomorrow"
    return f"{clock} on {due_local.strftime('%A')} {due_local.day} {due_local.strftime('%B')}"


def spoken_reference(reference: str) -> str:
    """Spell a reference out letter by letter."""
    return " ".join(reference.replace("-", ""))


def fill(template: str, facts: dict[str, str]) -> str:
    """Fill a flow's prompt template, leaving unknown placeholders out rather than failing."""

    class _Blank(dict):
        def __missing__(self, key: str) -> str:
            return ""

    return " ".join(template.format_map(_Blank(facts)).split())
