"""A case's audit trail: its stored events as plain-language lines, each with who, when, the
version and the event's hash. The lines name codes, references and staff, never personal data
or free text: sealed fields are left out, not unsealed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import singledispatch
from uuid import UUID

from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, hash_event
from ledger.enums import Provision
from ledger.errors import IntegrityFailure
from ledger.events import (
    ActionCancelled,
    ActionCompleted,
    ActionPlanned,
    AgencyJoined,
    CaseAssigned,
    CaseClosed,
    CaseEvent,
    CaseOpened,
    CaseReopened,
    CaseReviewAcknowledged,
    CaseReviewConcluded,
    CaseReviewDecided,
    CaseReviewed,
    CaseReviewRequested,
    ContactRecorded,
    EnforcementActionTaken,
    IncidentRecorded,
    InformationShared,
    OrganisationIdentified,
    PersonLinked,
    PoliceReferralMade,
    RiskAssessed,
    SupportReferralMade,
    TimescalesAgreed,
)
from ledger.integrity import GENESIS
from ledger.type_names import kind_of
from ledger.values import Actor


@dataclass(frozen=True, kw_only=True)
class TimelineLine:
    """One event of a case: what happened (``what``, and the ids it concerns in ``refs``),
    who did it, when it happened and when it was recorded, its version and hashes."""

    version: int
    type: str
    what: str
    refs: tuple[str, ...]
    actor: Actor
    occurred_at: datetime
    recorded_at: datetime
    event_hash: str
    prev_hash: str


def timeline(
    ledger: CaseLedger, case_id: UUID, *, upto: int | None = None, after: int = 0
) -> list[TimelineLine]:
    """The case's lines, oldest first, after version ``after`` up to version ``upto`` (all
    if None).

    Each stored event's hash is checked against its content and its link to the one before,
    so a line never shows a hash the event does not have (``IntegrityFailure`` otherwise).
    For a page of lines (``after`` > 0) the event at ``after`` is read too, as the anchor
    the first line's link is checked against (its own hash is checked; its link is its own
    page's to check)."""
    lines: list[TimelineLine] = []
    previous: str | None = GENESIS if after <= 0 else None
    since = None if after <= 0 else after - 1
    for event in ledger.repository.event_store.get(case_id, gt=since, lte=upto):
        if not isinstance(event, CaseEvent):
            raise IntegrityFailure(case_id, event.originator_version, "not a case event")
        recorded = vars(event).get(HASH_KEY) or ""
        linked = previous is None or event.prev_hash == previous
        if recorded != hash_event(event) or not linked:
            raise IntegrityFailure(
                case_id, event.originator_version, "event does not match its hash chain"
            )
        previous = recorded
        if event.originator_version <= after:
            continue  # the anchor, read only for the next one's link
        what, refs = describe(event)
        lines.append(
            TimelineLine(
                version=event.originator_version,
                type=kind_of(type(event)),
                what=what,
                refs=refs,
                actor=event.actor,
                occurred_at=event.occurred_at,
                recorded_at=event.timestamp,
                event_hash=recorded,
                prev_hash=event.prev_hash,
            )
        )
    return lines


# ------------------------------------------------------------------ one line per event type

Line = tuple[str, tuple[str, ...]]


def _v(value: Enum | None) -> str:
    return "none" if value is None else str(value.value)


def _all(values: Iterable[Enum]) -> str:
    return ", ".join(_v(value) for value in values)


def _day(value: date | datetime) -> str:
    return value.isoformat()


def _people(*refs: UUID | None) -> tuple[str, ...]:
    return tuple(f"person:{ref}" for ref in refs if ref is not None)


@singledispatch
def describe(event: CaseEvent) -> Line:
    """The plain-language line for an event, and the ids it concerns."""
    return f"{kind_of(type(event))} recorded", ()


@describe.register
def _(event: CaseOpened) -> Line:
    ward = f", ward {event.ward}" if event.ward else ""
    return (
        f"Case {event.reference} opened: {_v(event.category)} complaint by {_v(event.channel)},"
        f" lead {_v(event.lead_department)}{ward}; complainant prefers"
        f" {_v(event.preferred_contact)}",
        _people(event.complainant_ref),
    )


@describe.register
def _(event: PersonLinked) -> Line:
    notes = []
    if event.vulnerabilities:
        notes.append(f"vulnerable: {_all(event.vulnerabilities)}")
    if event.self_declared_repeat_victim:
        notes.append("self-declared repeat victim")
    extra = f" ({'; '.join(notes)})" if notes else ""
    return f"Person linked as {_v(event.role)}{extra}", _people(event.person_ref)


@describe.register
def _(event: IncidentRecorded) -> Line:
    marks = [_v(harm) for harm in event.harms] + (["criminal"] if event.criminal else [])
    detail = f"; {', '.join(marks)}" if marks else ""
    return (
        f"Incident recorded ({_v(event.incident_type)}{detail})",
        (f"incident:{event.incident_id}", *_people(*event.victim_refs)),
    )


@describe.register
def _(event: RiskAssessed) -> Line:
    override = (
        f" (computed {_v(event.computed_level)}, overridden)" if event.override is not None else ""
    )
    return (
        f"Risk assessed with {event.instrument} v{event.instrument_version}: score"
        f" {event.score}, level {_v(event.level)}{override}; assessor {event.assessor}",
        _people(event.victim_ref),
    )


@describe.register
def _(event: ActionPlanned) -> Line:
    return (
        f"Action {event.action_id} planned: owner {_v(event.owner_agency)}"
        f" ({event.owner_officer}), due {_day(event.due)}",
        (f"action:{event.action_id}",),
    )


@describe.register
def _(event: ActionCompleted) -> Line:
    return f"Action {event.action_id} completed", (f"action:{event.action_id}",)


@describe.register
def _(event: ActionCancelled) -> Line:
    return f"Action {event.action_id} cancelled", (f"action:{event.action_id}",)


@describe.register
def _(event: TimescalesAgreed) -> Line:
    agreed = f", with {_all(event.agreed_with)}" if event.agreed_with else ""
    partners = getattr(event, "organisations", ())
    agreed += f" ({', '.join(partners)})" if partners else ""
    return (
        f"Timescales agreed: first contact by {_day(event.first_contact_due)}, next review by"
        f" {_day(event.next_review_due)}, target resolution by"
        f" {_day(event.target_resolution)}{agreed}",
        (),
    )


@describe.register
def _(event: ContactRecorded) -> Line:
    preferred = "" if event.preferred_method_used else ", not by the preferred method"
    return (
        f"Contact {_v(event.direction)} by {_v(event.method)}: {_v(event.outcome)}{preferred}",
        _people(event.person_ref),
    )


@describe.register
def _(event: SupportReferralMade) -> Line:
    return (
        f"Referred for support to {event.organisation} ({_v(event.service)}), consent"
        f" {_v(event.consent)}",
        _people(event.person_ref),
    )


@describe.register
def _(event: InformationShared) -> Line:
    recipient = event.recipient
    parts = [
        f"Information shared with {recipient.organisation} ({_v(recipient.agency)}) for"
        f" {_v(event.purpose)} under {_v(event.lawful_basis)}: items {', '.join(event.items)}",
        f"gateway {_v(event.gateway)}",
    ]
    if event.condition is not None:
        parts.append(f"condition {_v(event.condition)}")
    parts += [
        f"consent {_v(event.consent)}",
        f"authorised by {event.authorised_by}",
        f"protocol {event.protocol_reference}",
        "onward use permitted" if event.onward_use_permitted else "no onward use",
    ]
    named = tuple(item for item in event.items if ":" in item)
    return "; ".join(parts), (f"share:{event.share_id}", *named)


@describe.register
def _(event: PoliceReferralMade) -> Line:
    count = len(event.incident_ids)
    force = getattr(event, "organisation", "")
    return (
        f"Referred to the police{f' ({force})' if force else ''}"
        f" (reference {event.police_reference}):"
        f" {count} incident{'s' if count != 1 else ''}, disseminated"
        f" {event.disseminated_at.isoformat()}",
        tuple(f"incident:{incident}" for incident in event.incident_ids),
    )


@describe.register
def _(event: AgencyJoined) -> Line:
    return f"{event.organisation} ({_v(event.agency)}) joined the case", ()


@describe.register
def _(event: OrganisationIdentified) -> Line:
    return (
        f"Organisation named {event.named!r} identified as the registered {event.organisation}"
        f"{' (its shares now name it)' if event.shared else ''}",
        (),
    )


@describe.register
def _(event: EnforcementActionTaken) -> Line:
    statutory = event.legislation != Provision.NON_STATUTORY.value
    under = f" under {event.legislation}" if statutory else " (non-statutory)"
    return f"Enforcement action: {_v(event.tool)}{under}", _people(event.subject_ref)


@describe.register
def _(event: CaseReviewed) -> Line:
    return (
        f"Case reviewed: {_v(event.outcome)}; next review by {_day(event.next_review_due)}",
        (),
    )


@describe.register
def _(event: CaseReviewRequested) -> Line:
    return (
        f"ASB Case Review requested (received {event.received_at.isoformat()})",
        (f"case_review:{event.request_id}", *_people(event.applicant_ref)),
    )


@describe.register
def _(event: CaseReviewAcknowledged) -> Line:
    return ("ASB Case Review request acknowledged", (f"case_review:{event.request_id}",))


@describe.register
def _(event: CaseReviewDecided) -> Line:
    return (
        f"ASB Case Review decided: {_v(event.decision)}",
        (f"case_review:{event.request_id}",),
    )


@describe.register
def _(event: CaseReviewConcluded) -> Line:
    return ("ASB Case Review concluded: outcome recorded", (f"case_review:{event.request_id}",))


@describe.register
def _(event: CaseClosed) -> Line:
    feedback = event.feedback
    preferred = "" if feedback.preferred_method_used else " (not the preferred method)"
    return (
        f"Case closed: {_v(event.reason)}; feedback by {_v(feedback.method)}"
        f" on {feedback.given_at.isoformat()}{preferred}",
        (),
    )


@describe.register
def _(event: CaseAssigned) -> Line:
    officer = f", officer {event.officer}" if event.officer else ", no officer"
    return f"Assigned to team {event.team}{officer}", ()


@describe.register
def _(event: CaseReopened) -> Line:
    return "Case reopened", ()
