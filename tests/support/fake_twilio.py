"""A local stand-in for Twilio's REST API that records what the real twilio library sent."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class ReceivedRequest:
    method: str
    path: str
    form: dict[str, str]
    authorization: str | None


def twilio_text(
    to: str,
    from_: str | None,
    body: str | None,
    created_at: datetime | None = None,
    sid: str | None = None,
) -> dict:
    """A Message resource as Twilio's API shows it."""
    return {
        "sid": sid or "SM" + secrets.token_hex(16),
        "status": "queued",
        "to": to,
        "from": from_,
        "body": body,
        "direction": "outbound-api",
        "date_created": format_datetime(created_at or datetime.now(UTC), usegmt=True),
    }


@dataclass
class FakeTwilio:
    """A server on 127.0.0.1 answering the Messages API (create, and list with To and From);
    set `fail_with` to make it refuse. `texts` is what it holds, newest last; a test may add
    to it (a text taken before a worker died)."""

    requests: list[ReceivedRequest] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)
    fail_with: tuple[int, int] | None = None  # (HTTP status, Twilio error code)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    @property
    def messages(self) -> list[dict[str, str]]:
        """The texts it was asked to send (the POSTs), refused or not."""
        return [
            r.form
            for r in self.requests
            if r.method == "POST" and r.path.endswith("/Messages.json")
        ]

    @property
    def record_reads(self) -> list[dict[str, str]]:
        """The queries of its records (the GETs of the Messages list)."""
        return [
            r.form
            for r in self.requests
            if r.method == "GET" and urlsplit(r.path).path.endswith("/Messages.json")
        ]

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                if self._refused("POST", form):
                    return
                text = twilio_text(form.get("To"), form.get("From"), form.get("Body"))
                fake.texts.append(text)
                self._json(201, text)

            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                if self._refused("GET", query):
                    return
                size = int(query.get("PageSize", 50))
                matching = [
                    t
                    for t in reversed(fake.texts)
                    if t["to"] == query.get("To", t["to"])
                    and t["from"] == query.get("From", t["from"])
                ]
                more = len(matching) > size
                self._json(
                    200,
                    {
                        "messages": matching[:size],
                        "page": 0,
                        "page_size": size,
                        "next_page_uri": "/2010-04-01/next" if more else None,
                        "uri": urlsplit(self.path).path,
                    },
                )

            def _refused(self, method, form) -> bool:
                """Record the request; answer with `fail_with` and say so, if it is set."""
                fake.requests.append(
                    ReceivedRequest(method, self.path, form, self.headers.get("Authorization"))
                )
                if not fake.fail_with:
                    return False
                status, code = fake.fail_with
                self._json(status, {"code": code, "message": "refused", "status": status})
                return True

            def _json(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
