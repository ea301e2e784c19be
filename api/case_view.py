"""A case as a caller may see it: personal fields unsealed, and for a partner only what
was shared with their organisation. Also says whose personal data the view shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from api.principal import Principal
from api.schemas.views import (
    ActionOut,
    AssessmentOut,
    CaseOut,
    ClosureOut,
    ContactOut,
    Erased,
    IncidentOut,
    PersonOut,
    ShareOut,
    Text,
)
from ledger import fields as F  # noqa: N812
from ledger.case import Case
from ledger.enums import Role
from ledger.rules import SHARE_ITEM_KINDS
from ledger.sealing import Erased as ErasedField
from ledger.sealing import Sealer
from ledger.values import Sealed


@dataclass
class Entitlement:
    """What of a case a caller may see: whole sections, and named incidents and people."""

    sections: set[str] = field(default_factory=set)
    incidents: set[UUID] = field(default_factory=set)
    people: set[UUID] = field(default_factory=set)
    organisation: str | None = None  # a partner also sees what their organisation added

    @classmethod
    def of(cls, case: Case, principal: Principal) -> Entitlement:
        if principal.role is not Role.PARTNER:
            return cls(set(SHARE_ITEM_KINDS) - {"incident", "person"} | {"all"})
        seen = cls(organisation=principal.organisation)
        for share in case.shares:
            if share.organisation != principal.organisation:
                continue
            for item in share.items:
                kind, _, ref = item.partition(":")
                if kind == "incident" and ref:
                    seen.incidents.add(UUID(ref))
                elif kind == "person" and ref:
                    seen.people.add(UUID(ref))
                else:
                    seen.sections.add(kind)
        return seen

    def named(self) -> list[str]:
        """What was shared, as the share named it."""
        return sorted(
            self.sections
            | {f"incident:{i}" for i in self.incidents}
            | {f"person:{p}" for p in self.people}
        )

    def person_refs(self, refs: tuple[UUID, ...]) -> list[UUID]:
        """Person references a partner may see: only those of people shared with them."""
        return list(refs) if self.everything else [r for r in refs if r in self.people]

    @property
    def everything(self) -> bool:
        return "all" in self.sections

    def has(self, section: str) -> bool:
        return self.everything or section in self.sections

    def within(self, other: Entitlement) -> Entitlement:
        """What both entitle the caller to see. A view of an earlier version uses what the
        case entitles them to now and what it did then, so it never shows what the plain
        read hides, nor what was only shared with them later."""
        if self.everything:
            return other
        if other.everything:
            return self
        return Entitlement(
            sections=self.sections & other.sections,
            incidents=self.incidents & other.incidents,
            people=self.people & other.people,
            organisation=self.organisation if self.organisation == other.organisation else None,
        )


class Reader:
    """Unseals one case's fields; an erased field reads as ``{"erased": true}``."""

    def __init__(self, sealer: Sealer, case_id: UUID) -> None:
        self.sealer = sealer
        self.case_id = case_id

    def __call__(self, sealed: Sealed | None, name: str) -> Text:
        if sealed is None:
            return None
        plain = self.sealer.unseal(sealed, case_id=self.case_id, field=name)
        return Erased() if isinstance(plain, ErasedField) else plain


Registered = Callable[[UUID], dict[str, str | None] | None]
"""A person's details as the person register holds them now (unsealed), if it does."""


def render(
    case: Case,
    principal: Principal,
    sealer: Sealer,
    see: Entitlement | None = None,
    registered: Registered | None = None,
) -> tuple[CaseOut, set[UUID]]:
    """The view, and the people whose personal data appears in it. ``see`` is what the
    caller is entitled to (by default what this case entitles them to). With ``registered``,
    each person's details are the register's as they are now (a correction made on another
    case shows here too; a person linked by reference alone is named), field by field over
    what this case recorded; without it (a past version), what the case held."""
    if see is None:
        see = Entitlement.of(case, principal)
    read = Reader(sealer, case.id)
    subjects: set[UUID] = set()
    out = CaseOut(
        case_id=case.id,
        reference=case.reference,
        version=case.version,
        status="closed" if case.closed else "open",
        sections=["all"] if see.everything else see.named(),
    )
    if see.has("case_summary"):
        out.team, out.officer = case.team, case.officer
        out.channel, out.category = case.channel.value, case.category.value
        out.lead_department, out.ward = case.lead_department.value, case.ward
        out.received_at, out.preferred_contact = case.received_at, case.preferred_contact.value
        out.description = read(case.description, F.CASE_DESCRIPTION)
        out.location = read(case.location, F.CASE_LOCATION)
    if see.everything:
        out.complainant_ref = case.complainant_ref
    for ref, person in case.persons.items():
        if see.everything or ref in see.people:
            subjects.add(ref)
            found = None if registered is None else registered(ref)
            out.people.append(_person(ref, person, read, found))
    for incident_id, inc in case.incidents.items():
        if (
            see.has("incident")
            or incident_id in see.incidents
            or (see.organisation is not None and inc.organisation == see.organisation)
        ):
            subjects.update(inc.victim_refs)  # the incident is about them, refs shown or not
            out.incidents.append(
                IncidentOut(
                    incident_id=incident_id,
                    occurred_at=inc.occurred_at,
                    incident_type=inc.incident_type.value,
                    description=read(inc.description, F.INCIDENT_DESCRIPTION),
                    location=read(inc.location, F.INCIDENT_LOCATION),
                    harms=sorted(h.value for h in inc.harms),
                    criminal=inc.criminal,
                    victim_refs=see.person_refs(inc.victim_refs),
                    police_referred=inc.police_referred,
                )
            )
    if see.has("risk_assessment"):
        out.risk_level = case.risk_level.value if case.risk_level else None
        out.assessments = [_assessment(a, read) for a in case.assessments]
    if see.has("action_plan"):
        out.actions = [
            ActionOut(
                action_id=action_id,
                description=read(a.description, F.ACTION_DESCRIPTION),
                owner_agency=a.owner_agency.value,
                owner_officer=a.owner_officer,
                due=a.due,
                status=a.status.value,
                outcome=read(a.outcome, F.ACTION_OUTCOME),
            )
            for action_id, a in case.actions.items()
        ]
    if see.has("timescales"):
        out.next_review_due = case.next_review_due
        if case.timescales is not None:
            out.timescales = _plain(asdict(case.timescales))
    _partnership(case, see, read, out, subjects)
    return out, subjects


def render_as_of(
    shown: Case, current: Case, principal: Principal, sealer: Sealer
) -> tuple[CaseOut, set[UUID]]:
    """An earlier version of a case (``shown``) as the caller may see it: only what both
    it and the case as it stands (``current``) entitle them to."""
    see = Entitlement.of(current, principal).within(Entitlement.of(shown, principal))
    return render(shown, principal, sealer, see)


VIEW_IDENTITIES: dict[str, str] = {
    "people": "person_ref",
    "incidents": "incident_id",
    "actions": "action_id",
    "shares": "share_id",
    "agencies": "organisation",
    "case_reviews": "request_id",
}
"""The lists of a case view whose items have an identity of their own: a diff names an
item by it (``people.<ref>.name``) rather than by its place in the list."""


def _partnership(
    case: Case, see: Entitlement, read: Reader, out: CaseOut, subjects: set[UUID]
) -> None:
    for c in case.contacts:
        if see.has("contact_history") or (
            see.organisation is not None and c.organisation == see.organisation
        ):
            subjects.add(c.person_ref)
            out.contacts.append(
                ContactOut(
                    person_ref=c.person_ref,
                    method=c.method.value,
                    direction=c.direction.value,
                    outcome=c.outcome.value,
                    occurred_at=c.occurred_at,
                    preferred_method_used=c.preferred_method_used,
                    summary=read(c.summary, F.CONTACT_SUMMARY),
                )
            )
    if see.has("support_referral"):
        for s in case.support_referrals:
            subjects.add(s.person_ref)
            out.support_referrals.append(
                {
                    "person_ref": str(s.person_ref),
                    "service": s.service.value,
                    "organisation": s.organisation,
                    "needs": _json(read(s.needs, F.SUPPORT_NEEDS)),
                    "consent": None if s.consent is None else s.consent.value,
                    "referred_at": s.occurred_at.isoformat(),
                }
            )
    out.shares = [
        _share(s, read) for s in case.shares if see.everything or s.organisation == see.organisation
    ]
    if see.has("police_referral"):
        out.police_referrals = [
            {
                "incident_ids": [str(i) for i in p.incident_ids],
                "police_reference": p.police_reference,
                "organisation": p.organisation or None,
                "disseminated_at": p.disseminated_at.isoformat(),
            }
            for p in case.police_referrals
        ]
    if see.everything:
        out.agencies = [
            {
                "agency": a.agency.value,
                "organisation": a.organisation,
                "role": _json(read(a.role, F.AGENCY_ROLE)),
                "contact": _json(read(a.contact, F.AGENCY_CONTACT)),
                "joined_at": a.joined_at.isoformat(),
            }
            for a in case.partners.values()
        ]
        out.reviews = [
            {
                "outcome": r.outcome.value,
                "notes": _json(read(r.notes, F.REVIEW_NOTES)),
                "next_review_due": r.next_review_due.isoformat(),
                "reviewed_at": r.occurred_at.isoformat(),
                "reviewer": r.reviewer,
            }
            for r in case.reviews
        ]
        out.case_reviews = [
            {
                "request_id": str(request_id),
                "applicant_ref": str(r.applicant_ref),
                "received_at": r.received_at.isoformat(),
                "acknowledged_at": _iso(r.acknowledged_at),
                "decision": r.decision.value,
                "decided_at": _iso(r.decided_at),
                "outcome": _json(read(r.outcome, F.CASE_REVIEW_OUTCOME)),
                "concluded_at": _iso(r.concluded_at),
                "recommendations": _json(read(r.recommendations, F.CASE_REVIEW_RECOMMENDATIONS)),
            }
            for request_id, r in case.case_reviews.items()
        ]
        out.closure = _closure(case, read)
        out.reopen_count = case.reopen_count
    if see.has("enforcement"):
        for e in case.enforcement:
            subjects.add(e.subject_ref)
            out.enforcement.append(
                {
                    "tool": e.tool.value,
                    "subject_ref": str(e.subject_ref),
                    "legislation": e.legislation,
                    "outcome": _json(read(e.outcome, F.ENFORCEMENT_OUTCOME)),
                    "taken_at": e.occurred_at.isoformat(),
                }
            )


def _person(
    ref: UUID, person: Any, read: Reader, registered: dict[str, str | None] | None = None
) -> PersonOut:
    details = person.details
    now = registered or {}

    def field(name: str, label: str) -> Text:
        if now.get(name):
            return now[name]
        return None if details is None else read(getattr(details, name), label)

    return PersonOut(
        person_ref=ref,
        roles=sorted(r.value for r in person.roles),
        name=field("name", F.PERSON_NAME),
        contact=field("contact", F.PERSON_CONTACT),
        address=field("address", F.PERSON_ADDRESS),
        date_of_birth=field("date_of_birth", F.PERSON_DATE_OF_BIRTH),
        vulnerabilities=sorted(v.value for v in person.vulnerabilities),
        vulnerability_note=read(person.vulnerability_note, F.PERSON_VULNERABILITY_NOTE),
        self_declared_repeat_victim=person.self_declared_repeat_victim,
    )


def _assessment(a: Any, read: Reader) -> AssessmentOut:
    return AssessmentOut(
        instrument=a.instrument,
        instrument_version=a.instrument_version,
        score=a.score,
        computed_level=a.computed_level.value,
        level=a.level.value,
        assessed_at=a.assessed_at,
        assessor=a.assessor,
        victim_ref=a.victim_ref,
        answers=dict(a.answers),
        rationale=read(a.rationale, F.RISK_RATIONALE),
        override_rationale=read(a.override_rationale, F.RISK_OVERRIDE_RATIONALE),
    )


def _share(s: Any, read: Reader) -> ShareOut:
    return ShareOut(
        share_id=s.share_id,
        agency=s.agency.value,
        organisation=s.organisation,
        recipient_person=read(s.recipient_person, F.SHARE_RECIPIENT_PERSON),
        items=list(s.items),
        purpose=None if s.purpose is None else s.purpose.value,
        justification=read(s.justification, F.SHARE_JUSTIFICATION),
        lawful_basis=s.lawful_basis.value,
        gateway=None if s.gateway is None else s.gateway.value,
        condition=None if s.condition is None else s.condition.value,
        consent=None if s.consent is None else s.consent.value,
        authorised_by=s.authorised_by,
        protocol_reference=s.protocol_reference,
        onward_use_permitted=s.onward_use_permitted,
        shared_at=s.occurred_at,
    )


def _closure(case: Case, read: Reader) -> ClosureOut | None:
    c = case.closure
    if c is None or not case.closed:
        return None
    return ClosureOut(
        reason=c.reason.value,
        full_reasons=read(c.full_reasons, F.CLOSURE_REASONS),
        feedback_method=c.feedback.method.value,
        feedback_given_at=c.feedback.given_at,
        preferred_method_used=c.feedback.preferred_method_used,
        why_not_preferred=read(c.feedback.why_not_preferred, F.CLOSURE_WHY_NOT_PREFERRED),
        explanation=read(c.explanation, F.CLOSURE_EXPLANATION),
        advice=read(c.advice, F.CLOSURE_ADVICE),
        closed_at=c.closed_at,
        closed_by=c.closed_by,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _json(value: Text) -> Any:
    return value.model_dump() if isinstance(value, Erased) else value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value"):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
