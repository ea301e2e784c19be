"""Driving cases for the risk and caseload views' tests: each step through the aggregate and
saved, as the commands would; and checks shared by both views' tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import Tracking

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Agency,
    CaseReviewDecision,
    ClosureReason,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    HarmIndicator,
    IncidentType,
    PersonRole,
    ReviewOutcome,
    RiskLevel,
    Vulnerability,
)
from ledger.risk import ASB_VRA_V1
from ledger.values import Receipt, RiskOverride
from projections.view import View
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit

PLAINTEXT = ("Cathy Complainant", "Vic Victim", "1 Test Street", "loud music", "a note")
"""Text sealed into the events by these tests: none of it may reach a view's tables."""


class Steps:
    """Drives cases through the aggregate and saves each step, as the commands would."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger
        self.kits: dict[UUID, CaseKit] = {}
        self.last: Receipt | None = None

    def save(self, case: Case) -> Receipt:
        self.last = self.ledger.save_case(case)
        return self.last

    def open(self, team: str | None = "north", officer: str | None = None, days: int = 0) -> Case:
        kit = CaseKit(self.ledger)
        case = kit.open(when=T0 + timedelta(days=days))
        self.kits[case.id] = kit
        self.last = self.ledger.save_new_case(case)
        if team is not None:
            case.assign(actor=SUPERVISOR, occurred_at=T0, team=team, officer=officer)
            self.save(case)
        return case

    def victim(
        self,
        case: Case,
        ref: UUID | None = None,
        vulnerable: tuple[Vulnerability, ...] = (),
        declared: bool = False,
        role: PersonRole = PersonRole.VICTIM,
    ) -> UUID:
        ref = ref or uuid4()
        kit = self.kits[case.id]
        case.link_person(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=ref,
            role=role,
            details=kit.details(ref, "Vic Victim"),
            vulnerabilities=vulnerable,
            vulnerability_note=kit.personal(ref, "a note", "vulnerability_note")
            if vulnerable
            else None,
            self_declared_repeat_victim=declared,
        )
        self.save(case)
        return ref

    def incident(
        self,
        case: Case,
        days: float,
        *harms: HarmIndicator,
        victims: tuple[UUID, ...] = (),
        criminal: bool = False,
    ) -> UUID:
        incident_id = uuid4()
        case.record_incident(
            actor=CASEWORKER,
            occurred_at=T0 + timedelta(days=days),
            incident_id=incident_id,
            incident_type=self._type(harms),
            description=self.kits[case.id].text("loud music", "incident.description"),
            harms=harms,
            criminal=criminal,
            victim_refs=victims,
        )
        self.save(case)
        return incident_id

    @staticmethod
    def _type(harms: tuple[HarmIndicator, ...]) -> IncidentType:
        return IncidentType.HARASSMENT if harms else IncidentType.NOISE

    def assess(
        self, case: Case, level: RiskLevel, days: float = 0, victim: UUID | None = None
    ) -> None:
        answers = {q.key: 0 for q in ASB_VRA_V1.questions}
        answers["q11_support"] = 2  # reversed: scores 0, so the computed level is standard
        override = (
            None
            if level is RiskLevel.STANDARD
            else RiskOverride(level=level, rationale=self.kits[case.id].text("why", "rationale"))
        )
        case.assess_risk(
            actor=CASEWORKER,
            occurred_at=T0 + timedelta(days=days),
            instrument="asb-vra",
            instrument_version=1,
            answers=answers,
            override=override,
            victim_ref=victim,
        )
        self.save(case)

    def contact(self, case: Case, person: UUID, outcome: ContactOutcome, days: float = 1) -> None:
        case.record_contact(
            actor=CASEWORKER,
            occurred_at=T0 + timedelta(days=days),
            person_ref=person,
            method=ContactMethod.PHONE,
            direction=ContactDirection.OUTBOUND,
            outcome=outcome,
            summary=self.kits[case.id].text("a note", "summary"),
        )
        self.save(case)

    def refer(self, case: Case, *incidents: UUID) -> None:
        case.refer_to_police(
            actor=CASEWORKER,
            occurred_at=T0,
            incident_ids=incidents,
            police_reference="SP-1",
            organisation="test-police",
            disseminated_at=max(case.incidents[i].occurred_at for i in incidents),
        )
        self.save(case)

    def plan(self, case: Case, action_id: str, due: date) -> None:
        case.plan_action(
            actor=CASEWORKER,
            occurred_at=T0,
            action_id=action_id,
            description=self.kits[case.id].text("a note", "description"),
            owner_agency=Agency.COUNCIL,
            owner_officer="cw-1",
            due=due,
        )
        self.save(case)

    def finish(self, case: Case, action_id: str, completed: bool = True) -> None:
        step = case.complete_action if completed else case.cancel_action
        step(
            actor=CASEWORKER,
            occurred_at=T0,
            action_id=action_id,
            outcome=self.kits[case.id].text("a note", "outcome"),
        )
        self.save(case)

    def agree(self, case: Case, first: date, review: date, target: date) -> None:
        case.agree_timescales(
            actor=CASEWORKER,
            occurred_at=T0,
            first_contact_due=first,
            next_review_due=review,
            target_resolution=target,
            agreed_with=(Agency.POLICE,),
        )
        self.save(case)

    def review(self, case: Case, next_due: date) -> None:
        case.review(
            actor=SUPERVISOR,
            occurred_at=T0,
            outcome=ReviewOutcome.CONTINUE,
            notes=self.kits[case.id].text("a note", "notes"),
            next_review_due=next_due,
        )
        self.save(case)

    def close(self, case: Case) -> None:
        kit = self.kits[case.id]
        case.close(
            actor=SUPERVISOR,
            occurred_at=T0 + timedelta(days=30),
            reason=ClosureReason.RESOLVED,
            full_reasons=kit.text("a note", "full_reasons"),
            feedback=kit.feedback(),
        )
        self.save(case)

    def reopen(self, case: Case) -> None:
        case.reopen(
            actor=SUPERVISOR,
            occurred_at=T0 + timedelta(days=31),
            reason=self.kits[case.id].text("a note", "reason"),
        )
        self.save(case)

    def case_review(
        self,
        case: Case,
        days: float = 1,
        *,
        acknowledged: bool = False,
        decision: CaseReviewDecision = CaseReviewDecision.PENDING,
        concluded: bool = False,
    ) -> UUID:
        """An ASB Case Review requested by the complainant ``days`` after T0, and its
        steps, each a day after the one before."""
        kit, request = self.kits[case.id], uuid4()
        when = T0 + timedelta(days=days)
        case.request_case_review(
            actor=CASEWORKER, occurred_at=when, request_id=request,
            applicant_ref=kit.complainant, received_at=when,
        )  # fmt: skip
        self.save(case)
        if acknowledged:
            case.acknowledge_case_review(
                actor=CASEWORKER, occurred_at=when + timedelta(days=1), request_id=request
            )
            self.save(case)
        if decision is not CaseReviewDecision.PENDING:
            case.decide_case_review(
                actor=SUPERVISOR, occurred_at=when + timedelta(days=2), request_id=request,
                decision=decision, outcome=kit.text("a note", "outcome"),
            )  # fmt: skip
            self.save(case)
        if concluded:
            case.conclude_case_review(
                actor=SUPERVISOR, occurred_at=when + timedelta(days=3), request_id=request,
                recommendations=kit.text("a note", "recommendations"),
            )  # fmt: skip
            self.save(case)
        return request

    def reassign(self, case: Case, team: str, officer: str | None = None) -> None:
        case.assign(actor=SUPERVISOR, occurred_at=T0, team=team, officer=officer)
        self.save(case)


def assert_no_plaintext(view: View, contents: dict[str, list[tuple[Any, ...]]]) -> None:
    """No text sealed into an event appears in any of the view's rows."""
    assert contents, view.view_name
    for table, rows in contents.items():
        for row in rows:
            for value in row:
                if isinstance(value, str):
                    assert not any(text in value for text in PLAINTEXT), (table, value)


def redeliver_everything(ledger: CaseLedger, view: View) -> None:
    """Every notification again, newest first, at positions past the tracking: the rows
    ignore events they already have (their own guard, beside the tracking's)."""
    notes = ledger.recorder.select_notifications(1, 10_000)
    projection = view.projection()
    head = notes[-1].id
    with view.page():
        for offset, note in enumerate(reversed(notes), start=1):
            tracking = Tracking(ledger.name, head + offset)
            if note.topic in projection.topics:
                projection.process_event(ledger.mapper.to_domain_event(note), tracking)
            else:
                projection.skip(tracking)
