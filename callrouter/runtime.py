"""Wire settings to a database, flows and services; shared by web, workers and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from callrouter.config import Settings
from callrouter.db.session import make_engine, make_session_factory
from callrouter.domain.flows import FlowRegistry
from callrouter.services.calls import CallService
from callrouter.services.unit_of_work import JobDispatcher, UnitOfWork


@dataclass
class Runtime:
    """The long-lived objects of one process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    flows: FlowRegistry

    def unit_of_work(self, dispatcher: JobDispatcher) -> UnitOfWork:
        return UnitOfWork(self.session_factory, dispatcher)

    def calls(self, dispatcher: JobDispatcher) -> CallService:
        return CallService(self.session_factory, dispatcher, self.flows)


def build_runtime(settings: Settings) -> Runtime:
    """Connect to the database and load every flow, refusing to start on a bad flow file."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        flows=FlowRegistry.from_directory(settings.flows_dir),
    )
