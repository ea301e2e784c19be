"""Given a case, when a command breaks a rule, then its rule code is raised and nothing changes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from ledger.case import Case
from ledger.enums import (
    Agency,
    CaseReviewDecision,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    EnforcementTool,
    LawfulBasis,
    PersonRole,
    Provision,
    ReviewOutcome,
    RiskLevel,
    SupportService,
)
from ledger.errors import Rule, RuleViolation
from ledger.risk import ASB_VRA_V1
from ledger.values import Recipient, RiskOverride
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit, due


@pytest.fixture
def case(kit: CaseKit) -> Case:
    opened = kit.open()
    opened.collect_events()
    return opened


def refused(case: Case, rule: Rule, command: Callable[[], object]) -> None:
    """Then: the rule's code is raised, no event is pending and the state is unchanged."""
    before = copy.deepcopy(case.state())
    version = case.version
    with pytest.raises(RuleViolation) as raised:
        command()
    assert raised.value.rule is rule, raised.value
    assert case.version == version
    assert case.collect_events() == []
    assert case.state() == before


def closed(kit: CaseKit, case: Case) -> Case:
    case.close(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=30),
        reason=ClosureReason.RESOLVED,
        full_reasons=kit.text("resolved by mediation"),
        feedback=kit.feedback(),
    )
    case.collect_events()
    return case


def close_as(kit: CaseKit, case: Case, **overrides: object) -> Callable[[], None]:
    kwargs: dict[str, object] = dict(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=30),
        reason=ClosureReason.RESOLVED,
        full_reasons=kit.text("resolved"),
        feedback=kit.feedback(),
    )
    kwargs.update(overrides)
    return lambda: case.close(**kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------- closure state


def test_nothing_follows_closure_but_reopening(kit: CaseKit, case: Case) -> None:
    closed(kit, case)
    refused(case, Rule.CASE_CLOSED, lambda: kit.incident(case))
    refused(case, Rule.CASE_CLOSED, close_as(kit, case))
    refused(
        case,
        Rule.CASE_CLOSED,
        lambda: case.record_contact(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=kit.complainant,
            method=ContactMethod.PHONE,
            direction=ContactDirection.OUTBOUND,
            outcome=ContactOutcome.REACHED,
            summary=kit.text(),
        ),
    )


def test_only_a_closed_case_reopens(kit: CaseKit, case: Case) -> None:
    refused(
        case,
        Rule.CASE_NOT_CLOSED,
        lambda: case.reopen(actor=CASEWORKER, occurred_at=T0, reason=kit.text()),
    )


def test_reopening_needs_a_reason(kit: CaseKit, case: Case) -> None:
    closed(kit, case)
    refused(
        case,
        Rule.REOPEN_REASON_REQUIRED,
        lambda: case.reopen(actor=CASEWORKER, occurred_at=T0, reason=None),
    )


def test_an_assignment_must_change_something(case: Case) -> None:
    case.assign(actor=SUPERVISOR, occurred_at=T0, team="north", officer="cw-1")
    case.collect_events()
    refused(
        case,
        Rule.ASSIGNMENT_UNCHANGED,
        lambda: case.assign(actor=SUPERVISOR, occurred_at=T0, team=" north ", officer="cw-1 "),
    )


def test_an_assignment_needs_a_team(case: Case) -> None:
    refused(
        case,
        Rule.TEXT_REQUIRED,
        lambda: case.assign(actor=SUPERVISOR, occurred_at=T0, team="  ", officer="cw-1"),
    )


# ----------------------------------------------------------------- closure content


def test_closure_needs_full_reasons(kit: CaseKit, case: Case) -> None:
    refused(case, Rule.CLOSURE_REASONS_REQUIRED, close_as(kit, case, full_reasons=None))


def test_closure_needs_feedback(kit: CaseKit, case: Case) -> None:
    refused(case, Rule.CLOSURE_FEEDBACK_REQUIRED, close_as(kit, case, feedback=None))


@pytest.mark.parametrize(
    "reason",
    [r for r in ClosureReason if r.needs_explanation_and_advice],
)
@pytest.mark.parametrize("missing", ["explanation", "advice"])
def test_explained_closures_need_explanation_and_advice(
    kit: CaseKit, case: Case, reason: ClosureReason, missing: str
) -> None:
    given = {"explanation": kit.text("why"), "advice": kit.text("keep a diary")}
    given[missing] = None  # type: ignore[assignment]
    refused(case, Rule.CLOSURE_EXPLANATION_REQUIRED, close_as(kit, case, reason=reason, **given))


def test_feedback_by_another_method_needs_why(kit: CaseKit, case: Case) -> None:
    refused(
        case,
        Rule.CLOSURE_PREFERRED_METHOD,
        close_as(kit, case, feedback=kit.feedback(ContactMethod.LETTER)),
    )
    close_as(kit, case, feedback=kit.feedback(ContactMethod.LETTER, why_not="phone disconnected"))()
    assert case.closed


def test_high_risk_needs_a_supervisor_to_close(kit: CaseKit, case: Case) -> None:
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=T0,
        instrument="asb-vra",
        instrument_version=1,
        answers={q.key: 2 for q in ASB_VRA_V1.questions},
    )
    case.collect_events()
    assert case.risk_level is RiskLevel.HIGH
    refused(case, Rule.CLOSURE_NEEDS_SUPERVISOR, close_as(kit, case))
    close_as(kit, case, actor=SUPERVISOR)()
    assert case.closed


def test_an_unreferred_criminal_incident_needs_a_supervisor_to_close(
    kit: CaseKit, case: Case
) -> None:
    kit.incident(case, criminal=True)
    case.collect_events()
    refused(case, Rule.CLOSURE_NEEDS_SUPERVISOR, close_as(kit, case))


def test_an_open_action_needs_a_supervisor_to_close(kit: CaseKit, case: Case) -> None:
    case.plan_action(
        actor=CASEWORKER,
        occurred_at=T0,
        action_id="A1",
        description=kit.text(),
        owner_agency=Agency.COUNCIL,
        owner_officer="cw-1",
        due=due(3),
    )
    case.collect_events()
    refused(case, Rule.CLOSURE_NEEDS_SUPERVISOR, close_as(kit, case))


def _attempt(kit: CaseKit, case: Case, method: ContactMethod, when: datetime) -> None:
    case.record_contact(
        actor=CASEWORKER,
        occurred_at=when,
        person_ref=kit.complainant,
        method=method,
        direction=ContactDirection.OUTBOUND,
        outcome=ContactOutcome.NO_ANSWER,
        summary=kit.text("no answer"),
    )


def test_no_contact_closure_needs_three_calls_a_letter_and_ten_working_days(
    kit: CaseKit, case: Case
) -> None:
    no_contact = ClosureReason.NO_CONTACT
    refused(case, Rule.CLOSURE_NO_CONTACT_ATTEMPTS, close_as(kit, case, reason=no_contact))
    for day in (1, 2, 3):
        _attempt(kit, case, ContactMethod.PHONE, T0 + timedelta(days=day))
    case.collect_events()
    refused(case, Rule.CLOSURE_NO_CONTACT_ATTEMPTS, close_as(kit, case, reason=no_contact))
    letter_sent = datetime(2026, 3, 27, 10, tzinfo=T0.tzinfo)  # Friday before Easter 2026
    _attempt(kit, case, ContactMethod.LETTER, letter_sent)
    case.collect_events()
    # 10 working days after Fri 27 Mar 2026, skipping Good Friday and Easter Monday: Tue 14 Apr.
    too_soon = datetime(2026, 4, 13, 17, tzinfo=T0.tzinfo)
    refused(
        case,
        Rule.CLOSURE_NO_CONTACT_ATTEMPTS,
        close_as(kit, case, reason=no_contact, occurred_at=too_soon),
    )
    close_as(kit, case, reason=no_contact, occurred_at=datetime(2026, 4, 14, 9, tzinfo=T0.tzinfo))()
    assert case.closure_reason is ClosureReason.NO_CONTACT


# ----------------------------------------------------------------- people and incidents


def test_a_person_is_linked_once_per_role(kit: CaseKit, case: Case) -> None:
    refused(
        case,
        Rule.PERSON_ALREADY_LINKED,
        lambda: case.link_person(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=kit.complainant,
            role=PersonRole.COMPLAINANT,
        ),
    )


def test_a_new_person_needs_details(case: Case) -> None:
    refused(
        case,
        Rule.TEXT_REQUIRED,
        lambda: case.link_person(
            actor=CASEWORKER, occurred_at=T0, person_ref=uuid4(), role=PersonRole.WITNESS
        ),
    )


def test_victims_of_an_incident_must_be_linked(kit: CaseKit, case: Case) -> None:
    refused(case, Rule.PERSON_NOT_LINKED, lambda: kit.incident(case, victims=(uuid4(),)))


def test_an_incident_is_recorded_once(kit: CaseKit, case: Case) -> None:
    incident = kit.incident(case)
    case.collect_events()
    refused(
        case,
        Rule.INCIDENT_DUPLICATE,
        lambda: case.record_incident(
            actor=CASEWORKER,
            occurred_at=T0,
            incident_id=incident,
            incident_type=case.incidents[incident].incident_type,
            description=kit.text(),
            harms=(),
            criminal=False,
        ),
    )


def test_an_incident_needs_a_description(case: Case) -> None:
    from ledger.enums import IncidentType

    refused(
        case,
        Rule.TEXT_REQUIRED,
        lambda: case.record_incident(
            actor=CASEWORKER,
            occurred_at=T0,
            incident_id=uuid4(),
            incident_type=IncidentType.NOISE,
            description=None,
            harms=(),
            criminal=False,
        ),
    )


def test_text_that_is_not_valid_unicode_is_refused(kit: CaseKit, case: Case) -> None:
    incident = kit.incident(case, criminal=True)
    case.collect_events()
    refused(
        case,
        Rule.TEXT_INVALID,
        lambda: case.refer_to_police(
            actor=CASEWORKER,
            occurred_at=T0,
            incident_ids=(incident,),
            police_reference="SP-\ud800",
            organisation="test-police",
            disseminated_at=T0,
        ),
    )


def test_times_need_a_timezone(case: Case) -> None:
    naive = datetime(2026, 1, 1, 9)
    refused(
        case,
        Rule.TIMEZONE_REQUIRED,
        lambda: case.agree_timescales(
            actor=CASEWORKER,
            occurred_at=naive,
            first_contact_due=due(1),
            next_review_due=due(2),
            target_resolution=due(3),
        ),
    )


# ----------------------------------------------------------------- risk


def test_risk_needs_a_known_instrument(case: Case) -> None:
    refused(
        case,
        Rule.RISK_UNKNOWN_INSTRUMENT,
        lambda: case.assess_risk(
            actor=CASEWORKER, occurred_at=T0, instrument="asb-vra", instrument_version=9, answers={}
        ),
    )


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {q.key: 3 for q in ASB_VRA_V1.questions},
        {**{q.key: 0 for q in ASB_VRA_V1.questions}, "q99_extra": 1},
    ],
    ids=["missing", "out-of-range", "unknown-question"],
)
def test_risk_answers_must_fit_the_instrument(case: Case, answers: dict[str, int]) -> None:
    refused(
        case,
        Rule.RISK_ANSWERS_INVALID,
        lambda: case.assess_risk(
            actor=CASEWORKER,
            occurred_at=T0,
            instrument="asb-vra",
            instrument_version=1,
            answers=answers,
        ),
    )


def test_an_override_needs_a_rationale(case: Case) -> None:
    refused(
        case,
        Rule.RISK_OVERRIDE_RATIONALE,
        lambda: case.assess_risk(
            actor=CASEWORKER,
            occurred_at=T0,
            instrument="asb-vra",
            instrument_version=1,
            answers={q.key: 0 for q in ASB_VRA_V1.questions},
            override=RiskOverride(level=RiskLevel.HIGH, rationale=None),
        ),
    )


# ----------------------------------------------------------------- actions and timescales


def plan(kit: CaseKit, case: Case, **overrides: object) -> Callable[[], None]:
    kwargs: dict[str, object] = dict(
        actor=CASEWORKER,
        occurred_at=T0,
        action_id="A1",
        description=kit.text("visit"),
        owner_agency=Agency.COUNCIL,
        owner_officer="cw-1",
        due=due(3),
    )
    kwargs.update(overrides)
    return lambda: case.plan_action(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("missing", [{"owner_agency": None}, {"owner_officer": "  "}])
def test_an_action_needs_an_owner(kit: CaseKit, case: Case, missing: dict[str, object]) -> None:
    refused(case, Rule.ACTION_OWNER_REQUIRED, plan(kit, case, **missing))


def test_an_action_needs_a_due_date(kit: CaseKit, case: Case) -> None:
    refused(case, Rule.ACTION_DUE_REQUIRED, plan(kit, case, due=None))


def test_action_ids_are_unique_and_known(kit: CaseKit, case: Case) -> None:
    plan(kit, case)()
    case.collect_events()
    refused(case, Rule.ACTION_DUPLICATE, plan(kit, case))
    refused(
        case,
        Rule.ACTION_UNKNOWN,
        lambda: case.complete_action(
            actor=CASEWORKER, occurred_at=T0, action_id="A9", outcome=kit.text()
        ),
    )
    case.cancel_action(actor=CASEWORKER, occurred_at=T0, action_id="A1", outcome=kit.text())
    case.collect_events()
    refused(
        case,
        Rule.ACTION_NOT_OPEN,
        lambda: case.complete_action(
            actor=CASEWORKER, occurred_at=T0, action_id="A1", outcome=kit.text()
        ),
    )


def test_timescales_must_be_in_order(case: Case) -> None:
    refused(
        case,
        Rule.TIMESCALES_ORDER,
        lambda: case.agree_timescales(
            actor=CASEWORKER,
            occurred_at=T0,
            first_contact_due=due(10),
            next_review_due=due(5),
            target_resolution=due(3),
        ),
    )


# ----------------------------------------------------------------- support and sharing


def test_support_needs_consent_or_why_not(kit: CaseKit, case: Case) -> None:
    refused(
        case,
        Rule.SUPPORT_CONSENT_REQUIRED,
        lambda: case.refer_for_support(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=kit.complainant,
            service=SupportService.VICTIM_SUPPORT,
            organisation="Victim Support",
            needs=kit.text("support"),
            consent=ConsentStatus.NOT_SOUGHT,
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"recipient": None}, Rule.SHARE_RECIPIENT_REQUIRED),
        (
            {"recipient": Recipient(agency=Agency.POLICE, organisation=" ")},
            Rule.SHARE_RECIPIENT_REQUIRED,
        ),
        ({"purpose": None}, Rule.SHARE_PURPOSE_REQUIRED),
        ({"justification": None}, Rule.SHARE_PURPOSE_REQUIRED),
        ({"lawful_basis": None}, Rule.SHARE_LAWFUL_BASIS_REQUIRED),
        ({"includes_special_category": True, "condition": None}, Rule.SHARE_CONDITION_REQUIRED),
        (
            {"lawful_basis": LawfulBasis.CONSENT, "consent": ConsentStatus.REFUSED},
            Rule.SHARE_CONSENT_REQUIRED,
        ),
        ({"consent": ConsentStatus.NOT_SOUGHT}, Rule.SHARE_CONSENT_REASON),
        ({"authoriser": None}, Rule.SHARE_AUTHORISER_REQUIRED),
        ({"authoriser": CASEWORKER}, Rule.SHARE_AUTHORISER_REQUIRED),
        ({"items": ()}, Rule.SHARE_ITEMS_REQUIRED),
        ({"items": ("whole_file",)}, Rule.SHARE_ITEMS_REQUIRED),
        ({"items": ("incident",)}, Rule.SHARE_ITEMS_REQUIRED),
        ({"items": (f"person:{uuid4()}",)}, Rule.SHARE_ITEMS_REQUIRED),
    ],
)
def test_a_share_must_be_lawful_named_and_authorised(
    kit: CaseKit, case: Case, overrides: dict[str, object], rule: Rule
) -> None:
    refused(case, rule, lambda: case.share_information(**kit.share_kwargs(**overrides)))  # type: ignore[arg-type]


# ----------------------------------------------------------------- police, agencies, enforcement


def test_a_police_referral_names_known_incidents_once(kit: CaseKit, case: Case) -> None:
    def refer(*ids: object) -> Callable[[], None]:
        return lambda: case.refer_to_police(
            actor=CASEWORKER,
            occurred_at=T0,
            incident_ids=ids,  # type: ignore[arg-type]
            police_reference="SP-1",
            organisation="test-police",
            disseminated_at=T0,
        )

    refused(case, Rule.POLICE_REFERRAL_INCIDENTS, refer())
    refused(case, Rule.INCIDENT_UNKNOWN, refer(uuid4()))
    incident = kit.incident(case, criminal=True)
    refer(incident)()
    case.collect_events()
    refused(case, Rule.POLICE_REFERRAL_DUPLICATE, refer(incident))


def test_an_agency_joins_once(kit: CaseKit, case: Case) -> None:
    def join() -> None:
        case.add_agency(
            actor=CASEWORKER,
            occurred_at=T0,
            agency=Agency.POLICE,
            organisation="Staffordshire Police",
            role=kit.text("investigation"),
        )

    join()
    case.collect_events()
    refused(case, Rule.AGENCY_ALREADY_JOINED, join)


def test_enforcement_is_against_a_linked_alleged_perpetrator(kit: CaseKit, case: Case) -> None:
    def enforce(subject: object, tool: EnforcementTool) -> Callable[[], None]:
        return lambda: case.take_enforcement_action(
            actor=CASEWORKER,
            occurred_at=T0,
            tool=tool,
            subject_ref=subject,  # type: ignore[arg-type]
            legislation=Provision.NON_STATUTORY,
            outcome=kit.text(),
        )

    refused(
        case,
        Rule.ENFORCEMENT_SUBJECT,
        enforce(kit.complainant, EnforcementTool.WARNING_LETTER),
    )
    perpetrator = uuid4()
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=perpetrator,
        role=PersonRole.ALLEGED_PERPETRATOR,
        details=kit.details(perpetrator),
    )
    case.collect_events()
    refused(
        case,
        Rule.ENFORCEMENT_CPN_NEEDS_CPW,
        enforce(perpetrator, EnforcementTool.COMMUNITY_PROTECTION_NOTICE),
    )


def test_case_reviews_are_known_and_decided_once(kit: CaseKit, case: Case) -> None:
    request = uuid4()

    def decide(decision: CaseReviewDecision) -> Callable[[], None]:
        return lambda: case.decide_case_review(
            actor=SUPERVISOR,
            occurred_at=T0,
            request_id=request,
            decision=decision,
            outcome=kit.text(),
        )

    refused(case, Rule.CASE_REVIEW_UNKNOWN, decide(CaseReviewDecision.THRESHOLD_MET))
    case.request_case_review(
        actor=CASEWORKER,
        occurred_at=T0,
        request_id=request,
        applicant_ref=kit.complainant,
        received_at=T0,
    )
    case.collect_events()
    refused(case, Rule.CASE_REVIEW_DECIDED, decide(CaseReviewDecision.PENDING))
    refused(
        case,
        Rule.CASE_REVIEW_DUPLICATE,
        lambda: case.request_case_review(
            actor=CASEWORKER,
            occurred_at=T0,
            request_id=request,
            applicant_ref=kit.complainant,
            received_at=T0,
        ),
    )
    decide(CaseReviewDecision.THRESHOLD_NOT_MET)()
    case.collect_events()
    refused(case, Rule.CASE_REVIEW_DECIDED, decide(CaseReviewDecision.THRESHOLD_MET))


def test_deciding_a_case_review_as_pending_says_pending_is_no_decision(
    kit: CaseKit, case: Case
) -> None:
    request = uuid4()
    case.request_case_review(
        actor=CASEWORKER,
        occurred_at=T0,
        request_id=request,
        applicant_ref=kit.complainant,
        received_at=T0,
    )
    case.collect_events()
    with pytest.raises(RuleViolation) as raised:
        case.decide_case_review(
            actor=SUPERVISOR,
            occurred_at=T0,
            request_id=request,
            decision=CaseReviewDecision.PENDING,
            outcome=kit.text(),
        )
    assert raised.value.rule is Rule.CASE_REVIEW_DECIDED
    assert raised.value.detail == (
        "pending is not a decision: decide a case review as threshold_met or threshold_not_met"
    )


def _requested(kit: CaseKit, case: Case) -> UUID:
    request = uuid4()
    case.request_case_review(
        actor=CASEWORKER, occurred_at=T0, request_id=request,
        applicant_ref=kit.complainant, received_at=T0,
    )  # fmt: skip
    case.collect_events()
    return request


def _acknowledge(case: Case, request: UUID) -> Callable[[], None]:
    return lambda: case.acknowledge_case_review(
        actor=CASEWORKER, occurred_at=T0 + timedelta(days=1), request_id=request
    )


def _decide(kit: CaseKit, case: Case, request: UUID, met: bool) -> None:
    case.decide_case_review(
        actor=SUPERVISOR, occurred_at=T0 + timedelta(days=10), request_id=request,
        decision=CaseReviewDecision.THRESHOLD_MET if met else CaseReviewDecision.THRESHOLD_NOT_MET,
        outcome=kit.text("three complaints in six months"),
    )  # fmt: skip
    case.collect_events()


def _conclude(kit: CaseKit, case: Case, request: UUID, text: bool = True) -> Callable[[], None]:
    return lambda: case.conclude_case_review(
        actor=SUPERVISOR, occurred_at=T0 + timedelta(days=20), request_id=request,
        recommendations=kit.text("joint visit; monitoring") if text else None,
    )  # fmt: skip


def test_a_case_review_request_is_acknowledged_once_and_before_its_decision(
    kit: CaseKit, case: Case
) -> None:
    refused(case, Rule.CASE_REVIEW_UNKNOWN, _acknowledge(case, uuid4()))
    request = _requested(kit, case)
    _acknowledge(case, request)()
    (event,) = case.collect_events()
    assert event.request_id == request  # type: ignore[attr-defined]
    assert case.case_reviews[request].acknowledged_at == T0 + timedelta(days=1)
    refused(case, Rule.CASE_REVIEW_ACKNOWLEDGED, _acknowledge(case, request))

    unacknowledged = _requested(kit, case)
    _decide(kit, case, unacknowledged, met=False)
    refused(case, Rule.CASE_REVIEW_ACKNOWLEDGED, _acknowledge(case, unacknowledged))


def test_a_case_review_is_concluded_once_after_the_threshold_was_decided_met(
    kit: CaseKit, case: Case
) -> None:
    refused(case, Rule.CASE_REVIEW_UNKNOWN, _conclude(kit, case, uuid4()))
    request = _requested(kit, case)
    refused(case, Rule.CASE_REVIEW_NOT_DECIDED, _conclude(kit, case, request))
    _decide(kit, case, request, met=True)
    refused(case, Rule.TEXT_REQUIRED, _conclude(kit, case, request, text=False))
    _conclude(kit, case, request)()
    case.collect_events()
    review = case.case_reviews[request]
    assert (review.decided_at, review.concluded_at) == (
        T0 + timedelta(days=10),
        T0 + timedelta(days=20),
    )
    assert review.recommendations is not None
    refused(case, Rule.CASE_REVIEW_CONCLUDED, _conclude(kit, case, request))

    not_met = _requested(kit, case)
    _decide(kit, case, not_met, met=False)
    refused(case, Rule.CASE_REVIEW_THRESHOLD_NOT_MET, _conclude(kit, case, not_met))


def test_each_sealed_field_is_under_the_key_it_belongs_to(kit: CaseKit, case: Case) -> None:
    victim, other = uuid4(), uuid4()
    refused(
        case,
        Rule.SEAL_SCOPE,
        lambda: case.link_person(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=victim,
            role=PersonRole.VICTIM,
            details=kit.details(other),
        ),
    )
    refused(
        case,
        Rule.SEAL_SCOPE,
        lambda: case.link_person(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=victim,
            role=PersonRole.VICTIM,
            details=kit.details(victim),
            vulnerability_note=kit.text("case-keyed note about a person"),
        ),
    )
    refused(
        case,
        Rule.SEAL_SCOPE,
        lambda: case.review(
            actor=CASEWORKER,
            occurred_at=T0,
            outcome=ReviewOutcome.CONTINUE,
            notes=kit.personal(kit.complainant, "free text under a person's key"),
            next_review_due=due(5),
        ),
    )
    stranger = CaseKit(kit.ledger)
    refused(
        case,
        Rule.SEAL_SCOPE,
        lambda: case.review(
            actor=CASEWORKER,
            occurred_at=T0,
            outcome=ReviewOutcome.CONTINUE,
            notes=stranger.text("another case's text"),
            next_review_due=due(5),
        ),
    )


def test_opening_checks_scopes_too(kit: CaseKit) -> None:
    from ledger.enums import Category, Channel, Department
    from ledger.values import PersonDetails

    with pytest.raises(RuleViolation) as raised:
        Case.open(
            case_id=kit.case_id,
            actor=CASEWORKER,
            occurred_at=T0,
            reference="ASB-2026-000009",
            channel=Channel.PHONE,
            received_at=T0,
            category=Category.PERSONAL,
            description=kit.text("d", "description"),
            location=kit.text("l", "location"),
            lead_department=Department.HOUSING,
            complainant_ref=kit.complainant,
            complainant=PersonDetails(name=kit.text("name under the case key", "name")),
            preferred_contact=ContactMethod.EMAIL,
        )
    assert raised.value.rule is Rule.SEAL_SCOPE


def test_sealing_under_an_erased_scope_is_refused(kit: CaseKit) -> None:
    from ledger.enums import ErasureReason
    from ledger.sealing import person_scope

    person = uuid4()
    kit.ledger.destroy_key(
        person_scope(person),
        actor=SUPERVISOR,
        occurred_at=T0,
        reason=ErasureReason.SUBJECT_REQUEST,
    )
    with pytest.raises(RuleViolation) as raised:
        kit.personal(person, "new name")
    assert raised.value.rule is Rule.KEY_DESTROYED


def test_every_rule_code_is_exercised_here() -> None:
    source = "".join(
        Path(__file__).with_name(name).read_text(encoding="utf-8")
        for name in ("test_case_rules.py", "test_practice_rules.py", "test_sar.py")
    )
    untested = [rule.name for rule in Rule if f"Rule.{rule.name}" not in source]
    assert untested == []
