"""When a call-back is at risk, and when to try a caller again after no answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from callrouter.domain.calendar import WorkingCalendar
from callrouter.domain.vocabulary import Level

UK = ZoneInfo("Europe/London")

# A section 47 call-back warns the manager half-way through its hour; others at three quarters.
WARNING_SHARE = {Level.S47: 0.5}
DEFAULT_WARNING_SHARE = 0.75
MIN_WARNING_LEAD = timedelta(minutes=10)
# A dial lock not kept alive for this long was left by a page shut mid-call: others may take
# it over.
DIAL_LOCK_STALE_AFTER = timedelta(minutes=15)
# And however long a page keeps it alive, a call that has lasted this long is over (the
# simulation's longest call): a tab left open must not hold a caller's number all evening.
DIAL_LOCK_LONGEST_CALL = timedelta(hours=1)


def warning_time(
    created_at: datetime,
    due_at: datetime,
    level: str | None,
    calendar: WorkingCalendar | None = None,
    *,
    urgent: bool = False,
) -> datetime:
    """Return when a manager should be told a call-back is at risk of missing its deadline.

    A share of the time it was given: half for s47 and any level the EDT covers, three quarters
    otherwise. Given the office's calendar, the share is of the open time before the deadline,
    so a message left on Friday night warns on Monday, not on Sunday, and a call-back due on
    Sunday by the clock warns on Friday afternoon; with no open time before it, at once.
    """
    window = due_at - created_at
    share = (
        WARNING_SHARE.get(Level.S47) if urgent else WARNING_SHARE.get(level, DEFAULT_WARNING_SHARE)
    )
    if calendar is None:
        warn_at = created_at + window * share
    else:
        open_time = calendar.working_time_between(created_at, due_at)
        # No open time at all: nobody at the front door can make it, so it is at risk now
        # (the next opening would be after the deadline).
        warn_at = (
            calendar.add_working_time(created_at, open_time * share) if open_time else created_at
        )
    return min(warn_at, due_at - MIN_WARNING_LEAD) if window > MIN_WARNING_LEAD else created_at


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and when, a caller who did not answer is tried again."""

    max_attempts: int = 3
    shortest_gap: timedelta = timedelta(minutes=5)
    # No longest gap: the tries are spread over all the time left, so a 48-hour or
    # 5-working-day call-back is not given up on within its first afternoon (a 4-hour cap put
    # all three tries in one day, the last after the office shut, days before the deadline).
    quiet_from: time = time(21, 0)
    quiet_until: time = time(8, 0)
    urgent_levels: frozenset[str] = frozenset({Level.S47})  # a child at risk now: no quiet hours

    def next_attempt(
        self,
        now: datetime,
        due_at: datetime,
        attempts_made: int,
        level: str | None,
        *,
        urgent: bool = False,
        calendar: WorkingCalendar | None = None,
    ) -> datetime | None:
        """Return when to try again, spacing the tries left before the deadline; None if done.

        urgent: the flow has the Emergency Duty Team cover this level out of hours (high-risk
        domestic abuse at Cumbria, say), so like s47 it is tried again at any hour.
        calendar: the office's; a call-back nobody works out of hours has its tries spread
        over the open time before its deadline, so each falls when someone is there to ring
        (and counts days the way the calendar does, across a clock change or a bank holiday).
        """
        tries_left = self.max_attempts - attempts_made
        if tries_left <= 0:
            return None
        remaining = due_at - now
        gap = remaining / (tries_left + 1) if remaining > timedelta(0) else self.shortest_gap
        at = now + max(self.shortest_gap, gap)
        if urgent or level in self.urgent_levels:
            return at
        open_left = calendar.working_time_between(now, due_at) if calendar else timedelta(0)
        if open_left > timedelta(0):
            at = calendar.add_working_time(
                now, max(self.shortest_gap, open_left / (tries_left + 1))
            )
        morning = self._outside_quiet_hours(at)
        if morning > due_at:
            # Waiting for the morning misses the deadline: try again before the evening's quiet
            # hours begin, if there is still room, rather than hours late.
            evening = self._quiet_hours_start(at) - self.shortest_gap
            if now + self.shortest_gap <= evening < at:
                return evening
        return morning

    def _quiet_hours_start(self, at: datetime) -> datetime:
        """When the quiet hours `at` falls in began (at itself, if it is not in them)."""
        local = at.astimezone(UK)
        if local.time() >= self.quiet_from:
            return datetime.combine(local.date(), self.quiet_from, UK).astimezone(at.tzinfo)
        if local.time() < self.quiet_until:
            began = datetime.combine(local.date() - timedelta(days=1), self.quiet_from, UK)
            return began.astimezone(at.tzinfo)
        return at

    def _outside_quiet_hours(self, at: datetime) -> datetime:
        local = at.astimezone(UK)
        if local.time() >= self.quiet_from:
            morning = datetime.combine(local.date() + timedelta(days=1), self.quiet_until, UK)
            return morning.astimezone(at.tzinfo)
        if local.time() < self.quiet_until:
            morning = datetime.combine(local.date(), self.quiet_until, UK)
            return morning.astimezone(at.tzinfo)
        return at
