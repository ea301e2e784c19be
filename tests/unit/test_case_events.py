"""Given a case, when a caseworker acts, then exactly the expected event is recorded."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from ledger import events
from ledger.case import Case
from ledger.enums import (
    ActionStatus,
    Agency,
    CaseReviewDecision,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    EnforcementTool,
    HarmIndicator,
    PersonRole,
    Provision,
    ReviewOutcome,
    RiskLevel,
    SupportService,
    Vulnerability,
)
from ledger.events import CaseEvent
from ledger.integrity import GENESIS
from ledger.risk import ASB_VRA_V1
from ledger.values import RiskOverride
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit, due


@pytest.fixture
def case(kit: CaseKit) -> Case:
    opened = kit.open()
    kit.ledger.save_new_case(opened)
    return opened


def recorded(case: Case) -> CaseEvent:
    """The one event the command under test triggered."""
    pending = case.collect_events()
    assert len(pending) == 1, pending
    event = pending[0]
    assert isinstance(event, CaseEvent)
    return event


def answers(**given: int) -> dict[str, int]:
    base = {q.key: 0 for q in ASB_VRA_V1.questions}
    base["q11_support"] = 2  # has support: scores 0, the question being reversed
    base.update(given)
    return base


def test_opening_records_the_complaint_and_links_the_complainant(kit: CaseKit) -> None:
    case = kit.open()
    event = recorded(case)
    assert isinstance(event, events.CaseOpened)
    assert event.prev_hash == GENESIS
    assert event.actor == CASEWORKER
    assert case.version == 1
    assert case.reference.startswith("ASB-2026-")
    assert case.persons[kit.complainant].roles == {PersonRole.COMPLAINANT}
    assert kit.ledger.sealer.unseal(case.description, case_id=case.id, field="description") == (
        "noise from next door"
    )


def test_linking_a_vulnerable_victim(kit: CaseKit, case: Case) -> None:
    victim = uuid4()
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=victim,
        role=PersonRole.VICTIM,
        details=kit.details(victim),
        vulnerabilities=(Vulnerability.DISABILITY, Vulnerability.DISABILITY),
        vulnerability_note=kit.personal(victim, "wheelchair user", "vulnerability_note"),
    )
    event = recorded(case)
    assert isinstance(event, events.PersonLinked)
    assert event.vulnerabilities == (Vulnerability.DISABILITY,)
    assert case.persons[victim].vulnerabilities == {Vulnerability.DISABILITY}


def test_a_known_person_can_take_a_second_role_without_details(case: Case, kit: CaseKit) -> None:
    case.link_person(
        actor=CASEWORKER, occurred_at=T0, person_ref=kit.complainant, role=PersonRole.VICTIM
    )
    assert isinstance(recorded(case), events.PersonLinked)
    assert case.persons[kit.complainant].roles == {PersonRole.COMPLAINANT, PersonRole.VICTIM}


def test_recording_a_criminal_incident_leaves_it_unreferred(kit: CaseKit, case: Case) -> None:
    incident = kit.incident(
        case, days=-2, criminal=True, harms=(HarmIndicator.TARGETED,), victims=(kit.complainant,)
    )
    event = recorded(case)
    assert isinstance(event, events.IncidentRecorded)
    assert event.occurred_at == T0 - timedelta(days=2)
    assert case.unreferred_criminal_incidents == [incident]


def test_risk_is_scored_by_the_named_instrument(case: Case) -> None:
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=T0,
        instrument="asb-vra",
        instrument_version=1,
        answers=answers(q4_violence=2),
    )
    event = recorded(case)
    assert isinstance(event, events.RiskAssessed)
    assert (event.score, event.computed_level, event.level) == (
        2,
        RiskLevel.MEDIUM,
        RiskLevel.MEDIUM,
    )
    assert event.assessor == CASEWORKER.user_id
    assert case.risk_level is RiskLevel.MEDIUM


def test_an_override_keeps_both_levels(kit: CaseKit, case: Case) -> None:
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=T0,
        instrument="asb-vra",
        instrument_version=1,
        answers=answers(),
        override=RiskOverride(level=RiskLevel.HIGH, rationale=kit.text("police intelligence")),
    )
    event = recorded(case)
    assert isinstance(event, events.RiskAssessed)
    assert (event.computed_level, event.level) == (RiskLevel.STANDARD, RiskLevel.HIGH)
    assert case.assessments[-1].overridden


def test_planning_completing_and_cancelling_actions(kit: CaseKit, case: Case) -> None:
    for action_id in ("A1", "A2"):
        case.plan_action(
            actor=CASEWORKER,
            occurred_at=T0,
            action_id=action_id,
            description=kit.text("visit"),
            owner_agency=Agency.COUNCIL,
            owner_officer=" Casey ",
            due=due(5),
        )
        assert isinstance(recorded(case), events.ActionPlanned)
    case.complete_action(actor=CASEWORKER, occurred_at=T0, action_id="A1", outcome=kit.text("done"))
    assert isinstance(recorded(case), events.ActionCompleted)
    case.cancel_action(actor=CASEWORKER, occurred_at=T0, action_id="A2", outcome=kit.text("moot"))
    assert isinstance(recorded(case), events.ActionCancelled)
    assert case.actions["A1"].status is ActionStatus.COMPLETED
    assert case.actions["A1"].owner_officer == "Casey"
    assert case.actions["A2"].status is ActionStatus.CANCELLED
    assert case.open_actions == []


def test_agreeing_timescales(case: Case) -> None:
    case.agree_timescales(
        actor=CASEWORKER,
        occurred_at=T0,
        first_contact_due=due(1),
        next_review_due=due(14),
        target_resolution=due(60),
        agreed_with=(Agency.POLICE,),
    )
    assert isinstance(recorded(case), events.TimescalesAgreed)
    assert case.next_review_due == due(14)


def test_a_contact_notes_whether_the_preferred_method_was_used(kit: CaseKit, case: Case) -> None:
    for method in (ContactMethod.PHONE, ContactMethod.LETTER):
        case.record_contact(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=kit.complainant,
            method=method,
            direction=ContactDirection.OUTBOUND,
            outcome=ContactOutcome.REACHED,
            summary=kit.text("spoke about the diary"),
        )
        assert isinstance(recorded(case), events.ContactRecorded)
    assert [c.preferred_method_used for c in case.contacts] == [True, False]


def test_a_support_referral_with_consent(kit: CaseKit, case: Case) -> None:
    case.refer_for_support(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=kit.complainant,
        service=SupportService.VICTIMS_GATEWAY,
        organisation="Victims Gateway",
        needs=kit.text("emotional support"),
        consent=ConsentStatus.GIVEN,
    )
    assert isinstance(recorded(case), events.SupportReferralMade)
    assert case.support_referrals[0].service is SupportService.VICTIMS_GATEWAY


def test_sharing_named_items(kit: CaseKit, case: Case) -> None:
    incident = kit.incident(case)
    case.collect_events()
    case.share_information(**kit.share_kwargs(items=("case_summary", f"incident:{incident}")))  # type: ignore[arg-type]
    event = recorded(case)
    assert isinstance(event, events.InformationShared)
    assert event.protocol_reference == "One Staffordshire ISP"
    assert not event.onward_use_permitted
    assert case.shares[0].items == ("case_summary", f"incident:{incident}")


def test_a_police_referral_marks_its_incidents_referred(kit: CaseKit, case: Case) -> None:
    incident = kit.incident(case, criminal=True)
    case.collect_events()
    case.refer_to_police(
        actor=CASEWORKER,
        occurred_at=T0,
        incident_ids=(incident,),
        police_reference=" SP-1 ",
        organisation="test-police",
        disseminated_at=T0,
    )
    event = recorded(case)
    assert isinstance(event, events.PoliceReferralMade)
    assert event.police_reference == "SP-1"
    assert case.unreferred_criminal_incidents == []


def test_an_agency_joins(kit: CaseKit, case: Case) -> None:
    case.add_agency(
        actor=CASEWORKER,
        occurred_at=T0,
        agency=Agency.HOUSING_PROVIDER,
        organisation="Test Homes",
        role=kit.text("landlord", "agency.role"),
    )
    assert isinstance(recorded(case), events.AgencyJoined)
    assert case.agencies == {"Test Homes": Agency.HOUSING_PROVIDER}


def test_enforcement_warning_then_notice(kit: CaseKit, case: Case) -> None:
    perpetrator = uuid4()
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=perpetrator,
        role=PersonRole.ALLEGED_PERPETRATOR,
        details=kit.details(perpetrator),
    )
    case.collect_events()
    for tool in (
        EnforcementTool.COMMUNITY_PROTECTION_WARNING,
        EnforcementTool.COMMUNITY_PROTECTION_NOTICE,
    ):
        case.take_enforcement_action(
            actor=CASEWORKER,
            occurred_at=T0,
            tool=tool,
            subject_ref=perpetrator,
            legislation=Provision.ASBCPA_2014_S43,
            outcome=kit.text("served"),
        )
        assert isinstance(recorded(case), events.EnforcementActionTaken)
    assert [e.tool for e in case.enforcement][-1] is EnforcementTool.COMMUNITY_PROTECTION_NOTICE


def test_a_review_sets_the_next_review(kit: CaseKit, case: Case) -> None:
    case.review(
        actor=SUPERVISOR,
        occurred_at=T0,
        outcome=ReviewOutcome.CONTINUE,
        notes=kit.text("progressing"),
        next_review_due=due(28),
    )
    assert isinstance(recorded(case), events.CaseReviewed)
    assert case.next_review_due == due(28)


def test_a_case_review_request_and_its_decision(kit: CaseKit, case: Case) -> None:
    request = uuid4()
    case.request_case_review(
        actor=CASEWORKER,
        occurred_at=T0,
        request_id=request,
        applicant_ref=kit.complainant,
        received_at=T0,
    )
    assert isinstance(recorded(case), events.CaseReviewRequested)
    case.decide_case_review(
        actor=SUPERVISOR,
        occurred_at=T0,
        request_id=request,
        decision=CaseReviewDecision.THRESHOLD_MET,
        outcome=kit.text("panel recommends a joint visit"),
    )
    assert isinstance(recorded(case), events.CaseReviewDecided)
    assert case.case_reviews[request].decision is CaseReviewDecision.THRESHOLD_MET


def test_closing_with_no_further_action_then_reopening(kit: CaseKit, case: Case) -> None:
    case.close(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=30),
        reason=ClosureReason.NO_FURTHER_ACTION,
        full_reasons=kit.text("no evidence of ASB"),
        feedback=kit.feedback(),
        explanation=kit.text("normal living noise"),
        advice=kit.text("keep a diary; mediation"),
    )
    event = recorded(case)
    assert isinstance(event, events.CaseClosed)
    assert event.feedback.preferred_method_used
    assert case.closed
    assert case.closure_reason is ClosureReason.NO_FURTHER_ACTION
    case.reopen(
        actor=SUPERVISOR, occurred_at=T0 + timedelta(days=31), reason=kit.text("new report")
    )
    assert isinstance(recorded(case), events.CaseReopened)
    assert not case.closed
    assert case.reopen_count == 1


def test_assigning_and_reassigning(case: Case) -> None:
    case.assign(actor=CASEWORKER, occurred_at=T0, team="north", officer=" cw-1 ")
    event = recorded(case)
    assert isinstance(event, events.CaseAssigned)
    assert (event.team, event.officer) == ("north", "cw-1")
    case.assign(actor=SUPERVISOR, occurred_at=T0 + timedelta(days=1), team="south", officer="")
    assert isinstance(recorded(case), events.CaseAssigned)
    assert (case.team, case.officer) == ("south", None)


def test_closure_is_kept_in_full_until_reopened(kit: CaseKit, case: Case) -> None:
    case.close(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=30),
        reason=ClosureReason.RESOLVED,
        full_reasons=kit.text("resolved by mediation"),
        feedback=kit.feedback(),
    )
    assert case.closure is not None
    assert case.closure.reason is ClosureReason.RESOLVED
    assert case.closure.closed_by == CASEWORKER.user_id
    case.reopen(actor=SUPERVISOR, occurred_at=T0 + timedelta(days=31), reason=kit.text("again"))
    assert [r.reopened_by for r in case.reopenings] == [SUPERVISOR.user_id]


def test_every_event_links_to_the_one_before(kit: CaseKit, case: Case) -> None:
    kit.incident(case)
    kit.incident(case, days=1)
    first, second = case.collect_events()
    assert isinstance(first, CaseEvent)
    assert isinstance(second, CaseEvent)
    assert second.prev_hash == vars(first)["event_hash"]
    assert case.head_hash == vars(second)["event_hash"]


def test_times_are_kept_in_utc(kit: CaseKit) -> None:
    from zoneinfo import ZoneInfo

    london = (T0 + timedelta(days=120)).astimezone(ZoneInfo("Europe/London"))
    case = kit.open(when=london)
    assert case.received_at.utcoffset() == timedelta(0)
    assert case.received_at == london
