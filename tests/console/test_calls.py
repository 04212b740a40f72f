"""Advisors: calls now, taking a call through the flow's rules to the same outcomes, history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from callrouter.db.console_models import AuditEvent
from callrouter.db.models import Contact, Message, Task
from tests.console.conftest import create_task, csrf_of, get_page, sign_in

MOBILE = "07400 123456"
S47_CALL = {
    "caller_type": "professional",
    "service": "checs",
    "open_case": "none",
    "level": "s47",
    "callback_number": MOBILE,
    "caller_name": "Ann Teacher",
    "caller_agency": "Teacher, Oak Primary",
    "child_name": "Sam Smith",
    "child_age": "7",
    "consent": "not_sought",
    "consent_reason": "The father is the person causing harm",
    "summary": "Bruises on Sam's arms, seen this morning.",
}


def take(client, data, status=302):
    soup = get_page(client, "/console/calls/new")
    response = client.post("/console/calls/new", data={**data, "csrf_token": csrf_of(soup)})
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def test_calls_now_shows_what_the_ivr_has_captured(client, db, advisor):
    now = datetime.now(UTC)
    db.add(
        Contact(
            reference="KMN777",
            call_sid="CA1",
            flow_name="default",
            channel="phone",
            from_number="+447400123456",
            status="in_progress",
            current_node="consent",
            answers={"caller_type": "professional", "level": "s47"},
            created_at=now,
            updated_at=now,
        )
    )
    db.commit()
    sign_in(client, advisor)
    soup = get_page(client, "/console/calls")
    row = soup.find("td", string="KMN777").find_parent("tr")
    text = row.get_text(" ", strip=True)
    assert "07400 123456" in text
    assert "significant harm (section 47)" in text
    assert "consent" in text


def test_the_form_offers_levels_with_their_plain_meaning(client, advisor):
    sign_in(client, advisor)
    soup = get_page(client, "/console/calls/new")
    s47 = soup.find("input", attrs={"name": "level", "value": "s47"})
    hint = soup.find(id=s47["aria-describedby"])
    assert "suffering, or likely to suffer, significant harm" in hint.get_text()
    assert soup.find("input", attrs={"name": "callback_number", "type": "tel"})


def test_a_section_47_call_becomes_a_call_back_through_the_same_services(
    client, db, advisor, dispatcher, jobs, social_worker
):
    sign_in(client, advisor)
    response = take(client, S47_CALL)
    soup = get_page(client, response.headers["Location"])
    assert soup.find(id="outcome").get_text() == "callback"
    assert "A social worker will call you back on 0 7 4 0 0" in soup.get_text()
    contact = db.scalar(select(Contact))
    assert (contact.channel, contact.call_sid, contact.outcome) == ("console", None, "callback")
    assert contact.answers["consent_reason"] == "The father is the person causing harm"
    assert contact.answers["callback_number"] == "+447400123456"
    task = db.scalar(select(Task))
    assert (task.role, task.level, task.status) == ("social_worker", "s47", "unallocated")
    jobs()
    db.expire_all()
    assert db.get(Task, task.id).status == "allocated"
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.contact_id == contact.id))
    assert "contact_created" in list(actions)


def test_a_section_17_call_is_information_only_and_texts_the_e_form(client, db, advisor):
    sign_in(client, advisor)
    take(client, {**S47_CALL, "level": "s17", "consent": "given", "consent_reason": ""})
    contact = db.scalar(select(Contact))
    assert contact.outcome == "information_only"
    assert db.scalar(select(Task)) is None
    message = db.scalar(select(Message))
    assert message.purpose == "eform"
    assert "request-for-support" in message.body


def test_a_level_2_caller_who_wants_only_the_link_is_signposted(client, db, advisor):
    sign_in(client, advisor)
    take(
        client,
        {
            "caller_type": "professional",
            "service": "family_help",
            "open_case": "none",
            "level": "level2",
            "wants_callback": "False",
            "callback_number": MOBILE,
        },
    )
    assert db.scalar(select(Contact)).outcome == "signposted"
    assert db.scalar(select(Message)).purpose == "signpost"


def test_an_open_social_care_case_is_put_through_to_the_team(client, db, advisor):
    sign_in(client, advisor)
    response = take(
        client, {"caller_type": "professional", "service": "checs", "open_case": "social_care"}
    )
    soup = get_page(client, response.headers["Location"])
    assert "0306 999 0002" in soup.get_text()
    contact = db.scalar(select(Contact))
    assert (contact.outcome, contact.redirected_to) == ("redirected", "social_care")


def test_a_professional_must_give_name_agency_and_a_callable_number(client, db, advisor):
    sign_in(client, advisor)
    response = take(
        client,
        {**S47_CALL, "caller_name": "", "caller_agency": "", "callback_number": "0909 879 0000"},
        status=400,
    )
    soup = BeautifulSoup_of(response)
    summary = soup.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "UK phone number we can call back" in summary
    assert "caller's full name" in summary
    assert "caller's role and organisation" in summary
    assert soup.title.get_text().startswith("Error:")
    assert db.scalar(select(Contact)) is None


def test_a_member_of_the_public_may_stay_anonymous(client, db, advisor):
    sign_in(client, advisor)
    take(
        client,
        {
            "caller_type": "public",
            "level": "public_concern",
            "callback_number": MOBILE,
            "summary": "Worried about the child next door",
        },
    )
    contact = db.scalar(select(Contact))
    assert contact.outcome == "callback"
    assert "caller_agency" not in contact.answers


def test_consent_not_sought_needs_a_reason(client, advisor):
    sign_in(client, advisor)
    response = take(client, {**S47_CALL, "consent_reason": ""}, status=400)
    assert "without consent" in response.get_data(as_text=True)


def test_a_level_that_does_not_fit_the_service_is_explained(client, advisor):
    sign_in(client, advisor)
    response = take(client, {**S47_CALL, "service": "family_help"}, status=400)
    assert "Level 3; Level 2" in response.get_data(as_text=True)


def test_earlier_contacts_are_shown_before_a_new_record_is_made(client, db, advisor):
    create_task(db, reference="EARLY1")
    sign_in(client, advisor)
    response = take(client, S47_CALL, status=200)
    soup = BeautifulSoup_of(response)
    history = soup.select_one(".console-history")
    assert "EARLY1" in history.get_text()
    assert db.scalar(select(Contact).where(Contact.channel == "console")) is None
    seen = soup.find("input", attrs={"name": "history_seen"})["value"]
    response = client.post(
        "/console/calls/new", data={**S47_CALL, "history_seen": seen, "csrf_token": csrf_of(soup)}
    )
    assert response.status_code == 302
    assert db.scalar(select(Contact).where(Contact.channel == "console")) is not None


def test_history_by_child_name_is_audited(client, db, advisor):
    task = create_task(db, reference="CHILD1")
    sign_in(client, advisor)
    soup = get_page(client, "/console/history?child_name=sam+SMITH")
    assert soup.find("a", string="CHILD1")
    viewed = db.scalars(select(AuditEvent).where(AuditEvent.action == "contact_viewed")).all()
    assert [(e.user_id, e.contact_id) for e in viewed] == [(advisor.id, task.contact_id)]


def test_the_directory_lists_the_flow_teams(client, advisor):
    sign_in(client, advisor)
    soup = get_page(client, "/console/directory")
    text = soup.get_text(" ", strip=True)
    assert "Early help service" in text
    assert "0306 999 0003" in text


def BeautifulSoup_of(response):
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.get_data(as_text=True), "html.parser")
