"""A subject access request (UK GDPR Article 15): an aggregate of its own, with its clock.

Its events carry references, dates and codes, never personal data: the person is a
reference to the register; what was decided about each item of the response is the item's
id (``third_party:<ref>:<field>``, ``actor:<user id>``, ``record:<case>:<version>``), the
decision and the ground as a code. The deadline is ``ledger.sar_deadline``'s: one calendar
month from the day the request, or the proof of identity it waited for, arrived; a stopped
clock runs none and restarts the month; an extension of up to two months may be taken only
while the first month runs. Issuing records the digests of the report and bundle sent.

While a request is open (neither issued nor closed) it is a legal hold on the person
(DPA 2018 s173: data must not be erased to defeat a request): ``SubjectRequests`` keeps
each person's open requests, saved in the same transaction as the request's own events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.case_steps import utc
from ledger.enums import (
    SarClosure,
    SarDecision,
    SarExtensionReason,
    SarPart,
    SarRequester,
    SarStopReason,
    WithholdGround,
)
from ledger.errors import Rule, RuleViolation
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.sar_deadline import MAX_EXTENSION_MONTHS, ClockStop, sar_deadline
from ledger.type_names import stored_as
from ledger.values import Actor


@stored_as("asb.sar.SarRequested.v1")
class SarRequested(CaseEvent, Aggregate.Created):
    """A subject access request was received: whose data, from whom, and when."""

    person_ref: UUID
    requester: SarRequester
    representative_ref: UUID | None
    received_on: date
    identity_checked_on: date | None
    asks_for: tuple[SarPart, ...]


@stored_as("asb.sar.SarIdentityChecked.v1")
class SarIdentityChecked(CaseEvent):
    """The requester's identity (or a representative's authority) was confirmed on ``on``:
    the month runs from that day."""

    on: date

    def apply(self, aggregate: Any) -> None:
        aggregate.identity_checked_on = self.on


@stored_as("asb.sar.SarClockStopped.v1")
class SarClockStopped(CaseEvent):
    """The clock stopped on ``on`` while clarification (or proof) was sought."""

    on: date
    reason: SarStopReason

    def apply(self, aggregate: Any) -> None:
        aggregate.stops.append(Stop(self.on, self.reason))


@stored_as("asb.sar.SarClockRestarted.v1")
class SarClockRestarted(CaseEvent):
    """What the clock waited for arrived on ``on``: a fresh month runs from that day."""

    on: date

    def apply(self, aggregate: Any) -> None:
        stop = aggregate.stops[-1]
        aggregate.stops[-1] = Stop(stop.stopped, stop.reason, self.on)


@stored_as("asb.sar.SarExtended.v1")
class SarExtended(CaseEvent):
    """The time to respond was extended by ``months`` (Article 12(3)), within the first month."""

    months: int
    reason: SarExtensionReason

    def apply(self, aggregate: Any) -> None:
        aggregate.extension_months += self.months


@stored_as("asb.sar.SarItemReviewed.v1")
class SarItemReviewed(CaseEvent):
    """A reviewer decided one item: released, or withheld on a ground. A later decision on
    the same item replaces it, until the response is issued."""

    item: str
    decision: SarDecision
    ground: WithholdGround | None

    def apply(self, aggregate: Any) -> None:
        aggregate.decisions[self.item] = Decided(self.decision, self.ground, self.actor.user_id)


@stored_as("asb.sar.SarIssued.v1")
class SarIssued(CaseEvent):
    """The response was issued: the SHA-256 of the report and of the bundle sent."""

    report_sha256: str
    bundle_sha256: str
    released: int
    withheld: int

    def apply(self, aggregate: Any) -> None:
        aggregate.issued_at = self.occurred_at
        aggregate.report_sha256 = self.report_sha256


@stored_as("asb.sar.SarClosed.v1")
class SarClosed(CaseEvent):
    """The request ended without a response (withdrawn, or refused under Article 12(5))."""

    closure: SarClosure

    def apply(self, aggregate: Any) -> None:
        aggregate.closure = self.closure


@dataclass(frozen=True)
class Stop:
    stopped: date
    reason: SarStopReason
    restarted: date | None = None


@dataclass(frozen=True)
class Decided:
    decision: SarDecision
    ground: WithholdGround | None
    by: str


@stored_as("asb.sar.SubjectAccessRequest.v1")
class SubjectAccessRequest(Aggregate):
    """One subject access request, from receipt to the response issued."""

    def __init__(
        self,
        *,
        person_ref: UUID,
        requester: SarRequester,
        representative_ref: UUID | None,
        received_on: date,
        identity_checked_on: date | None,
        asks_for: tuple[SarPart, ...],
    ) -> None:
        self.person_ref = person_ref
        self.requester = requester
        self.representative_ref = representative_ref
        self.received_on = received_on
        self.identity_checked_on = identity_checked_on
        self.asks_for = asks_for
        self.stops: list[Stop] = []
        self.extension_months = 0
        self.decisions: dict[str, Decided] = {}
        self.issued_at: datetime | None = None
        self.report_sha256: str | None = None
        self.closure: SarClosure | None = None
        self.head_hash = GENESIS

    @classmethod
    def request(
        cls,
        *,
        actor: Actor,
        occurred_at: datetime,
        sar_id: UUID,
        person_ref: UUID,
        requester: SarRequester,
        representative_ref: UUID | None,
        received_on: date,
        identity_checked_on: date | None,
        asks_for: tuple[SarPart, ...],
    ) -> SubjectAccessRequest:
        today = utc(occurred_at, "occurred_at").date()
        _not_after(received_on, today, "received_on")
        if identity_checked_on is not None:
            _not_after(identity_checked_on, today, "identity_checked_on")
            _not_before(identity_checked_on, received_on, "identity_checked_on", "received")
        if (requester is SarRequester.REPRESENTATIVE) != (representative_ref is not None):
            raise RuleViolation(
                Rule.TEXT_REQUIRED,
                "representative_ref is given exactly when a representative made the request",
            )
        return cls._create(
            SarRequested,
            id=sar_id,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            person_ref=person_ref,
            requester=requester,
            representative_ref=representative_ref,
            received_on=received_on,
            identity_checked_on=identity_checked_on,
            asks_for=tuple(dict.fromkeys(asks_for or tuple(SarPart))),
        )

    @property
    def open(self) -> bool:
        return self.issued_at is None and self.closure is None

    @property
    def stopped(self) -> bool:
        return bool(self.stops) and self.stops[-1].restarted is None

    @property
    def started_on(self) -> date | None:
        """The day the month first ran from (receipt, or the identity it waited for)."""
        if self.identity_checked_on is None:
            return None
        return max(self.received_on, self.identity_checked_on)

    def due(self, extension_months: int | None = None) -> date | None:
        """The day the response is due; None while the clock is stopped or not started."""
        start = self.started_on
        if start is None:
            return None
        months = self.extension_months if extension_months is None else extension_months
        stops = [ClockStop(s.stopped, s.restarted) for s in self.stops]
        return sar_deadline(start, stops=stops, extension_months=months)

    def status(self, today: date) -> str:
        """issued, closed, awaiting_identity, stopped, overdue or open."""
        if self.issued_at is not None:
            return "issued"
        if self.closure is not None:
            return "closed"
        if self.identity_checked_on is None:
            return "awaiting_identity"
        if self.stopped:
            return "stopped"
        due = self.due()
        return "overdue" if due is not None and today > due else "open"

    def check_identity(self, *, actor: Actor, occurred_at: datetime, on: date) -> None:
        today = self._changeable(occurred_at)
        if self.identity_checked_on is not None:
            raise RuleViolation(
                Rule.SAR_CLOCK, f"identity was already checked on {self.identity_checked_on}"
            )
        _not_after(on, today, "on")
        _not_before(on, self.received_on, "on", "received")
        self._trigger(SarIdentityChecked, actor, occurred_at, on=on)

    def stop_clock(
        self, *, actor: Actor, occurred_at: datetime, on: date, reason: SarStopReason
    ) -> None:
        today = self._changeable(occurred_at)
        start = self._running("stop")
        _not_after(on, today, "on")
        _not_before(on, start, "on", "the clock last started")
        self._trigger(SarClockStopped, actor, occurred_at, on=on, reason=reason)

    def restart_clock(self, *, actor: Actor, occurred_at: datetime, on: date) -> None:
        today = self._changeable(occurred_at)
        if not self.stopped:
            raise RuleViolation(Rule.SAR_CLOCK, "the clock is not stopped")
        _not_after(on, today, "on")
        _not_before(on, self.stops[-1].stopped, "on", "the clock stopped")
        self._trigger(SarClockRestarted, actor, occurred_at, on=on)

    def extend(
        self, *, actor: Actor, occurred_at: datetime, months: int, reason: SarExtensionReason
    ) -> None:
        today = self._changeable(occurred_at)
        self._running("extend")
        if not 1 <= self.extension_months + months <= MAX_EXTENSION_MONTHS or months < 1:
            raise RuleViolation(
                Rule.SAR_EXTENSION,
                f"an extension is of at most {MAX_EXTENSION_MONTHS} months in all"
                f" ({self.extension_months} taken)",
            )
        first_month = self.due(extension_months=0)
        if first_month is None or today > first_month:
            raise RuleViolation(
                Rule.SAR_EXTENSION,
                f"an extension is taken only while the first month runs (it ended {first_month})",
            )
        self._trigger(SarExtended, actor, occurred_at, months=months, reason=reason)

    def review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        item: str,
        decision: SarDecision,
        ground: WithholdGround | None,
    ) -> None:
        self._changeable(occurred_at)
        if (decision is SarDecision.WITHHOLD) != (ground is not None):
            raise RuleViolation(
                Rule.SAR_GROUND,
                "a withheld item needs its ground; a released one has none",
            )
        self._trigger(
            SarItemReviewed, actor, occurred_at, item=item, decision=decision, ground=ground
        )

    def check_issuable(self) -> None:
        """Raises the rule an issue now would break, before any file is written."""
        if self.issued_at is not None or self.closure is not None:
            raise RuleViolation(Rule.SAR_CLOSED, "the request is closed")
        self._running("issue a response")

    def issue(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        report_sha256: str,
        bundle_sha256: str,
        released: int,
        withheld: int,
    ) -> None:
        self.check_issuable()
        for name, digest in (("report_sha256", report_sha256), ("bundle_sha256", bundle_sha256)):
            if not _SHA256.fullmatch(digest):
                raise ValueError(f"{name} is not a SHA-256 in hex")
        self._trigger(
            SarIssued,
            actor,
            occurred_at,
            report_sha256=report_sha256,
            bundle_sha256=bundle_sha256,
            released=released,
            withheld=withheld,
        )

    def close(self, *, actor: Actor, occurred_at: datetime, closure: SarClosure) -> None:
        self._changeable(occurred_at)
        self._trigger(SarClosed, actor, occurred_at, closure=closure)

    def _changeable(self, occurred_at: datetime) -> date:
        if self.issued_at is not None:
            raise RuleViolation(Rule.SAR_CLOSED, "the response was issued: the request is closed")
        if self.closure is not None:
            raise RuleViolation(Rule.SAR_CLOSED, f"the request was closed ({self.closure.value})")
        return utc(occurred_at, "occurred_at").date()

    def _running(self, what: str) -> date:
        start = self.started_on
        if start is None:
            raise RuleViolation(
                Rule.SAR_CLOCK, f"cannot {what}: the requester's identity is not checked yet"
            )
        if self.stopped:
            raise RuleViolation(
                Rule.SAR_CLOCK,
                f"cannot {what}: the clock is stopped ({self.stops[-1].reason.value})",
            )
        return self.stops[-1].restarted or start if self.stops else start

    def _trigger(
        self, cls: type[CaseEvent], actor: Actor, occurred_at: datetime, **kw: Any
    ) -> None:
        self.trigger_event(
            cls,
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=self.head_hash,
            **kw,
        )


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _not_after(day: date, today: date, name: str) -> None:
    if day > today:
        raise RuleViolation(Rule.SAR_DATE, f"{name} is in the future")


def _not_before(day: date, earliest: date, name: str, what: str) -> None:
    if day < earliest:
        raise RuleViolation(Rule.SAR_DATE, f"{name} is before {what} ({earliest})")


def subject_requests_stream(person_ref: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"asb-ledger:sar-subject:{person_ref}")


@stored_as("asb.sar.SubjectRequestOpened.v1")
class SubjectRequestOpened(CaseEvent):
    """A request about this person was opened: a hold on their data until it ends."""

    sar_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.open_requests = (*aggregate.open_requests, self.sar_id)


@stored_as("asb.sar.SubjectRequestEnded.v1")
class SubjectRequestEnded(CaseEvent):
    """A request about this person was issued or closed: its hold ends."""

    sar_id: UUID

    def apply(self, aggregate: Any) -> None:
        aggregate.open_requests = tuple(r for r in aggregate.open_requests if r != self.sar_id)


@stored_as("asb.sar.SubjectRequestsStarted.v1")
class SubjectRequestsStarted(CaseEvent, Aggregate.Created):
    """The first request about this person."""

    person_ref: UUID


@stored_as("asb.sar.SubjectRequests.v1")
class SubjectRequests(Aggregate):
    """The open requests about one person (their legal holds under s173)."""

    def __init__(self, *, person_ref: UUID) -> None:
        self.person_ref = person_ref
        self.open_requests: tuple[UUID, ...] = ()
        self.head_hash = GENESIS

    @classmethod
    def start(cls, *, actor: Actor, occurred_at: datetime, person_ref: UUID) -> SubjectRequests:
        return cls._create(
            SubjectRequestsStarted,
            id=subject_requests_stream(person_ref),
            actor=actor,
            occurred_at=utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            person_ref=person_ref,
        )

    def opened(self, *, actor: Actor, occurred_at: datetime, sar_id: UUID) -> None:
        self._note(SubjectRequestOpened, actor, occurred_at, sar_id)

    def ended(self, *, actor: Actor, occurred_at: datetime, sar_id: UUID) -> None:
        if sar_id in self.open_requests:
            self._note(SubjectRequestEnded, actor, occurred_at, sar_id)

    def _note(
        self, cls: type[CaseEvent], actor: Actor, occurred_at: datetime, sar_id: UUID
    ) -> None:
        self.trigger_event(
            cls, actor=actor, occurred_at=occurred_at, prev_hash=self.head_hash, sar_id=sar_id
        )
