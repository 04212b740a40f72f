"""One database transaction, and the jobs to enqueue once it has committed."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol, Self

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class JobDispatcher(Protocol):
    """Something that can put a job on a queue: RQ in production, a list in some tests."""

    def enqueue(self, job: str, *args: int, at: datetime | None = None) -> None: ...


class NoDispatcher:
    """Enqueue nothing: the periodic sweep finds every row still waiting for its job."""

    def enqueue(self, job: str, *args: int, at: datetime | None = None) -> None:
        log.info("no queue configured; %s%s left for the sweep", job, args)


class UnitOfWork:
    """Commit once; only then enqueue, so no job can run before the row it needs exists."""

    def __init__(self, session_factory: sessionmaker[Session], dispatcher: JobDispatcher):
        self._session_factory = session_factory
        self._dispatcher = dispatcher
        self._jobs: list[tuple[str, tuple[int, ...], datetime | None]] = []
        self.session: Session

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._jobs = []
        return self

    def __exit__(self, *exc_info) -> None:
        self.session.rollback()
        self.session.close()

    def enqueue_after_commit(self, job: str, *args: int, at: datetime | None = None) -> None:
        """Ask for a job to be queued once this transaction has committed, now or at a time."""
        self._jobs.append((job, args, at))

    def commit(self) -> None:
        """Commit, then hand the waiting jobs to the queue."""
        self.session.commit()
        jobs, self._jobs = self._jobs, []
        for job, args, at in jobs:
            try:
                self._dispatcher.enqueue(job, *args, at=at)
            except Exception:
                # The row is committed and the sweep re-enqueues it; the caller must not suffer.
                log.exception("could not enqueue %s%s; the sweep will retry it", job, args)
