"""The Flask app factory: webhooks (and, later, the console) over the same services."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, redirect

from callrouter.config import Settings
from callrouter.runtime import Runtime, build_runtime
from callrouter.services.unit_of_work import JobDispatcher


def create_app(
    settings: Settings | None = None,
    dispatcher: JobDispatcher | None = None,
    runtime: Runtime | None = None,
) -> Flask:
    """Create the web app; with no arguments, configure it from the environment."""
    settings = settings or Settings.from_env()
    runtime = runtime or build_runtime(settings)
    if dispatcher is None:
        from workers.connection import redis_connection
        from workers.dispatch import RQDispatcher

        dispatcher = RQDispatcher(redis_connection(settings))

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        PUBLIC_BASE_URL=settings.public_base_url,
        TWILIO_AUTH_TOKEN=settings.twilio_auth_token,
        # The console's sessions: signed cookies, ended after an hour idle or a 12-hour shift.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        CONSOLE_IDLE_TIMEOUT=timedelta(hours=1),
        CONSOLE_SESSION_LIFETIME=timedelta(hours=12),
        # Only a changed session is written back: a page's background poll, answered with the
        # cookie it was sent, must not overwrite the message an action it raced just flashed.
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
    )
    app.extensions["callrouter.runtime"] = runtime
    app.extensions["callrouter.calls"] = runtime.calls(dispatcher)
    app.extensions["callrouter.dispatcher"] = dispatcher
    register_blueprints(app)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

    @app.get("/")
    def front_page():
        return redirect("/console/")

    @app.get("/healthz")
    def health():
        return {"status": "ok"}

    return app


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint with its authentication, so one screen shows who may call what."""
    from callrouter.console import console, console_auth, govuk_assets, init_console
    from callrouter.console.security import require_csrf, require_sign_in
    from webhooks.security import require_twilio_signature
    from webhooks.sms import sms
    from webhooks.voice import voice

    app.register_blueprint(voice)
    require_twilio_signature(app, voice.name)
    app.register_blueprint(sms)
    require_twilio_signature(app, sms.name)

    # The call console: every screen needs a signed-in user, every form a CSRF token;
    # each view then checks its own permission (callrouter.domain.console_access).
    init_console(app)
    app.register_blueprint(govuk_assets)
    app.register_blueprint(console_auth)
    require_csrf(app, console_auth.name)
    app.register_blueprint(console)
    require_sign_in(app, console.name)
    require_csrf(app, console.name)
