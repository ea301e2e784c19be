"""Erase one closed case past its retention (DOMAIN §8): the retention sweep's step for each case.

The case is checked against the ledger itself, whatever the list it came from said: it is
closed, its retention (``ASB_RETENTION_*``, from the closure's date in the council's
calendar) has run out, and no legal hold covers it, its people or its category. Then its
key (``case:<id>``: every free-text field) is destroyed, and the key of each person on it
who is on no other case still kept: a person also on an open case, a case not yet due or a
held one keeps their key (and their details stay readable on this case too, until the last
of their cases goes), because one key seals their details on every case they are on.
The destructions are recorded (``KeyDestroyed``, all in one transaction) before any
happens, and the case's erasure last (``CaseErased``, one stream per case): so a sweep that
stopped half way finds the case begun (its key's destruction recorded) and completes it,
holds or not, since what is destroyed cannot be kept; and a case already recorded is left
alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from commands.common import Command
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import ErasureReason
from ledger.erasure import KeyErasure, erasure_id
from ledger.errors import Rule, RuleViolation
from ledger.holds import Cover
from ledger.retention import CaseErasure, check_erasable
from ledger.sealing import case_scope, person_scope
from ledger.settings import Retention

Status = Literal["erased", "completed", "already", "held", "refused", "failed"]
CasesOf = Callable[[Iterable[UUID]], set[UUID]]
"""The cases any of these person references is on (the caller's source: a view)."""


@dataclass(frozen=True, kw_only=True)
class EraseClosedCase(Command):
    name: ClassVar[str] = "erase_closed_case"

    case_id: UUID
    today: date
    """The council's date at ``occurred_at``: what retention is judged against."""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What became of one case: ``erased``; ``completed`` (a stopped sweep's case);
    ``already`` (recorded before); ``held`` (``holds`` say why); ``refused`` (the ledger
    says it is open or not due: ``detail``); ``failed`` (a sweep could not check it)."""

    case_id: UUID
    status: Status
    reference: str = ""
    closed_on: date | None = None
    due_on: date | None = None
    scopes: tuple[str, ...] = ()
    kept: tuple[UUID, ...] = ()
    holds: tuple[Cover, ...] = ()
    detail: str = ""


def closure_dates(
    case: Case, retention: Retention, local_date: Callable[[datetime], date]
) -> tuple[date, date] | None:
    """The council's date of a closed case's closure and of its retention's end."""
    if case.closed_at is None:
        return None
    closed_on = local_date(case.closed_at)
    return closed_on, retention.due_on(case.category, closed_on)


def handle(
    cmd: EraseClosedCase,
    ledger: CaseLedger,
    *,
    retention: Retention,
    local_date: Callable[[datetime], date],
    cases_of: CasesOf,
) -> Outcome:
    """Checks the case, then erases it; a broken rule is an outcome, not an error."""
    if ledger.case_erasure(cmd.case_id) is not None:
        return Outcome(case_id=cmd.case_id, status="already")
    case = ledger.get_case(cmd.case_id)
    begun = _begun(ledger, case.id)
    dates = closure_dates(case, retention, local_date)
    closed_on, due_on = dates or (None, None)
    people = list(case.persons)
    holds = (
        []
        if begun
        else ledger.holds.covering(cases=[case.id], persons=people, categories=[case.category])
    )
    seen = Outcome(
        case_id=case.id,
        status="refused",
        reference=case.reference,
        closed_on=closed_on,
        due_on=due_on,
        holds=tuple(holds),
    )
    try:
        check_erasable(case, due_on=due_on or cmd.today, today=cmd.today, holds=holds)
    except RuleViolation as refusal:
        held = refusal.rule in (Rule.RETENTION_LEGAL_HOLD, Rule.RETENTION_OPEN_SAR)
        return replace(seen, status="held" if held else "refused", detail=refusal.detail)
    assert closed_on is not None
    assert due_on is not None
    scopes, kept = _scopes(ledger, case, people, cases_of, begun=begun)
    record = CaseErasure.record(
        case,
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        closed_on=closed_on,
        due_on=due_on,
        today=cmd.today,
        holds=holds,
        scopes=scopes,
        kept=kept,
    )
    ledger.destroy_keys(  # every destruction recorded first: from then on, the case is begun
        scopes,
        actor=cmd.actor,
        occurred_at=cmd.occurred_at,
        reason=ErasureReason.RETENTION_EXPIRED,
    )
    try:
        ledger.save(record)
    except IntegrityError:  # a concurrent sweep recorded it first
        return replace(seen, status="already")
    return replace(
        seen, status="completed" if begun else "erased", scopes=tuple(scopes), kept=tuple(kept)
    )


def _begun(ledger: CaseLedger, case_id: UUID) -> bool:
    """Whether a sweep recorded the destruction of the case's key (and so began erasing it)."""
    try:
        record: object = ledger.repository.get(erasure_id(case_scope(case_id)))
    except AggregateNotFoundError:
        return False
    return isinstance(record, KeyErasure) and record.reason is ErasureReason.RETENTION_EXPIRED


def _scopes(
    ledger: CaseLedger, case: Case, people: list[UUID], cases_of: CasesOf, *, begun: bool
) -> tuple[list[str], list[UUID]]:
    """The key scopes to destroy (the case's, then each person's whose every case is gone
    or going), and the people kept. Completing a begun case, a person a hold now covers is
    kept too (the hold did not stop the case: it came too late)."""
    scopes = [case_scope(case.id)]
    kept: list[UUID] = []
    for ref in people:
        refs = ledger.people.same_person(ref)
        others = cases_of(refs) - {case.id}
        held = begun and bool(ledger.holds.covering(persons=refs))
        if held or any(ledger.case_erasure(other) is None for other in others):
            kept.append(ref)
            continue
        scopes.extend(s for s in (person_scope(r) for r in refs) if s not in scopes)
    return scopes, kept
