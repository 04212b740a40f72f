"""Staff see each text to a caller and, when one did not go, why in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callrouter.db.models import Contact, Message
from callrouter.services.messages import texts_for_contact

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NUMBER = "+447400123456"
BODY = "Ref TESTRF: https://example.org/eform"


def _contact_with_texts(db) -> int:
    contact = Contact(
        reference="TESTRF",
        flow_name="default",
        channel="phone",
        answers={},
        created_at=NOW,
        updated_at=NOW,
    )

    def text(purpose, status, **fields):
        return Message(
            contact=contact,
            purpose=purpose,
            to_number=NUMBER,
            body=BODY,
            status=status,
            created_at=NOW,
            **fields,
        )

    db.add_all(
        [
            text("eform", "failed", error="Twilio 21614: refused", error_code=21614, tries=1),
            text("signpost", "sent", sent_at=NOW + timedelta(seconds=3), tries=2),
            text(
                "missed_callback",
                "pending",
                error="Twilio 20503: busy",
                error_code=20503,
                tries=1,
                next_try_at=NOW + timedelta(minutes=1),
            ),
            text(
                "missed_callback", "failed", error="No answer from Twilio: ConnectionError", tries=5
            ),
            text("eform", "unconfirmed"),
            text("eform", "unconfirmed", next_try_at=NOW + timedelta(minutes=5)),
        ]
    )
    db.commit()
    return contact.id


def test_a_contacts_texts_say_what_they_were_and_why_one_was_not_sent(runtime, db):
    texts = texts_for_contact(db, _contact_with_texts(db))

    assert [(t.kind, t.status_words, t.tag_class) for t in texts] == [
        ("Request-for-support form link", "Not sent", "govuk-tag--red"),
        ("Local resources link", "Sent", "govuk-tag--green"),
        ("Missed call-back", "Waiting to send", "govuk-tag--grey"),
        ("Missed call-back", "Not sent", "govuk-tag--red"),
        ("Request-for-support form link", "Not confirmed", "govuk-tag--yellow"),
        ("Request-for-support form link", "Not confirmed", "govuk-tag--yellow"),
    ]
    assert [t.problem for t in texts[:4]] == [
        "Not sent: this number cannot receive texts (Twilio 21614)",
        None,
        "Waiting to send: the last try failed because Twilio was not available (Twilio 20503).",
        "Not sent after 5 tries: Twilio did not answer",
    ]
    assert texts[4].problem.startswith("Not confirmed: sending stopped part way")
    assert texts[5].problem.startswith("Not confirmed yet: sending stopped part way")
    assert [t.not_sent for t in texts] == [True, False, False, True, True, True]


def test_the_texts_partial_shows_status_tags_and_never_the_number_or_body(app, runtime, db):
    texts = texts_for_contact(db, _contact_with_texts(db))

    with app.test_request_context():
        html = app.jinja_env.get_template("_texts.html").render(texts=texts)

    assert '<strong class="govuk-tag govuk-tag--red">Not sent</strong>' in html
    assert "Not sent: this number cannot receive texts (Twilio 21614)" in html
    assert '<strong class="govuk-tag govuk-tag--green">Sent</strong>' in html
    # Sent: when it went, when its next try or check of Twilio's records is, or not known.
    assert [
        row.split('<td class="govuk-table__cell">')[4].split("</td>")[0]
        for row in html.split('<tr class="govuk-table__row" id="text-')[1:]
    ] == [
        "No",
        "10:00am, 23 November 2026",
        "Next try 10:01am, 23 November 2026",
        "No",
        "Not known",
        "Being checked",
    ]
    assert 'id="texts-warning"' in html
    assert "govuk-table__row" in html
    assert NUMBER not in html and "7400" not in html
    assert "example.org" not in html and "TESTRF" not in html


def test_a_contact_with_no_texts_says_so(app, runtime, db):
    with app.test_request_context():
        html = app.jinja_env.get_template("_texts.html").render(texts=[])

    assert "No texts to the caller." in html
    assert "texts-warning" not in html
