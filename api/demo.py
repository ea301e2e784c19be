"""Clearly fictional demonstration cases, loaded through the same commands the API runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TypedDict
from uuid import UUID, uuid4

from commands import (
    add_agency,
    agree_timescales,
    assess_risk,
    assign_case,
    close_case,
    link_person,
    plan_action,
    record_contact,
    record_incident,
    refer_for_support,
    refer_to_police,
    share_information,
)
from commands.common import PersonText
from commands.open_case import OpenCase
from commands.open_case import handle as open_a_case
from commands.unit_of_work import UnitOfWork
from ledger.access import AccessRecord
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    AccessOutcome,
    AccessPurpose,
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
from ledger.organisations import DEFAULT_PROTOCOL
from ledger.risk import ASB_VRA_V1
from ledger.values import Actor

TEAM = "asb-north"
CASEWORKER = Actor(
    user_id="demo-caseworker",
    display_name="Demo Caseworker",
    role=Role.CASEWORKER,
    organisation="council",
    team=TEAM,
)
SUPERVISOR = Actor(
    user_id="demo-supervisor",
    display_name="Demo Supervisor",
    role=Role.SUPERVISOR,
    organisation="council",
    team=TEAM,
)
POLICE = "staffordshire-police"
HOUSING = "demo-homes"
VICTIMS_GATEWAY = "victims-gateway"
ADMIN = Actor(
    user_id="demo-admin", display_name="Demo Admin", role=Role.ADMIN, organisation="council"
)
ORGANISATIONS = (
    (POLICE, "Staffordshire Police", Agency.POLICE),
    (HOUSING, "Demo Homes Housing Association", Agency.HOUSING_PROVIDER),
    (VICTIMS_GATEWAY, "Staffordshire Victims Gateway", Agency.VICTIM_SUPPORT),
)
"""The protocol's signatories the demo registers (``GET /organisations``)."""
PARTNER = Actor(
    user_id="demo-police-officer",
    display_name="Demo Police Officer",
    role=Role.PARTNER,
    organisation=POLICE,
)

AUDITOR = Actor(
    user_id="demo-auditor", display_name="Demo Auditor", role=Role.AUDITOR, organisation="council"
)
DPO = Actor(
    user_id="demo-dpo",
    display_name="Demo Data Protection Officer",
    role=Role.DPO,
    organisation="council",
)
HOUSING_OFFICER = Actor(
    user_id="demo-housing-officer",
    display_name="Demo Housing Officer",
    role=Role.PARTNER,
    organisation=HOUSING,
)
DEMO_USERS: tuple[Actor, ...] = (
    CASEWORKER,
    SUPERVISOR,
    PARTNER,
    HOUSING_OFFICER,
    DPO,
    AUDITOR,
    ADMIN,
)
"""Who the development sign-in offers (``/app/sign-in``), as ``make run`` prints tokens."""


class _On(TypedDict):
    case_id: UUID
    actor: Actor


def _answers(**given: int) -> dict[str, int]:
    answers = {q.key: 0 for q in ASB_VRA_V1.questions}
    answers["q11_support"] = 2
    answers.update(given)
    return answers


def _opening(now: datetime, days_ago: int, who: UUID, **fields: object) -> OpenCase:
    when = now - timedelta(days=days_ago)
    return OpenCase(
        case_id=uuid4(),
        actor=CASEWORKER,
        occurred_at=when,
        received_at=when,
        complainant_ref=who,
        **fields,  # type: ignore[arg-type]
    )


def _read(
    ledger: CaseLedger, case: Case, actor: Actor, purpose: AccessPurpose, when: datetime
) -> None:
    """A recorded read, as the API makes for every view of personal data."""
    ledger.record_access(
        AccessRecord.record(
            occurred_at=when,
            actor=actor,
            request_id="demo",
            case_id=case.id,
            case_version=case.version,
            view="case.detail",
            purpose=purpose,
            subjects=tuple(case.persons),
            outcome=AccessOutcome.GRANTED,
            reason=None,
        )
    )


def targeted_campaign(ledger: CaseLedger, now: datetime) -> Case:
    """A persistent, hate-motivated campaign against a vulnerable victim that escalates;
    criminal incidents referred to the police, and shared with them."""
    victim, perpetrator = uuid4(), uuid4()
    opened = open_a_case(
        _opening(
            now,
            40,
            victim,
            channel=Channel.PHONE,
            category=Category.PERSONAL,
            description="FICTIONAL: verbal abuse and notes pushed through the door",
            location="FICTIONAL: 1 Example Close, Demo Town",
            lead_department=Department.COMMUNITY_SAFETY,
            complainant=PersonText(
                name="Demo Victim A", contact="07700 900001", address="1 Example Close"
            ),
            preferred_contact=ContactMethod.PHONE,
            ward="Forebridge",
        ),
        UnitOfWork(ledger=ledger),
    )
    case_id, start = opened.case_id, now - timedelta(days=40)
    on: _On = {"case_id": case_id, "actor": CASEWORKER}
    link_person.handle(
        link_person.LinkPerson(
            **on,
            occurred_at=start,
            person_ref=victim,
            role=PersonRole.VICTIM,
            vulnerabilities=(Vulnerability.DISABILITY, Vulnerability.LIVING_ALONE),
            vulnerability_note="FICTIONAL: uses a wheelchair, lives alone",
            self_declared_repeat_victim=True,
        ),
        UnitOfWork(ledger=ledger),
    )
    link_person.handle(
        link_person.LinkPerson(
            **on,
            occurred_at=start,
            person_ref=perpetrator,
            role=PersonRole.ALLEGED_PERPETRATOR,
            details=PersonText(name="Demo Neighbour B", address="3 Example Close, Demo Town"),
        ),
        UnitOfWork(ledger=ledger),
    )
    assess_risk.handle(
        assess_risk.AssessRisk(
            **on,
            occurred_at=start,
            instrument="asb-vra",
            instrument_version=1,
            answers=_answers(q1_happened_before=1, q2_targeted=1, q7_household_disability=2),
            victim_ref=victim,
        ),
        UnitOfWork(ledger=ledger),
    )
    agree_timescales.handle(
        agree_timescales.AgreeTimescales(
            **on,
            occurred_at=start,
            first_contact_due=start.date() + timedelta(days=3),
            next_review_due=start.date() + timedelta(days=28),
            target_resolution=start.date() + timedelta(days=90),
            agreed_with=(Agency.POLICE,),
        ),
        UnitOfWork(ledger=ledger),
    )
    incidents: list[UUID] = []
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
        incidents.append(uuid4())
        record_incident.handle(
            record_incident.RecordIncident(
                **on,
                occurred_at=now - timedelta(days=days),
                incident_id=incidents[-1],
                incident_type=kind,
                description=f"FICTIONAL: {text}",
                harms=harms,
                criminal=criminal,
                victim_refs=(victim,),
            ),
            UnitOfWork(ledger=ledger),
        )
    later = now - timedelta(days=2)
    assess_risk.handle(
        assess_risk.AssessRisk(
            **on,
            occurred_at=later,
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
            rationale="FICTIONAL: escalating hate-motivated campaign",
        ),
        UnitOfWork(ledger=ledger),
    )
    refer_to_police.handle(
        refer_to_police.ReferToPolice(
            **on,
            occurred_at=later,
            incident_ids=(incidents[1], incidents[2]),
            police_reference="SP/0001/26",
            organisation=POLICE,
            disseminated_at=later,
        ),
        UnitOfWork(ledger=ledger),
    )
    refer_for_support.handle(
        refer_for_support.ReferForSupport(
            **on,
            occurred_at=later,
            person_ref=victim,
            service=SupportService.VICTIMS_GATEWAY,
            organisation=VICTIMS_GATEWAY,
            needs="FICTIONAL: emotional support, target hardening",
            consent=ConsentStatus.GIVEN,
        ),
        UnitOfWork(ledger=ledger),
    )
    share_information.handle(
        share_information.ShareInformation(
            **on,
            occurred_at=later,
            share_id=uuid4(),
            recipient_agency=Agency.POLICE,
            recipient_organisation=POLICE,
            items=(f"incident:{incidents[1]}", f"incident:{incidents[2]}", "risk_assessment"),
            purpose=SharePurpose.PREVENT_CRIME_AND_DISORDER,
            justification="FICTIONAL: hate crime investigation needs the incident detail",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115,
            includes_special_category=True,
            condition=SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS,
            consent=ConsentStatus.GIVEN,
            authoriser=SUPERVISOR,
        ),
        UnitOfWork(ledger=ledger),
    )
    plan_action.handle(
        plan_action.PlanAction(
            **on,
            occurred_at=now - timedelta(days=1),
            action_id="A1",
            description="FICTIONAL: joint visit with the neighbourhood officer",
            owner_agency=Agency.POLICE,
            owner_officer="pc-demo",
            due=(now + timedelta(days=5)).date(),
        ),
        UnitOfWork(ledger=ledger),
    )
    case = ledger.get_case(case_id)
    _read(ledger, case, SUPERVISOR, AccessPurpose.SUPERVISION, now - timedelta(hours=20))
    _read(ledger, case, PARTNER, AccessPurpose.PARTNERSHIP, now - timedelta(hours=2))
    return case


def noise_nuisance(ledger: CaseLedger, now: datetime) -> Case:
    """Noise from a neighbour, closed as no further action with an explanation and advice."""
    complainant = uuid4()
    opened = open_a_case(
        _opening(
            now,
            30,
            complainant,
            channel=Channel.WEB_FORM,
            category=Category.NUISANCE,
            description="FICTIONAL: music from next door some evenings",
            location="FICTIONAL: 22 Sample Road, Demo Town",
            lead_department=Department.ENVIRONMENTAL_HEALTH,
            complainant=PersonText(
                name="Demo Resident C", contact="c@example.invalid", address="22 Sample Road"
            ),
            preferred_contact=ContactMethod.EMAIL,
            ward="Coton",
        ),
        UnitOfWork(ledger=ledger),
    )
    start = now - timedelta(days=30)
    on: _On = {"case_id": opened.case_id, "actor": CASEWORKER}
    record_incident.handle(
        record_incident.RecordIncident(
            **on,
            occurred_at=start - timedelta(days=2),
            incident_id=uuid4(),
            incident_type=IncidentType.NOISE,
            description="FICTIONAL: music until 11pm on a Saturday",
        ),
        UnitOfWork(ledger=ledger),
    )
    assess_risk.handle(
        assess_risk.AssessRisk(
            **on,
            occurred_at=start,
            instrument="asb-vra",
            instrument_version=1,
            answers=_answers(q1_happened_before=1),
        ),
        UnitOfWork(ledger=ledger),
    )
    record_contact.handle(
        record_contact.RecordContact(
            **on,
            occurred_at=start + timedelta(days=1),
            person_ref=complainant,
            method=ContactMethod.EMAIL,
            direction=ContactDirection.OUTBOUND,
            outcome=ContactOutcome.SENT,
            summary="FICTIONAL: sent diary sheets",
        ),
        UnitOfWork(ledger=ledger),
    )
    close_case.handle(
        close_case.CloseCase(
            **on,
            occurred_at=now - timedelta(days=1),
            reason=ClosureReason.NO_FURTHER_ACTION,
            full_reasons="FICTIONAL: diary showed occasional music within normal hours",
            feedback_method=ContactMethod.EMAIL,
            feedback_given_at=now - timedelta(days=1),
            explanation="FICTIONAL: the noise is normal living noise, not a statutory nuisance",
            advice="FICTIONAL: keep a diary, try mediation, call again if it recurs late at night",
        ),
        UnitOfWork(ledger=ledger),
    )
    return ledger.get_case(opened.case_id)


def shared_environmental(ledger: CaseLedger, now: datetime) -> Case:
    """Repeated fly-tipping on housing land, shared with the housing provider and
    reassigned by a supervisor to the street scene team."""
    complainant = uuid4()
    opened = open_a_case(
        _opening(
            now,
            10,
            complainant,
            channel=Channel.EMAIL,
            category=Category.ENVIRONMENTAL,
            description="FICTIONAL: rubbish dumped behind the flats",
            location="FICTIONAL: Demo House flats, Demo Town",
            lead_department=Department.STREET_SCENE,
            complainant=PersonText(
                name="Demo Tenant D", contact="d@example.invalid", address="Flat 4, Demo House"
            ),
            preferred_contact=ContactMethod.EMAIL,
            ward="Baswich",
        ),
        UnitOfWork(ledger=ledger),
    )
    start = now - timedelta(days=10)
    on: _On = {"case_id": opened.case_id, "actor": CASEWORKER}
    incident = uuid4()
    record_incident.handle(
        record_incident.RecordIncident(
            **on,
            occurred_at=start - timedelta(days=1),
            incident_id=incident,
            incident_type=IncidentType.FLY_TIPPING,
            description="FICTIONAL: mattresses and bags by the bin store",
        ),
        UnitOfWork(ledger=ledger),
    )
    add_agency.handle(
        add_agency.AddAgency(
            **on,
            occurred_at=start,
            agency=Agency.HOUSING_PROVIDER,
            organisation=HOUSING,
            role="FICTIONAL: landowner; clears the land and checks CCTV",
        ),
        UnitOfWork(ledger=ledger),
    )
    share_information.handle(
        share_information.ShareInformation(
            **on,
            occurred_at=start,
            share_id=uuid4(),
            recipient_agency=Agency.HOUSING_PROVIDER,
            recipient_organisation=HOUSING,
            items=("case_summary", f"incident:{incident}"),
            purpose=SharePurpose.PREVENT_CRIME_AND_DISORDER,
            justification="FICTIONAL: the landowner must clear the waste and check CCTV",
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115,
            consent=ConsentStatus.NOT_SOUGHT,
            consent_note="FICTIONAL: no personal data about the complainant is shared",
            authoriser=SUPERVISOR,
        ),
        UnitOfWork(ledger=ledger),
    )
    plan_action.handle(
        plan_action.PlanAction(
            **on,
            occurred_at=start,
            action_id="A1",
            description="FICTIONAL: clear the waste and review CCTV",
            owner_agency=Agency.HOUSING_PROVIDER,
            owner_officer="Demo Homes estate officer",
            due=date.fromordinal(start.date().toordinal() + 7),
        ),
        UnitOfWork(ledger=ledger),
    )
    assign_case.handle(
        assign_case.AssignCase(
            case_id=opened.case_id,
            actor=SUPERVISOR,
            occurred_at=start + timedelta(days=1),
            team=TEAM,
            officer=SUPERVISOR.user_id,
        ),
        UnitOfWork(ledger=ledger),
    )
    case = ledger.get_case(opened.case_id)
    _read(ledger, case, CASEWORKER, AccessPurpose.CASE_MANAGEMENT, now - timedelta(hours=1))
    return case


def register_organisations(ledger: CaseLedger, now: datetime) -> None:
    """Registers the demo's signatories of the protocol, unless they already are."""
    for org_id, name, agency in ORGANISATIONS:
        if ledger.organisations.get(org_id) is None:
            ledger.organisations.register(
                actor=ADMIN,
                occurred_at=now,
                org_id=org_id,
                name=name,
                agency=agency,
                protocol_reference=DEFAULT_PROTOCOL,
                joined=(now - timedelta(days=400)).date(),
            )


def repeat_report(ledger: CaseLedger, now: datetime, campaign: Case) -> Case:
    """The campaign's victim reports again, to another officer, who finds her in the person
    register (``POST /people/search``) and names her, so that the harm is seen across both
    cases; the same neighbour is the alleged perpetrator (``GET /cases/{id}/links``)."""
    victim = campaign.complainant_ref
    (perpetrator,) = (
        ref for ref, p in campaign.persons.items() if PersonRole.ALLEGED_PERPETRATOR in p.roles
    )
    officer = replace(CASEWORKER, user_id="demo-caseworker-2", display_name="Demo Caseworker 2")
    when = now - timedelta(days=5)
    opened = open_a_case(
        replace(
            _opening(
                now,
                5,
                victim,
                channel=Channel.IN_PERSON,
                category=Category.PERSONAL,
                description="FICTIONAL: eggs thrown at the door; a slur shouted",
                location="FICTIONAL: 1 Example Close, Demo Town",
                lead_department=Department.COMMUNITY_SAFETY,
                complainant=PersonText(name="Demo Victim A"),
                preferred_contact=ContactMethod.PHONE,
                ward="Forebridge",
            ),
            actor=officer,
        ),
        UnitOfWork(ledger=ledger),
    )
    on: _On = {"case_id": opened.case_id, "actor": officer}
    for ref, role in ((victim, PersonRole.VICTIM), (perpetrator, PersonRole.ALLEGED_PERPETRATOR)):
        link_person.handle(
            link_person.LinkPerson(**on, occurred_at=when, person_ref=ref, role=role),
            UnitOfWork(ledger=ledger),
        )
    record_incident.handle(
        record_incident.RecordIncident(
            **on,
            occurred_at=when - timedelta(hours=3),
            incident_id=uuid4(),
            incident_type=IncidentType.HATE_INCIDENT,
            description="FICTIONAL: eggs thrown, a slur shouted",
            harms=(HarmIndicator.TARGETED, HarmIndicator.HATE_MOTIVATED),
            victim_refs=(victim,),
        ),
        UnitOfWork(ledger=ledger),
    )
    return ledger.get_case(opened.case_id)


def load_demo(ledger: CaseLedger, now: datetime) -> list[Case]:
    register_organisations(ledger, now - timedelta(days=60))
    campaign = targeted_campaign(ledger, now)
    return [
        campaign,
        noise_nuisance(ledger, now),
        shared_environmental(ledger, now),
        repeat_report(ledger, now, campaign),
    ]
