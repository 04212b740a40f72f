"""Walks through the default flow, shared by the advice-line tests."""

from __future__ import annotations

from sqlalchemy import func, select

from callrouter.db.models import CallTurn, Contact, Message, Task

PROFESSIONAL, PUBLIC = "1", "2"
FAMILY_HELP, CHECS = "1", "2"
OPEN_TO_SOCIAL_CARE, OPEN_TO_EARLY_HELP, NOT_OPEN = "1", "2", "3"
S47, S17 = "1", "2"
LEVEL3, LEVEL2 = "1", "2"


def professional_to_level(phone, service: str, open_case: str, level: str):
    phone.ring()
    phone.press(PROFESSIONAL)
    phone.press(service)
    phone.press(open_case)
    return phone.press(level)


def give_details(phone, consent: str = "1", use_caller_id: bool = True):
    if use_caller_id:
        phone.press("1")
    phone.say("Jo Bloggs")
    phone.say("Teacher at Brook Primary School")
    phone.say("Sam Smith")
    phone.press("7#")
    phone.press(consent)
    return phone.leave_recording(45)


def only_contact(db) -> Contact:
    db.expire_all()
    contacts = db.scalars(select(Contact)).all()
    assert len(contacts) == 1
    return contacts[0]


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def row_counts(db) -> dict[str, int]:
    return {model.__tablename__: count(db, model) for model in (Contact, Task, Message, CallTurn)}
