"""Phone calls through the IVR: each webhook turn moves a contact on, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from callrouter.db.models import CallTurn, Contact
from callrouter.domain.flows import Flow, FlowRegistry
from callrouter.domain.ivr import Ask, CallView, Engine, Reply, Transfer, Turn
from callrouter.domain.phone import is_withheld, usable_caller_id
from callrouter.domain.speech import spoken_due_time, spoken_reference
from callrouter.services import outcomes
from callrouter.services.unit_of_work import JobDispatcher, UnitOfWork

log = logging.getLogger(__name__)

TERMINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
ANSWERED_DIAL_STATUSES = frozenset({"completed", "answered"})


@dataclass(frozen=True)
class Spoken:
    """What to play to the caller now; the webhook turns it into TwiML."""

    turn: int  # the number the caller's next request must carry
    speech: list[str]
    voice: str | None = None
    ask: Ask | None = None
    transfer: Transfer | None = None
    hangup: bool = False


Render = Callable[[Spoken], str]


class CallService:
    """Start, continue and end phone contacts."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        dispatcher: JobDispatcher,
        flows: FlowRegistry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._session_factory = session_factory
        self._dispatcher = dispatcher
        self.flows = flows
        self._clock = clock

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._session_factory, self._dispatcher)

    # -- turns -------------------------------------------------------------------------------

    def start(self, call_sid: str, caller: str | None, called: str | None, render: Render) -> str:
        """Answer a new call with its flow's first words and question."""

        def act(uow: UnitOfWork) -> Spoken:
            contact = self._contact(uow, call_sid)
            if contact is None:
                contact = self._new_contact(uow, call_sid, caller, called)
            flow = self._flow_of(contact)
            return self._apply(uow, contact, flow, Engine(flow).begin(self._view(contact)))

        return self._once(call_sid, 0, act, render)

    def reply(self, call_sid: str, turn: int, node: str, reply: Reply, render: Render) -> str:
        """Take the caller's reply to a question and move the call on."""

        def act(uow: UnitOfWork) -> Spoken:
            contact = self._contact(uow, call_sid)
            if contact is None:
                raise LookupError("unknown call")
            flow = self._flow_of(contact)
            engine = Engine(flow)
            view = self._view(contact)
            if contact.outcome is not None or contact.status == "closed":
                return Spoken(contact.turn, [], flow.voice, hangup=True)
            return self._apply(uow, contact, flow, engine.reply(view, node, reply))

        return self._once(call_sid, turn, act, render)

    def dial_ended(self, call_sid: str, turn: int, dial_status: str, render: Render) -> str:
        """Record how a transfer went; if nobody answered, keep the caller's details safe."""

        def act(uow: UnitOfWork) -> Spoken:
            contact = self._contact(uow, call_sid)
            if contact is None:
                raise LookupError("unknown call")
            flow = self._flow_of(contact)
            contact.turn += 1
            if dial_status in ANSWERED_DIAL_STATUSES:
                if contact.outcome is None:
                    contact.outcome = "redirected"
                return Spoken(contact.turn, [], flow.voice, hangup=True)
            contact.redirected_to = None
            now = self._clock()
            task = outcomes.close_unfinished(
                uow, contact, flow, usable_caller_id(contact.from_number), now
            )
            speech = ["Sorry, nobody was free to take your call."]
            if task is not None and task.kind == "callback":
                speech.append(
                    f"We have your details, and someone will call you back by "
                    f"{spoken_due_time(task.due_at, now)}. "
                    f"Your reference is {spoken_reference(contact.reference)}."
                )
            else:
                speech.append(
                    "Please call again, or if a child is in immediate danger, hang up and dial 999."
                )
            return Spoken(contact.turn, speech, flow.voice, hangup=True)

        return self._once(call_sid, turn, act, render)

    def apologise(self, call_sid: str | None, called: str | None) -> Spoken:
        """Return what to play when something inside failed: sorry, then a person."""
        flow = self.flows.for_number(called)
        team = flow.operator_team
        return Spoken(
            turn=0,
            speech=[flow.text("apology"), flow.text("transfer_to_person")],
            voice=flow.voice,
            transfer=Transfer(team, flow.team_number(team), "failures"),
        )

    # -- call status -------------------------------------------------------------------------

    def status_changed(self, call_sid: str, status: str, sequence: int | None) -> None:
        """Follow a call's status; when it ends, close the contact, keeping what was captured."""
        with self.unit_of_work() as uow:
            contact = self._contact(uow, call_sid)
            if contact is None:
                return
            if sequence is not None:
                if sequence <= contact.last_status_sequence:
                    return  # a late or repeated callback must not undo a later state
                contact.last_status_sequence = sequence
            if contact.status == "closed":
                uow.commit()
                return
            contact.call_status = status
            if status in TERMINAL_CALL_STATUSES:
                self._close(uow, contact)
            uow.commit()

    def close_stale(self, older_than: datetime) -> list[int]:
        """Close calls whose end Twilio never told us about, so none stays open for ever."""
        stale = (
            Contact.status == "in_progress",
            Contact.channel == "phone",
            Contact.updated_at < older_than,
        )

        def close(uow: UnitOfWork, contact: Contact) -> None:
            contact.call_status = contact.call_status or "lost"
            self._close(uow, contact)

        return self._each_contact(stale, close, "close a call never reported ended")

    def settle_transfers(self, older_than: datetime) -> list[int]:
        """Treat a transfer whose Dial report never came as unanswered, so nothing is lost."""
        unreported = (
            Contact.status == "closed",
            Contact.outcome.is_(None),
            Contact.redirected_to.is_not(None),
            Contact.closed_at < older_than,
        )

        def settle(uow: UnitOfWork, contact: Contact) -> None:
            outcomes.close_unfinished(
                uow,
                contact,
                self._flow_of(contact),
                usable_caller_id(contact.from_number),
                self._clock(),
            )

        return self._each_contact(unreported, settle, "settle an unreported transfer")

    def _each_contact(
        self, conditions: tuple, work: Callable[[UnitOfWork, Contact], None], doing: str
    ) -> list[int]:
        # One transaction per contact: a contact that cannot be handled is logged and left for
        # the next sweep, and never holds up the others. Each is first claimed by an update
        # that repeats the conditions, so two sweeps at once (or a late webhook) handle it once.
        with self.unit_of_work() as uow:
            contact_ids = list(uow.session.scalars(select(Contact.id).where(*conditions)))
        done = []
        for contact_id in contact_ids:
            try:
                with self.unit_of_work() as uow:
                    claim = (
                        update(Contact)
                        .where(Contact.id == contact_id, *conditions)
                        .values(updated_at=Contact.updated_at)
                        .execution_options(synchronize_session=False)
                    )
                    if uow.session.execute(claim).rowcount != 1:
                        continue  # handled meanwhile
                    work(uow, uow.session.get(Contact, contact_id))
                    uow.commit()
                done.append(contact_id)
            except Exception:
                log.exception("could not %s: contact %s", doing, contact_id)
        return done

    def _close(self, uow: UnitOfWork, contact: Contact) -> None:
        now = self._clock()
        # Put through to a team, the Dial's own report says whether anyone answered, and Twilio
        # may tell us the call ended before it: leave it to that report (or, if it never comes,
        # to settle_transfers), so a caller the team spoke to is not owed a call-back too.
        if contact.redirected_to is None or contact.outcome is not None:
            flow = self._flow_of(contact)
            outcomes.close_unfinished(
                uow, contact, flow, usable_caller_id(contact.from_number), now
            )
        contact.status = "closed"
        contact.closed_at = now
        contact.updated_at = now

    # -- helpers -----------------------------------------------------------------------------

    def _flow_of(self, contact: Contact) -> Flow:
        if contact.flow_name not in self.flows.flows:
            log.warning("contact %s: its flow has gone; going on with the default flow", contact.id)
        return self.flows.get_or_default(contact.flow_name)

    def _once(
        self, call_sid: str, turn: int, act: Callable[[UnitOfWork], Spoken], render: Render
    ) -> str:
        """Run a turn at most once: a retried webhook gets the answer already given."""
        with self.unit_of_work() as uow:
            answered = self._answered(uow.session, call_sid, turn)
            if answered is not None:
                return answered
            response = render(act(uow))
            uow.session.add(
                CallTurn(call_sid=call_sid, turn=turn, response=response, created_at=self._clock())
            )
            try:
                uow.commit()
            except IntegrityError:
                uow.session.rollback()
                log.info("turn %s of a call was answered concurrently; replaying", turn)
                answered = self._answered(uow.session, call_sid, turn)
                if answered is None:
                    raise
                return answered
            return response

    @staticmethod
    def _answered(session: Session, call_sid: str, turn: int) -> str | None:
        return session.scalar(
            select(CallTurn.response).where(CallTurn.call_sid == call_sid, CallTurn.turn == turn)
        )

    @staticmethod
    def _contact(uow: UnitOfWork, call_sid: str) -> Contact | None:
        return uow.session.scalar(select(Contact).where(Contact.call_sid == call_sid))

    def _new_contact(
        self, uow: UnitOfWork, call_sid: str, caller: str | None, called: str | None
    ) -> Contact:
        now = self._clock()
        flow = self.flows.for_number(called)
        contact = outcomes.open_contact(
            uow,
            flow,
            "phone",
            now,
            call_sid=call_sid,
            from_number=None if is_withheld(caller) else caller,
            to_number=called,
            caller_id_withheld=is_withheld(caller),
        )
        log.info("contact %s started for call in flow %s", contact.id, flow.name)
        return contact

    def _view(self, contact: Contact) -> CallView:
        return CallView(
            node=contact.current_node,
            phase=contact.node_phase,
            failures=contact.failures,
            answers=dict(contact.answers or {}),
            caller_id=usable_caller_id(contact.from_number),
            now=self._clock(),  # hours nodes and "0" out of hours need the call's time
        )

    def _apply(self, uow: UnitOfWork, contact: Contact, flow: Flow, turn: Turn) -> Spoken:
        now = self._clock()
        contact.current_node = turn.node
        contact.node_phase = turn.phase
        contact.failures = turn.failures
        contact.answers = dict(turn.answers)
        contact.updated_at = now
        contact.turn += 1
        speech = list(turn.speech)
        if turn.outcome_node is not None:
            speech.append(outcomes.conclude(uow, contact, flow, turn.outcome_node, now))
            log.info("contact %s reached outcome %s", contact.id, contact.outcome)
            return Spoken(contact.turn, speech, flow.voice, hangup=True)
        if turn.transfer is not None:
            contact.redirected_to = turn.transfer.team
            log.info("contact %s put through to team %s", contact.id, turn.transfer.team)
            return Spoken(contact.turn, speech, flow.voice, transfer=turn.transfer)
        return Spoken(contact.turn, speech, flow.voice, ask=turn.ask)
