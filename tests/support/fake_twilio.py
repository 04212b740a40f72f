"""A local stand-in for Twilio's REST API that records what the real twilio library sent."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class ReceivedRequest:
    method: str
    path: str
    form: dict[str, str]
    authorization: str | None


@dataclass
class FakeTwilio:
    """A server on 127.0.0.1 answering the Messages API; set `fail_with` to make it refuse."""

    requests: list[ReceivedRequest] = field(default_factory=list)
    fail_with: tuple[int, int] | None = None  # (HTTP status, Twilio error code)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    @property
    def messages(self) -> list[dict[str, str]]:
        return [r.form for r in self.requests if r.path.endswith("/Messages.json")]

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                fake.requests.append(
                    ReceivedRequest("POST", self.path, form, self.headers.get("Authorization"))
                )
                if fake.fail_with:
                    status, code = fake.fail_with
                    self._json(status, {"code": code, "message": "refused", "status": status})
                    return
                sid = "SM" + secrets.token_hex(16)
                self._json(201, {"sid": sid, "status": "queued", "to": form.get("To"),
                                 "from": form.get("From"), "body": form.get("Body")})

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
