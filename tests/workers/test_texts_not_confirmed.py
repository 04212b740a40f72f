"""A text Twilio may have taken is never simply sent again: Twilio's records decide.

Twilio may take a text and answer after our client has stopped waiting, or the connection may
drop while we wait for its answer. A second try could then text the caller twice from
children's services, on a phone others may read; the text is marked unconfirmed, and a few
minutes later Twilio's records are read: found there, it was sent; no text at all there, it
never went and is tried again. (Reading the records: test_unconfirmed_texts_checked.py.)
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import select
from urllib3.exceptions import (
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from callrouter.db.models import Contact, Message, Task
from callrouter.services import messages
from callrouter.services.unit_of_work import NoDispatcher
from tests.support.fake_twilio import twilio_text
from workers.sms import TwilioSmsGateway, no_answer

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NUMBER = "+447400123456"
BODY = "Ref TESTRF: https://example.org/eform"
CLIENT_TIMEOUT = 0.3  # seconds; Twilio's late answer below comes after it


def _message(runtime) -> int:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        contact = Contact(
            reference="TESTRF",
            flow_name="default",
            channel="phone",
            answers={},
            created_at=NOW,
            updated_at=NOW,
        )
        message = Message(
            contact=contact,
            purpose="eform",
            to_number=NUMBER,
            from_number="+443069990000",
            body=BODY,
            status="pending",
            created_at=NOW,
        )
        uow.session.add(message)
        uow.commit()
        return message.id


def _gateway(settings, api_url: str) -> TwilioSmsGateway:
    gateway = TwilioSmsGateway(replace(settings, twilio_api_url=api_url))
    gateway.client.http_client.timeout = CLIENT_TIMEOUT
    return gateway


def _send(runtime, message_id: int, gateway, at: datetime) -> str:
    with runtime.unit_of_work(NoDispatcher()) as uow:
        return messages.send_message(
            uow, message_id, gateway, clock=lambda: at, flows=runtime.flows
        )


@contextmanager
def _twilio_that(
    answer: Callable[[BaseHTTPRequestHandler], None],
    takes_texts: bool = True,
) -> Iterator[tuple[str, list]]:
    """A local Twilio that takes each text it is sent (or, if not `takes_texts`, drops it),
    then answers with `answer`; its records list what it took."""
    taken: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            if takes_texts:
                taken.append(twilio_text(form["To"][0], form["From"][0], form["Body"][0]))
            answer(self)

        def do_GET(self):
            data = json.dumps({"messages": taken[::-1], "next_page_uri": None}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", taken
    finally:
        server.shutdown()
        server.server_close()


def _answer_late(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(CLIENT_TIMEOUT * 3)
    data = json.dumps({"sid": "SM" + "0" * 32, "status": "queued"}).encode()
    try:
        handler.send_response(201)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:
        pass  # the client stopped waiting


def _hang_up(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True  # no answer at all: the connection just closes


@pytest.mark.parametrize(
    "answer, error",
    [
        (_answer_late, "No answer from Twilio: ReadTimeout"),
        (_hang_up, "No answer from Twilio: ConnectionError"),
    ],
)
def test_a_text_twilio_took_without_saying_so_is_found_in_its_records_not_sent_again(
    answer, error, runtime, settings, db
):
    message_id = _message(runtime)
    with _twilio_that(answer) as (api_url, taken):
        gateway = _gateway(settings, api_url)

        assert _send(runtime, message_id, gateway, NOW) == "unconfirmed"
        db.expire_all()
        assert db.get(Message, message_id).error == error
        # Where a retry would come: nothing is sent before Twilio's records are read.
        assert _send(runtime, message_id, gateway, NOW + timedelta(minutes=2)) == "unconfirmed"
        assert _send(runtime, message_id, gateway, NOW + messages.CHECK_AFTER) == "sent"
        assert _send(runtime, message_id, gateway, NOW + timedelta(hours=1)) == "sent"

    assert len(taken) == 1
    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.status, message.tries, message.next_try_at) == ("sent", 1, None)
    assert (message.provider_sid, message.error) == (taken[0]["sid"], None)
    assert messages.due_for_sending(db, NOW + timedelta(days=1)) == []
    assert db.scalars(select(Task).where(Task.kind == "review")).all() == []


def test_a_text_twilio_dropped_without_answering_is_sent_again_once_its_records_show_it(
    runtime, settings, db
):
    message_id = _message(runtime)
    with _twilio_that(_hang_up, takes_texts=False) as (api_url, _):
        assert _send(runtime, message_id, _gateway(settings, api_url), NOW) == "unconfirmed"
        assert (
            _send(runtime, message_id, _gateway(settings, api_url), NOW + messages.CHECK_AFTER)
            == "pending"
        )
    with _twilio_that(_answer_at_once) as (api_url, taken):
        assert (
            _send(runtime, message_id, _gateway(settings, api_url), NOW + messages.CHECK_AFTER)
            == "sent"
        )

    assert len(taken) == 1
    db.expire_all()
    assert db.get(Message, message_id).tries == 2


def _answer_at_once(handler: BaseHTTPRequestHandler) -> None:
    data = json.dumps({"sid": "SM" + "1" * 32, "status": "queued"}).encode()
    handler.send_response(201)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def test_an_unconfirmed_text_is_logged_by_id_never_number_or_body(runtime, settings, caplog):
    message_id = _message(runtime)
    with caplog.at_level("DEBUG"), _twilio_that(_answer_late) as (api_url, _):
        _send(runtime, message_id, _gateway(settings, api_url), NOW)

    assert f"message {message_id} not confirmed on try 1" in caplog.text
    assert NUMBER not in caplog.text and "7400" not in caplog.text
    assert BODY not in caplog.text and "example.org" not in caplog.text


def test_twilio_not_connected_to_in_time_is_tried_again(runtime, settings, db):
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    waiting = [socket.socket() for _ in range(3)]  # fill its queue: later connections wait
    for client in waiting:
        client.setblocking(False)
        client.connect_ex(full.getsockname())
    host, port = full.getsockname()
    message_id = _message(runtime)

    try:
        assert (
            _send(runtime, message_id, _gateway(settings, f"http://{host}:{port}"), NOW)
            == "pending"
        )
    finally:
        for client in [*waiting, full]:
            client.close()

    db.expire_all()
    message = db.get(Message, message_id)
    assert (message.error, message.next_try_at) == (
        "No answer from Twilio: ConnectTimeout",
        NOW + messages.RETRY_WAITS[0],
    )


def test_a_gateway_fault_no_one_foresaw_is_not_tried_again(runtime, db):
    class Broken:
        def send_sms(self, to, from_, body, message_id):
            raise KeyError(to)  # after Twilio took the text, perhaps: nothing says it did not

    message_id = _message(runtime)

    assert _send(runtime, message_id, Broken(), NOW) == "unconfirmed"

    db.expire_all()
    assert db.get(Message, message_id).error == "Unexpected KeyError"


def _as_requests_raises(error_class, cause):
    return error_class(cause, request=None)


def _pool_gave_up(reason):
    return MaxRetryError(None, "/2010-04-01/Accounts/AC/Messages.json", reason)


@pytest.mark.parametrize(
    "error, passing",
    [
        # Never connected: the request cannot have reached Twilio, so a later try may send it.
        (_as_requests_raises(requests.ConnectTimeout, _pool_gave_up(None)), True),
        (
            _as_requests_raises(
                requests.ConnectionError,
                _pool_gave_up(NewConnectionError(None, "Connection refused")),
            ),
            True,
        ),
        (
            _as_requests_raises(
                requests.ConnectionError,
                _pool_gave_up(
                    NameResolutionError("api.twilio.com", None, socket.gaierror("no name"))
                ),
            ),
            True,
        ),
        (requests.exceptions.InvalidSchema("No connection adapters"), True),
        # Sent, or perhaps sent: Twilio may have taken it.
        (
            _as_requests_raises(
                requests.ReadTimeout, ReadTimeoutError(None, "/", "read timed out")
            ),
            False,
        ),
        (
            _as_requests_raises(
                requests.ConnectionError,
                ProtocolError("Connection aborted.", ConnectionResetError()),
            ),
            False,
        ),
        (_as_requests_raises(requests.exceptions.SSLError, _pool_gave_up(None)), False),
        (requests.exceptions.ChunkedEncodingError("answer cut short"), False),
    ],
)
def test_only_a_request_that_never_left_us_may_be_tried_again(error, passing):
    sorted_error = no_answer(error)

    assert isinstance(sorted_error, messages.PassingSendError) is passing
    assert isinstance(sorted_error, messages.UnconfirmedSendError) is not passing
    assert sorted_error.detail == f"No answer from Twilio: {type(error).__name__}"
