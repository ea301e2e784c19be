"""Clearly fictional demonstration cases, built through the Case aggregate."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Agency,
    Category,
    Channel,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    Role,
    SharePurpose,
    SpecialCategoryCondition,
    SupportService,
    Vulnerability,
)
from ledger.risk import ASB_VRA_V1
from ledger.values import Actor, Feedback, PersonDetails, Recipient, Sealed

CASEWORKER = Actor(
    user_id="demo-caseworker",
    display_name="Demo Caseworker",
    role=Role.CASEWORKER,
    organisation="council",
    team="asb-north",
)
SUPERVISOR = Actor(
    user_id="demo-supervisor",
    display_name="Demo Supervisor",
    role=Role.SUPERVISOR,
    organisation="council",
    team="asb-north",
)


class _Builder:
    """Seals text for one case, so the scenarios read as a caseworker's steps."""

    def __init__(self, ledger: CaseLedger, case_id: UUID) -> None:
        self.ledger = ledger
        self.case_id = case_id

    def text(self, value: str, field: str) -> Sealed:
        sealed = self.ledger.sealer.seal_text(value, case_id=self.case_id, field=field)
        assert sealed is not None
        return sealed

    def personal(self, ref: UUID, value: str, field: str = "vulnerability_note") -> Sealed:
        sealed = self.ledger.sealer.seal_personal(
            value, case_id=self.case_id, person_ref=ref, field=field
        )
        assert sealed is not None
        return sealed

    def person(self, ref: UUID, name: str, contact: str, address: str) -> PersonDetails:
        return PersonDetails(
            name=self.personal(ref, name, "name"),
            contact=self.personal(ref, contact, "contact"),
            address=self.personal(ref, address, "address"),
        )

    def open(self, when: datetime, who: UUID, **fields: object) -> Case:
        return Case.open(
            case_id=self.case_id,
            actor=CASEWORKER,
            occurred_at=when,
            reference=self.ledger.prepare_opening(self.case_id, [who], when),
            received_at=when,
            complainant_ref=who,
            **fields,  # type: ignore[arg-type]
        )


def _answers(**yes: int) -> dict[str, int]:
    answers = {q.key: 0 for q in ASB_VRA_V1.questions}
    answers["q11_support"] = 2
    answers.update(yes)
    return answers


def targeted_campaign(ledger: CaseLedger, now: datetime) -> Case:
    """A persistent, hate-motivated campaign against a vulnerable victim that escalates."""
    b = _Builder(ledger, ledger.new_case_id())
    victim = uuid4()
    start = now - timedelta(days=40)
    case = b.open(
        start,
        victim,
        channel=Channel.PHONE,
        category=Category.PERSONAL,
        description=b.text(
            "FICTIONAL: verbal abuse and notes pushed through the door", "description"
        ),
        location=b.text("FICTIONAL: 1 Example Close, Demo Town", "location"),
        lead_department=Department.COMMUNITY_SAFETY,
        complainant=b.person(victim, "Demo Victim A", "07700 900001", "1 Example Close, Demo Town"),
        preferred_contact=ContactMethod.PHONE,
        ward="Demo Ward North",
    )
    ledger.save_new_case(case)
    case.link_person(
        actor=CASEWORKER,
        occurred_at=start,
        person_ref=victim,
        role=PersonRole.VICTIM,
        vulnerabilities=(Vulnerability.DISABILITY, Vulnerability.LIVING_ALONE),
        vulnerability_note=b.personal(victim, "FICTIONAL: uses a wheelchair, lives alone"),
        self_declared_repeat_victim=True,
    )
    perpetrator = uuid4()
    case.link_person(
        actor=CASEWORKER,
        occurred_at=start,
        person_ref=perpetrator,
        role=PersonRole.ALLEGED_PERPETRATOR,
        details=b.person(perpetrator, "Demo Neighbour B", "unknown", "3 Example Close, Demo Town"),
    )
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=start,
        instrument="asb-vra",
        instrument_version=1,
        answers=_answers(q1_happened_before=1, q2_targeted=1, q7_household_disability=2),
        victim_ref=victim,
    )
    case.agree_timescales(
        actor=CASEWORKER,
        occurred_at=start,
        first_contact_due=start.date() + timedelta(days=3),
        next_review_due=start.date() + timedelta(days=28),
        target_resolution=start.date() + timedelta(days=90),
        agreed_with=(Agency.POLICE,),
    )
    incidents = []
    for days, kind, harms, criminal, text in [
        (35, IncidentType.HARASSMENT, (HarmIndicator.TARGETED,), False, "shouting at the door"),
        (
            12,
            IncidentType.GRAFFITI,
            (
                HarmIndicator.TARGETED,
                HarmIndicator.HATE_MOTIVATED,
                HarmIndicator.DAMAGE_TO_PROPERTY,
            ),
            True,
            "slur painted on door",
        ),
        (
            3,
            IncidentType.THREATS_OR_VIOLENCE,
            (HarmIndicator.TARGETED, HarmIndicator.VIOLENCE_OR_THREAT),
            True,
            "threat to harm",
        ),
    ]:
        incident = uuid4()
        incidents.append(incident)
        case.record_incident(
            actor=CASEWORKER,
            occurred_at=now - timedelta(days=days),
            incident_id=incident,
            incident_type=kind,
            description=b.text(f"FICTIONAL: {text}", "incident.description"),
            harms=harms,
            criminal=criminal,
            victim_refs=(victim,),
        )
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=now - timedelta(days=2),
        instrument="asb-vra",
        instrument_version=1,
        answers=_answers(
            q1_happened_before=2,
            q2_targeted=2,
            q3_identity=2,
            q4_violence=2,
            q5_property_damaged=2,
            q6_health=2,
            q7_household_disability=2,
            q8_unsafe_at_home=2,
            q9_afraid_to_go_out=1,
        ),
        victim_ref=victim,
        rationale=b.text("FICTIONAL: escalating hate-motivated campaign", "rationale"),
    )
    case.refer_to_police(
        actor=CASEWORKER,
        occurred_at=now - timedelta(days=2),
        incident_ids=(incidents[1], incidents[2]),
        police_reference="DEMO-SP-0001",
        disseminated_at=now - timedelta(days=2),
    )
    case.refer_for_support(
        actor=CASEWORKER,
        occurred_at=now - timedelta(days=2),
        person_ref=victim,
        service=SupportService.VICTIMS_GATEWAY,
        organisation="Victims Gateway",
        needs=b.text("FICTIONAL: emotional support, target hardening", "needs"),
        consent=ConsentStatus.GIVEN,
    )
    case.share_information(
        actor=CASEWORKER,
        occurred_at=now - timedelta(days=2),
        share_id=uuid4(),
        recipient=Recipient(agency=Agency.POLICE, organisation="Staffordshire Police"),
        items=(f"incident:{incidents[1]}", f"incident:{incidents[2]}", "risk_assessment"),
        purpose=SharePurpose.PREVENT_CRIME_AND_DISORDER,
        justification=b.text(
            "FICTIONAL: hate crime investigation needs the incident detail", "justification"
        ),
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115,
        includes_special_category=True,
        condition=SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS,
        consent=ConsentStatus.GIVEN,
        consent_note=None,
        authorised_by="demo-supervisor",
    )
    case.plan_action(
        actor=CASEWORKER,
        occurred_at=now - timedelta(days=1),
        action_id="A1",
        description=b.text(
            "FICTIONAL: joint visit with the neighbourhood officer", "action.description"
        ),
        owner_agency=Agency.POLICE,
        owner_officer="PC Demo",
        due=(now + timedelta(days=5)).date(),
    )
    ledger.save_case(case)
    return case


def noise_nuisance(ledger: CaseLedger, now: datetime) -> Case:
    """Noise from a neighbour, closed as no further action with an explanation and advice."""
    b = _Builder(ledger, ledger.new_case_id())
    complainant = uuid4()
    start = now - timedelta(days=30)
    case = b.open(
        start,
        complainant,
        channel=Channel.WEB_FORM,
        category=Category.NUISANCE,
        description=b.text("FICTIONAL: music from next door some evenings", "description"),
        location=b.text("FICTIONAL: 22 Sample Road, Demo Town", "location"),
        lead_department=Department.ENVIRONMENTAL_HEALTH,
        complainant=b.person(complainant, "Demo Resident C", "c@example.invalid", "22 Sample Road"),
        preferred_contact=ContactMethod.EMAIL,
        ward="Demo Ward South",
    )
    ledger.save_new_case(case)
    case.record_incident(
        actor=CASEWORKER,
        occurred_at=start - timedelta(days=2),
        incident_id=uuid4(),
        incident_type=IncidentType.NOISE,
        description=b.text("FICTIONAL: music until 11pm on a Saturday", "incident.description"),
        harms=(),
        criminal=False,
    )
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=start,
        instrument="asb-vra",
        instrument_version=1,
        answers=_answers(q1_happened_before=1),
    )
    case.record_contact(
        actor=CASEWORKER,
        occurred_at=start + timedelta(days=1),
        person_ref=complainant,
        method=ContactMethod.EMAIL,
        direction=ContactDirection.OUTBOUND,
        outcome=ContactOutcome.SENT,
        summary=b.text("FICTIONAL: sent diary sheets", "contact.summary"),
    )
    case.close(
        actor=CASEWORKER,
        occurred_at=now - timedelta(days=1),
        reason=ClosureReason.NO_FURTHER_ACTION,
        full_reasons=b.text(
            "FICTIONAL: diary showed occasional music within normal hours", "closure.full_reasons"
        ),
        feedback=Feedback(
            method=ContactMethod.EMAIL,
            given_at=now - timedelta(days=1),
            given_by=CASEWORKER.user_id,
            preferred_method_used=True,
        ),
        explanation=b.text(
            "FICTIONAL: the noise is normal living noise, not a statutory nuisance",
            "closure.explanation",
        ),
        advice=b.text(
            "FICTIONAL: keep a diary, try mediation, call again if it recurs late at night",
            "closure.advice",
        ),
    )
    ledger.save_case(case)
    return case


def shared_environmental(ledger: CaseLedger, now: datetime) -> Case:
    """Repeated fly-tipping on housing land, shared with the housing provider."""
    b = _Builder(ledger, ledger.new_case_id())
    complainant = uuid4()
    start = now - timedelta(days=10)
    case = b.open(
        start,
        complainant,
        channel=Channel.EMAIL,
        category=Category.ENVIRONMENTAL,
        description=b.text("FICTIONAL: rubbish dumped behind the flats", "description"),
        location=b.text("FICTIONAL: Demo House flats, Demo Town", "location"),
        lead_department=Department.STREET_SCENE,
        complainant=b.person(
            complainant, "Demo Tenant D", "d@example.invalid", "Flat 4, Demo House"
        ),
        preferred_contact=ContactMethod.EMAIL,
        ward="Demo Ward East",
    )
    ledger.save_new_case(case)
    incident = uuid4()
    case.record_incident(
        actor=CASEWORKER,
        occurred_at=start - timedelta(days=1),
        incident_id=incident,
        incident_type=IncidentType.FLY_TIPPING,
        description=b.text(
            "FICTIONAL: mattresses and bags by the bin store", "incident.description"
        ),
        harms=(),
        criminal=False,
    )
    case.add_agency(
        actor=CASEWORKER,
        occurred_at=start,
        agency=Agency.HOUSING_PROVIDER,
        organisation="Demo Homes Housing Association",
        role=b.text("FICTIONAL: landowner; clears the land and checks CCTV", "agency.role"),
    )
    case.share_information(
        actor=CASEWORKER,
        occurred_at=start,
        share_id=uuid4(),
        recipient=Recipient(
            agency=Agency.HOUSING_PROVIDER, organisation="Demo Homes Housing Association"
        ),
        items=("case_summary", f"incident:{incident}"),
        purpose=SharePurpose.PREVENT_CRIME_AND_DISORDER,
        justification=b.text(
            "FICTIONAL: the landowner must clear the waste and check CCTV", "justification"
        ),
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115,
        includes_special_category=False,
        condition=None,
        consent=ConsentStatus.NOT_SOUGHT,
        consent_note=b.text(
            "FICTIONAL: no personal data about the complainant is shared", "consent_note"
        ),
        authorised_by="demo-supervisor",
    )
    case.plan_action(
        actor=CASEWORKER,
        occurred_at=start,
        action_id="A1",
        description=b.text("FICTIONAL: clear the waste and review CCTV", "action.description"),
        owner_agency=Agency.HOUSING_PROVIDER,
        owner_officer="Demo Homes estate officer",
        due=date.fromordinal(start.date().toordinal() + 7),
    )
    ledger.save_case(case)
    return case


def load_demo(ledger: CaseLedger, now: datetime) -> list[Case]:
    return [
        targeted_campaign(ledger, now),
        noise_nuisance(ledger, now),
        shared_environmental(ledger, now),
    ]
