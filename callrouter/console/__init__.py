"""The call console: advisors take calls live, duty staff work call-backs, managers watch the queue.

Blueprints: `console` (every screen; sign-in required, attached in web.register_blueprints),
`console_auth` (sign in and out) and `govuk_assets` (the GOV.UK Frontend fonts and images at
/assets, where its stylesheet expects them).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from callrouter.console import security
from callrouter.domain.console_access import CONSOLE_ROLE_NAMES

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
GOVUK_DIR = STATIC / "govuk"

console = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
console_auth = Blueprint(
    "console_auth", __name__, url_prefix="/console", template_folder="templates"
)
govuk_assets = Blueprint(
    "govuk_assets", __name__, static_folder=str(GOVUK_DIR / "assets"), static_url_path="/assets"
)


def init_console(app: Flask) -> None:
    """Teach Jinja the GOV.UK Frontend macros, and give templates what they need."""
    loaders = [app.jinja_loader] if app.jinja_loader else []
    app.jinja_loader = ChoiceLoader(
        [*loaders, PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.teardown_request(security.close_uow)

    @app.context_processor
    def console_globals():
        from flask import request

        if not (request.blueprint or "").startswith("console"):
            return {}
        return {
            "current_user": security.current_user(),
            "csrf_token": security.csrf_token,
            "can": security.can,
            "role_names": CONSOLE_ROLE_NAMES,
            "govuk_styles": (GOVUK_DIR / "govuk-frontend.min.css").exists(),
        }

    from callrouter.console import filters

    filters.register(app)


# The view modules attach their routes to the blueprints above.
from callrouter.console import (  # noqa: F401
    admin,
    auth,
    callbacks,
    calls,
    queue,
)
