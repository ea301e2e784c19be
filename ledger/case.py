"""The Case aggregate: every step of an ASB case as an immutable, hash-chained event.

Public methods check the rules and trigger events; each event's ``apply`` only
changes state, because it runs again on every replay (no clocks, no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import events, rules
from ledger.case_state import (
    Assessment,
    CaseReviewRequest,
    Contact,
    Enforcement,
    Incident,
    LinkedPerson,
    PlannedAction,
    PoliceReferral,
    Share,
    SupportReferral,
    Timescales,
)
from ledger.enums import (
    ActionStatus,
    Agency,
    CaseReviewDecision,
    Category,
    Channel,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
    EnforcementTool,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    ReviewOutcome,
    RiskLevel,
    SharePurpose,
    SpecialCategoryCondition,
    SupportService,
    Vulnerability,
)
from ledger.errors import Rule, RuleViolation
from ledger.integrity import GENESIS
from ledger.risk import instrument as find_instrument
from ledger.values import Actor, Feedback, PersonDetails, Recipient, RiskOverride, Sealed


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleViolation(Rule.TIMEZONE_REQUIRED, f"{name} must carry a timezone")
    return moment.astimezone(UTC)


class Case(Aggregate):
    """One ASB case, from the first complaint to formal closure."""

    def __init__(
        self,
        *,
        actor: Actor,
        reference: str,
        channel: Channel,
        received_at: datetime,
        category: Category,
        description: Sealed,
        location: Sealed,
        lead_department: Department,
        complainant_ref: UUID,
        preferred_contact: ContactMethod,
        ward: str | None,
    ) -> None:
        self.reference = reference
        self.channel = channel
        self.received_at = received_at
        self.category = category
        self.description = description
        self.location = location
        self.lead_department = lead_department
        self.complainant_ref = complainant_ref
        self.preferred_contact = preferred_contact
        self.ward = ward
        self.opened_by = actor
        self.head_hash = GENESIS
        self.closed = False
        self.closure_reason: ClosureReason | None = None
        self.closed_at: datetime | None = None
        self.reopen_count = 0
        self.persons: dict[UUID, LinkedPerson] = {}
        self.incidents: dict[UUID, Incident] = {}
        self.assessments: list[Assessment] = []
        self.actions: dict[str, PlannedAction] = {}
        self.timescales: Timescales | None = None
        self.contacts: list[Contact] = []
        self.support_referrals: list[SupportReferral] = []
        self.shares: list[Share] = []
        self.police_referrals: list[PoliceReferral] = []
        self.agencies: dict[str, Agency] = {}
        self.enforcement: list[Enforcement] = []
        self.next_review_due: date | None = None
        self.case_reviews: dict[UUID, CaseReviewRequest] = {}

    # ------------------------------------------------------------ plumbing

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        rules.check_seal_scopes(self.id, kwargs)
        kwargs["prev_hash"] = self.head_hash
        super().trigger_event(event_class, **kwargs)

    def _open(self, action: str) -> None:
        if self.closed:
            raise RuleViolation(Rule.CASE_CLOSED, f"case is closed: cannot {action}")

    # ------------------------------------------------------------ commands

    @classmethod
    def open(
        cls,
        *,
        case_id: UUID,
        actor: Actor,
        occurred_at: datetime,
        reference: str,
        channel: Channel,
        received_at: datetime,
        category: Category,
        description: Sealed | None,
        location: Sealed | None,
        lead_department: Department,
        complainant_ref: UUID,
        complainant: PersonDetails,
        preferred_contact: ContactMethod,
        ward: str | None = None,
    ) -> Case:
        """Opens a case from a complaint."""
        rules.require(description, "description")
        rules.require(location, "location")
        rules.check_seal_scopes(
            case_id,
            {
                "description": description,
                "location": location,
                "complainant": complainant,
                "complainant_ref": complainant_ref,
            },
        )
        return cls._create(
            events.CaseOpened,
            id=case_id,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            prev_hash=GENESIS,
            reference=reference,
            channel=channel,
            received_at=_utc(received_at, "received_at"),
            category=category,
            description=description,
            location=location,
            lead_department=lead_department,
            complainant_ref=complainant_ref,
            complainant=complainant,
            preferred_contact=preferred_contact,
            ward=ward,
        )

    def link_person(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        person_ref: UUID,
        role: PersonRole,
        details: PersonDetails | None = None,
        vulnerabilities: tuple[Vulnerability, ...] = (),
        vulnerability_note: Sealed | None = None,
        self_declared_repeat_victim: bool = False,
    ) -> None:
        """Links a person to the case in a role."""
        self._open("link a person")
        known = self.persons.get(person_ref)
        if known is not None and role in known.roles:
            raise RuleViolation(
                Rule.PERSON_ALREADY_LINKED, f"person already linked as {role.value}"
            )
        if known is None and details is None:
            raise RuleViolation(Rule.TEXT_REQUIRED, "details are required for a new person")
        self.trigger_event(
            events.PersonLinked,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            person_ref=person_ref,
            role=role,
            details=details,
            vulnerabilities=tuple(dict.fromkeys(vulnerabilities)),
            vulnerability_note=vulnerability_note,
            self_declared_repeat_victim=self_declared_repeat_victim,
        )

    def record_incident(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        incident_id: UUID,
        incident_type: IncidentType,
        description: Sealed | None,
        harms: tuple[HarmIndicator, ...],
        criminal: bool,
        victim_refs: tuple[UUID, ...] = (),
        location: Sealed | None = None,
    ) -> None:
        """Records an incident of ASB."""
        self._open("record an incident")
        rules.require(description, "description")
        if incident_id in self.incidents:
            raise RuleViolation(Rule.INCIDENT_DUPLICATE, f"incident {incident_id} already recorded")
        self._require_linked(victim_refs, "victim_refs")
        self.trigger_event(
            events.IncidentRecorded,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            incident_id=incident_id,
            incident_type=incident_type,
            description=description,
            location=location,
            harms=tuple(dict.fromkeys(harms)),
            criminal=criminal,
            victim_refs=tuple(dict.fromkeys(victim_refs)),
        )

    def assess_risk(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        instrument: str,
        instrument_version: int,
        answers: Mapping[str, int],
        victim_ref: UUID | None = None,
        override: RiskOverride | None = None,
        rationale: Sealed | None = None,
    ) -> None:
        """Assesses (or reassesses) risk; the level is computed, an override is kept beside it."""
        self._open("assess risk")
        used = find_instrument(instrument, instrument_version)
        score, computed = used.score(answers)
        if override is not None and override.rationale is None:
            raise RuleViolation(
                Rule.RISK_OVERRIDE_RATIONALE, "an override of the computed level needs a rationale"
            )
        if victim_ref is not None:
            self._require_linked((victim_ref,), "victim_ref")
        self.trigger_event(
            events.RiskAssessed,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            instrument=used.name,
            instrument_version=used.version,
            answers={q.key: answers[q.key] for q in used.questions},
            score=score,
            computed_level=computed,
            level=override.level if override is not None else computed,
            override=override,
            assessor=actor.user_id,
            victim_ref=victim_ref,
            rationale=rationale,
        )

    def plan_action(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        action_id: str,
        description: Sealed | None,
        owner_agency: Agency | None,
        owner_officer: str | None,
        due: date | None,
    ) -> None:
        """Adds an action to the plan: it needs an owner and a due date."""
        self._open("plan an action")
        rules.require(description, "description")
        if owner_agency is None or not (owner_officer or "").strip():
            raise RuleViolation(
                Rule.ACTION_OWNER_REQUIRED, "an action needs an owner agency and officer"
            )
        if due is None:
            raise RuleViolation(Rule.ACTION_DUE_REQUIRED, "an action needs a due date")
        if action_id in self.actions:
            raise RuleViolation(Rule.ACTION_DUPLICATE, f"action {action_id} already planned")
        self.trigger_event(
            events.ActionPlanned,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            action_id=action_id,
            description=description,
            owner_agency=owner_agency,
            owner_officer=(owner_officer or "").strip(),
            due=due,
        )

    def complete_action(
        self, *, actor: Actor, occurred_at: datetime, action_id: str, outcome: Sealed | None
    ) -> None:
        """Marks a planned action done, with its outcome."""
        self._finish_action(events.ActionCompleted, actor, occurred_at, action_id, outcome)

    def cancel_action(
        self, *, actor: Actor, occurred_at: datetime, action_id: str, outcome: Sealed | None
    ) -> None:
        """Cancels a planned action, with the reason."""
        self._finish_action(events.ActionCancelled, actor, occurred_at, action_id, outcome)

    def _finish_action(
        self,
        event_class: type[Any],
        actor: Actor,
        occurred_at: datetime,
        action_id: str,
        outcome: Sealed | None,
    ) -> None:
        self._open("change an action")
        rules.require(outcome, "outcome")
        action = self.actions.get(action_id)
        if action is None:
            raise RuleViolation(Rule.ACTION_UNKNOWN, f"no action {action_id} in the plan")
        if action.status is not ActionStatus.OPEN:
            raise RuleViolation(
                Rule.ACTION_NOT_OPEN, f"action {action_id} is {action.status.value}"
            )
        self.trigger_event(
            event_class,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            action_id=action_id,
            outcome=outcome,
        )

    def agree_timescales(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        first_contact_due: date,
        next_review_due: date,
        target_resolution: date,
        agreed_with: tuple[Agency, ...] = (),
    ) -> None:
        """Records timescales agreed with the victim and partners."""
        self._open("agree timescales")
        if not first_contact_due <= target_resolution or not next_review_due <= target_resolution:
            raise RuleViolation(
                Rule.TIMESCALES_ORDER,
                "first contact and next review must fall on or before the target resolution",
            )
        self.trigger_event(
            events.TimescalesAgreed,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            first_contact_due=first_contact_due,
            next_review_due=next_review_due,
            target_resolution=target_resolution,
            agreed_with=tuple(dict.fromkeys(agreed_with)),
        )

    def record_contact(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        person_ref: UUID,
        method: ContactMethod,
        direction: ContactDirection,
        outcome: ContactOutcome,
        summary: Sealed | None,
    ) -> None:
        """Records a contact, or an attempt, with a linked person."""
        self._open("record a contact")
        rules.require(summary, "summary")
        self._require_linked((person_ref,), "person_ref")
        self.trigger_event(
            events.ContactRecorded,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            person_ref=person_ref,
            method=method,
            direction=direction,
            outcome=outcome,
            summary=summary,
            preferred_method_used=method is self.preferred_contact,
        )

    def refer_for_support(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        person_ref: UUID,
        service: SupportService,
        organisation: str,
        needs: Sealed | None,
        consent: ConsentStatus,
        consent_note: Sealed | None = None,
    ) -> None:
        """Refers a person to a support service, recording consent or why it was not needed."""
        self._open("make a support referral")
        rules.require(needs, "needs")
        self._require_linked((person_ref,), "person_ref")
        rules.check_support_consent(consent, consent_note)
        self.trigger_event(
            events.SupportReferralMade,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            person_ref=person_ref,
            service=service,
            organisation=rules.text(organisation, "organisation"),
            needs=needs,
            consent=consent,
            consent_note=consent_note,
        )

    def share_information(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        share_id: UUID,
        recipient: Recipient | None,
        items: tuple[str, ...],
        purpose: SharePurpose | None,
        justification: Sealed | None,
        lawful_basis: LawfulBasis | None,
        gateway: LegalGateway,
        includes_special_category: bool,
        condition: SpecialCategoryCondition | None,
        consent: ConsentStatus,
        consent_note: Sealed | None,
        authorised_by: str,
        protocol_reference: str = "One Staffordshire ISP",
        onward_use_permitted: bool = False,
    ) -> None:
        """Shares named items with a relevant organisation under the sharing protocol."""
        self._open("share information")
        checked = rules.check_share(
            recipient=recipient,
            items=items,
            purpose=purpose,
            justification=justification,
            lawful_basis=lawful_basis,
            includes_special_category=includes_special_category,
            condition=condition,
            consent=consent,
            consent_note=consent_note,
            authorised_by=authorised_by,
            known_incidents=self.incidents.keys(),
            known_persons=self.persons.keys(),
        )
        self.trigger_event(
            events.InformationShared,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            share_id=share_id,
            recipient=recipient,
            items=checked,
            purpose=purpose,
            justification=justification,
            lawful_basis=lawful_basis,
            gateway=gateway,
            includes_special_category=includes_special_category,
            condition=condition,
            consent=consent,
            consent_note=consent_note,
            authorised_by=authorised_by.strip(),
            protocol_reference=rules.text(protocol_reference, "protocol_reference"),
            onward_use_permitted=onward_use_permitted,
        )

    def refer_to_police(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        incident_ids: tuple[UUID, ...],
        police_reference: str,
        disseminated_at: datetime,
    ) -> None:
        """Records that incidents were disseminated to the police."""
        self._open("refer to the police")
        ids = tuple(dict.fromkeys(incident_ids))
        if not ids:
            raise RuleViolation(Rule.POLICE_REFERRAL_INCIDENTS, "name the incidents referred")
        unknown = [str(i) for i in ids if i not in self.incidents]
        if unknown:
            raise RuleViolation(Rule.INCIDENT_UNKNOWN, f"no such incidents: {', '.join(unknown)}")
        if all(self.incidents[i].police_referred for i in ids):
            raise RuleViolation(
                Rule.POLICE_REFERRAL_DUPLICATE, "these incidents were already referred"
            )
        self.trigger_event(
            events.PoliceReferralMade,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            incident_ids=ids,
            police_reference=rules.text(police_reference, "police_reference"),
            disseminated_at=_utc(disseminated_at, "disseminated_at"),
        )

    def add_agency(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        agency: Agency,
        organisation: str,
        role: Sealed | None,
        contact: Sealed | None = None,
    ) -> None:
        """Adds a partner agency to the case."""
        self._open("add an agency")
        name = rules.text(organisation, "organisation")
        if name in self.agencies:
            raise RuleViolation(Rule.AGENCY_ALREADY_JOINED, f"{name} is already on the case")
        self.trigger_event(
            events.AgencyJoined,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            agency=agency,
            organisation=name,
            role=rules.require(role, "role"),
            contact=contact,
        )

    def take_enforcement_action(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        tool: EnforcementTool,
        subject_ref: UUID,
        legislation: str,
        outcome: Sealed | None,
    ) -> None:
        """Records a formal tool used against a linked alleged perpetrator."""
        self._open("record enforcement")
        rules.require(outcome, "outcome")
        person = self.persons.get(subject_ref)
        if person is None or PersonRole.ALLEGED_PERPETRATOR not in person.roles:
            raise RuleViolation(
                Rule.ENFORCEMENT_SUBJECT, "the subject must be linked as an alleged perpetrator"
            )
        rules.check_enforcement_sequence(tool, subject_ref, self.enforcement)
        self.trigger_event(
            events.EnforcementActionTaken,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            tool=tool,
            subject_ref=subject_ref,
            legislation=rules.text(legislation, "legislation"),
            outcome=outcome,
        )

    def review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        outcome: ReviewOutcome,
        notes: Sealed | None,
        next_review_due: date,
    ) -> None:
        """Records a case review and the next review date."""
        self._open("review")
        rules.require(notes, "notes")
        self.trigger_event(
            events.CaseReviewed,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            outcome=outcome,
            notes=notes,
            next_review_due=next_review_due,
        )

    def request_case_review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        request_id: UUID,
        applicant_ref: UUID,
        received_at: datetime,
    ) -> None:
        """Records an ASB Case Review (Community Trigger) request by a linked person."""
        self._open("request a case review (reopen it first)")
        if request_id in self.case_reviews:
            raise RuleViolation(Rule.CASE_REVIEW_DUPLICATE, f"request {request_id} already made")
        self._require_linked((applicant_ref,), "applicant_ref")
        self.trigger_event(
            events.CaseReviewRequested,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            request_id=request_id,
            applicant_ref=applicant_ref,
            received_at=_utc(received_at, "received_at"),
        )

    def decide_case_review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        request_id: UUID,
        decision: CaseReviewDecision,
        outcome: Sealed | None,
    ) -> None:
        """Records the threshold decision and outcome of an ASB Case Review."""
        self._open("decide a case review")
        rules.require(outcome, "outcome")
        request = self.case_reviews.get(request_id)
        if request is None:
            raise RuleViolation(Rule.CASE_REVIEW_UNKNOWN, f"no case review request {request_id}")
        if (
            request.decision is not CaseReviewDecision.PENDING
            or decision is CaseReviewDecision.PENDING
        ):
            raise RuleViolation(Rule.CASE_REVIEW_DECIDED, "a case review is decided once")
        self.trigger_event(
            events.CaseReviewDecided,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            request_id=request_id,
            decision=decision,
            outcome=outcome,
        )

    def close(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        reason: ClosureReason,
        full_reasons: Sealed | None,
        feedback: Feedback | None,
        explanation: Sealed | None = None,
        advice: Sealed | None = None,
    ) -> None:
        """Closes the case formally, with full reasons and feedback to the complainant."""
        self._open("close it again")
        when = _utc(occurred_at, "occurred_at")
        if full_reasons is None:
            raise RuleViolation(Rule.CLOSURE_REASONS_REQUIRED, "a closure needs full reasons")
        if feedback is None:
            raise RuleViolation(Rule.CLOSURE_FEEDBACK_REQUIRED, "a closure needs feedback given")
        used_preferred = feedback.method is self.preferred_contact
        if not used_preferred and feedback.why_not_preferred is None:
            raise RuleViolation(
                Rule.CLOSURE_PREFERRED_METHOD,
                f"feedback was not by the preferred method ({self.preferred_contact.value}):"
                " record why",
            )
        if reason.needs_explanation_and_advice and (explanation is None or advice is None):
            raise RuleViolation(
                Rule.CLOSURE_EXPLANATION_REQUIRED,
                f"a {reason.value} closure needs the explanation and the advice given",
            )
        rules.check_closure_authority(self, actor)
        if reason is ClosureReason.NO_CONTACT:
            rules.check_no_contact(self.contacts, self.complainant_ref, when)
        self.trigger_event(
            events.CaseClosed,
            actor=actor,
            occurred_at=when,
            reason=reason,
            full_reasons=full_reasons,
            feedback=replace(
                feedback,
                given_at=_utc(feedback.given_at, "feedback.given_at"),
                preferred_method_used=used_preferred,
            ),
            explanation=explanation,
            advice=advice,
        )

    def reopen(self, *, actor: Actor, occurred_at: datetime, reason: Sealed | None) -> None:
        """Reopens a closed case."""
        if not self.closed:
            raise RuleViolation(Rule.CASE_NOT_CLOSED, "only a closed case can be reopened")
        if reason is None:
            raise RuleViolation(Rule.REOPEN_REASON_REQUIRED, "a reopening needs a reason")
        self.trigger_event(
            events.CaseReopened,
            actor=actor,
            occurred_at=_utc(occurred_at, "occurred_at"),
            reason=reason,
        )

    # ------------------------------------------------------------ queries

    def _require_linked(self, refs: tuple[UUID, ...], name: str) -> None:
        missing = [str(ref) for ref in refs if ref not in self.persons]
        if missing:
            raise RuleViolation(
                Rule.PERSON_NOT_LINKED, f"{name}: not linked to this case: {missing}"
            )

    @property
    def risk_level(self) -> RiskLevel | None:
        return self.assessments[-1].level if self.assessments else None

    @property
    def unreferred_criminal_incidents(self) -> list[UUID]:
        return [i for i, inc in self.incidents.items() if inc.criminal and not inc.police_referred]

    @property
    def open_actions(self) -> list[str]:
        return [a for a, act in self.actions.items() if act.status is ActionStatus.OPEN]

    def state(self) -> dict[str, Any]:
        """The case's state as a plain dict (for equality checks and replay diffs)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}
