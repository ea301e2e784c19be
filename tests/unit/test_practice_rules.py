"""The rules an ASB practice lead and a DPO found missing (issue 11): closure with derived
risk, police-recorded crimes, impossible dates, special-category shares, partners' scope,
the preferred method, open actions at closure, declined support, and every broken rule at
once. Given a case, when a command breaks a rule, then its code is raised and nothing is
recorded (``refused``); else the event says what the rule decided."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest

from commands import refer_to_police, share_information
from commands.unit_of_work import UnitOfWork
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Agency,
    AlertOutcome,
    CaseReviewDecision,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    ErasureReason,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    RiskLevel,
    Role,
    SharePurpose,
    SpecialCategoryCondition,
    SupportService,
    Vulnerability,
)
from ledger.errors import Rule, RuleViolation
from ledger.events import CaseClosed, ContactRecorded, InformationShared
from ledger.people import Person, person_stream
from ledger.places import check as places_check
from ledger.risk import ASB_VRA_V1
from ledger.settings import Settings
from ledger.values import Actor, PersonDetails, Recipient, Sealed
from ledger.vocabulary import Vocabulary
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit
from tests.unit.test_case_rules import close_as, refused

POLICE = Actor(user_id="pc-1", display_name="PC One", role=Role.PARTNER, organisation="Test Police")
HOUSING = Actor(
    user_id="ho-1", display_name="Hou Sing", role=Role.PARTNER, organisation="Test Homes"
)


@pytest.fixture
def case(kit: CaseKit) -> Case:
    opened = kit.open()
    opened.collect_events()
    return opened


def victim(kit: CaseKit, case: Case, *vulnerabilities: Vulnerability) -> UUID:
    ref = uuid4()
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=ref,
        role=PersonRole.VICTIM,
        details=kit.details(ref, "Vic Tim"),
        vulnerabilities=vulnerabilities,
    )
    return ref


def assess(kit: CaseKit, case: Case, level: str = "low") -> None:
    answers = {q.key: (0 if level == "low" else 2) for q in ASB_VRA_V1.questions}
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=1),
        instrument=ASB_VRA_V1.name,
        instrument_version=ASB_VRA_V1.version,
        answers=answers,
        rationale=kit.text("assessed"),
    )


def shared_with(kit: CaseKit, case: Case, actor: Actor, *items: str, agency: Agency) -> None:
    case.share_information(
        **kit.share_kwargs(  # type: ignore[arg-type]
            actor=SUPERVISOR,
            recipient=Recipient(agency=agency, organisation=actor.organisation),
            items=items or ("case_summary",),
            condition=SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS,
        )
    )


# ----------------------------------------------------------------- 1. closure and derived risk


def test_a_caseworker_cannot_close_when_cumulative_harm_indicates_high(
    kit: CaseKit, case: Case
) -> None:
    ref = victim(kit, case)
    assess(kit, case)
    for day in range(4):  # four incidents in a week: DOMAIN §2's high count
        kit.incident(case, days=2 + day, victims=(ref,))
    case.collect_events()
    assert case.risk_level is RiskLevel.STANDARD
    assert case.derived_risk(T0 + timedelta(days=8)) is RiskLevel.HIGH
    refused(
        case, Rule.CLOSURE_NEEDS_SUPERVISOR, close_as(kit, case, occurred_at=T0 + timedelta(days=8))
    )
    close_as(kit, case, actor=SUPERVISOR, occurred_at=T0 + timedelta(days=8))()
    assert isinstance(case.collect_events()[-1], CaseClosed)


def test_a_case_with_a_victim_and_no_assessment_needs_a_supervisor_to_close(
    kit: CaseKit, case: Case
) -> None:
    victim(kit, case)
    case.collect_events()
    refused(case, Rule.CLOSURE_NEEDS_SUPERVISOR, close_as(kit, case))
    assess(kit, case)
    case.collect_events()
    close_as(kit, case)()
    assert isinstance(case.collect_events()[-1], CaseClosed)


# ----------------------------------------------------------------- 2. crimes the police recorded


def test_a_crime_the_police_recorded_needs_no_referral_to_them(kit: CaseKit, case: Case) -> None:
    shared_with(kit, case, POLICE, agency=Agency.POLICE)
    assess(kit, case)
    case.record_incident(
        actor=POLICE,
        occurred_at=T0 + timedelta(days=2),
        incident_id=(by_police := uuid4()),
        incident_type=IncidentType.CRIMINAL_DAMAGE,
        description=kit.text("window broken", "incident.description"),
        harms=(),
        criminal=True,
    )
    events = case.collect_events()
    assert events[-1].police_recorded is True  # type: ignore[attr-defined]
    assert case.unreferred_criminal_incidents == []
    kit.incident(case, days=3, criminal=True)  # the council's own: the police do not know
    case.collect_events()
    assert by_police not in case.unreferred_criminal_incidents
    assert len(case.unreferred_criminal_incidents) == 1


# ----------------------------------------------------------------- 3. impossible dates


def test_dates_in_the_future_or_before_1900_are_refused(kit: CaseKit, case: Case) -> None:
    future = datetime.now(UTC) + timedelta(days=400)
    refused(
        case,
        Rule.DATE_IN_FUTURE,
        lambda: case.record_incident(
            actor=CASEWORKER,
            occurred_at=future,
            incident_id=uuid4(),
            incident_type=IncidentType.NOISE,
            description=kit.text("music"),
            harms=(),
            criminal=False,
        ),
    )
    refused(
        case,
        Rule.DATE_TOO_EARLY,
        lambda: case.record_incident(
            actor=CASEWORKER,
            occurred_at=datetime(1888, 5, 1, tzinfo=UTC),
            incident_id=uuid4(),
            incident_type=IncidentType.NOISE,
            description=kit.text("music"),
            harms=(),
            criminal=False,
        ),
    )
    within_skew = datetime.now(UTC) + timedelta(minutes=1)
    kit_incident = uuid4()
    case.record_incident(
        actor=CASEWORKER,
        occurred_at=within_skew,
        incident_id=kit_incident,
        incident_type=IncidentType.NOISE,
        description=kit.text("music"),
        harms=(),
        criminal=False,
    )
    assert kit_incident in case.incidents


def test_a_complaint_received_in_the_future_is_refused(kit: CaseKit) -> None:
    with pytest.raises(RuleViolation) as raised:
        kit.open(when=datetime.now(UTC) + timedelta(days=30))
    assert raised.value.rule is Rule.DATE_IN_FUTURE


def test_a_contact_before_the_complaint_was_received_is_refused(kit: CaseKit, case: Case) -> None:
    refused(
        case,
        Rule.DATE_BEFORE_CASE,
        lambda: case.record_contact(
            actor=CASEWORKER,
            occurred_at=T0 - timedelta(days=3),
            person_ref=kit.complainant,
            method=ContactMethod.PHONE,
            direction=ContactDirection.OUTBOUND,
            outcome=ContactOutcome.REACHED,
            summary=kit.text("spoke"),
        ),
    )
    kit.incident(case, days=-3)  # an incident may come before the complaint about it
    assert len(case.incidents) == 1


def test_a_police_referral_disseminated_before_its_incident_is_refused(
    kit: CaseKit, case: Case
) -> None:
    incident = kit.incident(case, days=5, criminal=True)
    case.collect_events()
    refused(
        case,
        Rule.DATE_BEFORE_INCIDENT,
        lambda: case.refer_to_police(
            actor=CASEWORKER,
            occurred_at=T0 + timedelta(days=6),
            incident_ids=(incident,),
            police_reference="SP-1",
            organisation="test-police",
            disseminated_at=T0 + timedelta(days=4),
        ),
    )


# ----------------------------------------------------------------- 6. and 7. shares


@pytest.mark.parametrize("harms", [(HarmIndicator.HATE_MOTIVATED,), ()])
def test_a_share_of_criminal_or_hate_data_needs_its_condition_whatever_the_caller_says(
    kit: CaseKit, case: Case, harms: tuple[HarmIndicator, ...]
) -> None:
    incident = kit.incident(case, days=1, criminal=not harms, harms=harms)
    case.collect_events()
    refused(
        case,
        Rule.SHARE_CONDITION_REQUIRED,
        lambda: case.share_information(
            **kit.share_kwargs(  # type: ignore[arg-type]
                items=(f"incident:{incident}",), includes_special_category=False, condition=None
            )
        ),
    )
    case.share_information(
        **kit.share_kwargs(  # type: ignore[arg-type]
            items=(f"incident:{incident}",),
            includes_special_category=False,
            condition=SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS,
        )
    )
    (shared,) = case.collect_events()
    assert isinstance(shared, InformationShared)
    assert shared.includes_special_category is True


def test_a_share_is_authorised_by_a_supervisor_never_by_a_name(kit: CaseKit, case: Case) -> None:
    refused(
        case,
        Rule.SHARE_AUTHORISER_REQUIRED,
        lambda: case.share_information(**kit.share_kwargs(authoriser=CASEWORKER)),  # type: ignore[arg-type]
    )
    case.share_information(**kit.share_kwargs(authoriser=SUPERVISOR))  # type: ignore[arg-type]
    (shared,) = case.collect_events()
    assert isinstance(shared, InformationShared)
    assert shared.authorised_by == SUPERVISOR.user_id


# ----------------------------------------------------------------- 8. partners' scope


def test_a_partner_records_contacts_only_with_people_shared_with_it(
    kit: CaseKit, case: Case
) -> None:
    ref = victim(kit, case)
    shared_with(kit, case, HOUSING, agency=Agency.HOUSING_PROVIDER)
    case.collect_events()

    def contact() -> None:
        case.record_contact(
            actor=HOUSING,
            occurred_at=T0 + timedelta(days=2),
            person_ref=ref,
            method=ContactMethod.IN_PERSON,
            direction=ContactDirection.OUTBOUND,
            outcome=ContactOutcome.REACHED,
            summary=kit.text("visited"),
        )

    refused(case, Rule.PARTNER_NOT_SHARED, contact)
    shared_with(kit, case, HOUSING, f"person:{ref}", agency=Agency.HOUSING_PROVIDER)
    case.collect_events()
    contact()
    assert isinstance(case.collect_events()[-1], ContactRecorded)


# ----------------------------------------------------------------- 9. the preferred method


def test_the_preferred_method_is_judged_only_for_the_complainant(kit: CaseKit, case: Case) -> None:
    other = uuid4()
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=other,
        role=PersonRole.ALLEGED_PERPETRATOR,
        details=kit.details(other),
    )
    for person in (kit.complainant, other):
        case.record_contact(
            actor=CASEWORKER,
            occurred_at=T0 + timedelta(days=1),
            person_ref=person,
            method=ContactMethod.IN_PERSON,
            direction=ContactDirection.OUTBOUND,
            outcome=ContactOutcome.REACHED,
            summary=kit.text("visited"),
        )
    *_, to_complainant, to_other = case.collect_events()
    assert to_complainant.preferred_method_used is False  # type: ignore[attr-defined]
    assert to_other.preferred_method_used is None  # type: ignore[attr-defined]


# ----------------------------------------------------------------- 10. open actions at closure


def test_a_supervisors_closure_cancels_open_actions_so_a_reopening_does_not_revive_them(
    kit: CaseKit, case: Case
) -> None:
    assess(kit, case)
    case.plan_action(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=1),
        action_id="visit",
        description=kit.text("visit the neighbour"),
        owner_agency=Agency.COUNCIL,
        owner_officer="cw-1",
        due=(T0 + timedelta(days=5)).date(),
    )
    case.collect_events()
    refused(case, Rule.CLOSURE_NEEDS_SUPERVISOR, close_as(kit, case))
    close_as(kit, case, actor=SUPERVISOR)()
    (closure,) = case.collect_events()
    assert isinstance(closure, CaseClosed)
    assert closure.cancelled_actions == ("visit",)
    case.reopen(actor=SUPERVISOR, occurred_at=T0 + timedelta(days=40), reason=kit.text("again"))
    assert case.open_actions == []


# ----------------------------------------------------------------- 11. support declined


def test_support_offered_and_declined_is_recorded(kit: CaseKit, case: Case) -> None:
    case.refer_for_support(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=1),
        person_ref=kit.complainant,
        service=SupportService.VICTIM_SUPPORT,
        organisation="Victim Support",
        needs=kit.text("support offered"),
        consent=ConsentStatus.REFUSED,
    )
    assert case.support_referrals[-1].consent is ConsentStatus.REFUSED


# ----------------------------------------------------------------- 17. every broken rule at once


def test_a_closure_missing_three_things_names_all_three(kit: CaseKit, case: Case) -> None:
    with pytest.raises(RuleViolation) as raised:
        close_as(
            kit,
            case,
            reason=ClosureReason.NO_FURTHER_ACTION,
            full_reasons=None,
            feedback=None,
        )()
    assert [v.rule for v in raised.value.all] == [
        Rule.CLOSURE_REASONS_REQUIRED,
        Rule.CLOSURE_FEEDBACK_REQUIRED,
        Rule.CLOSURE_EXPLANATION_REQUIRED,
    ]
    assert case.collect_events() == []


# ------------------------------------------------- fields kept in the clear (point 12)


def test_a_ward_is_one_of_the_councils_in_the_councils_spelling() -> None:
    wards = Vocabulary(wards=("St Michael's and Stonefield", "Forebridge"))
    assert wards.ward("st michaels and  STONEFIELD") == "St Michael's and Stonefield"
    assert wards.ward(" Forebridge ") == "Forebridge"
    assert wards.ward(None) is None
    assert wards.ward("  ") is None
    with pytest.raises(RuleViolation) as refusal:
        wards.ward("Jane Doe, 1 High Street")
    assert refusal.value.rule is Rule.WARD_UNKNOWN
    assert "Jane" not in str(refusal.value), "a refused value may be personal: never echoed"


def test_a_ward_list_names_each_ward_once() -> None:
    with pytest.raises(ValueError, match="twice"):
        Vocabulary(wards=("Coton", "COTON"))
    with pytest.raises(ValueError, match="blank"):
        Vocabulary(wards=("Coton", " - "))


@pytest.mark.parametrize("reference", ["SP-1", "SP/123/26", "SP-2026-0001234", " SP-42 "])
def test_a_police_reference_in_the_forces_format_is_kept(reference: str) -> None:
    assert Vocabulary().police_reference(reference) == reference.strip()


@pytest.mark.parametrize(
    "reference",
    [
        "Jane Doe",
        "SP-1 Jane Doe",
        "SP-12345678901",
        "sp-1",
        "SPX-1",
        "SP",
        "1 High St",
        "SP-1/2/3/4",
    ],
)
def test_a_police_reference_in_another_format_is_refused(reference: str) -> None:
    with pytest.raises(RuleViolation) as refusal:
        Vocabulary().police_reference(reference)
    assert refusal.value.rule is Rule.POLICE_REFERENCE_FORMAT


def test_a_blank_police_reference_is_required_text() -> None:
    with pytest.raises(RuleViolation) as refusal:
        Vocabulary().police_reference("  ")
    assert refusal.value.rule is Rule.TEXT_REQUIRED


def test_a_force_sets_its_own_reference_format() -> None:
    west_mercia = Vocabulary(police_reference_format=r"[0-9]{2}-[0-9]{6}-[0-9]{2}")
    assert west_mercia.police_reference("22-123456-26") == "22-123456-26"
    with pytest.raises(RuleViolation):
        west_mercia.police_reference("SP-2026-0001234")


# ------------------------------------------------- the organisation register (issue 12)


def test_the_register_knows_each_signatory_by_its_id_from_joining_to_leaving() -> None:
    ledger = CaseLedger(Settings(database_url="memory://"))
    admin = Actor(user_id="ad-1", display_name="Ad", role=Role.ADMIN, organisation="council")
    register = ledger.organisations
    made, _ = register.register(
        actor=admin, occurred_at=T0, org_id="test-homes", name=" Test Homes ",
        agency=Agency.HOUSING_PROVIDER, protocol_reference="One Staffordshire ISP",
        joined=date(2025, 1, 1),
    )  # fmt: skip
    assert (made.name, made.version) == ("Test Homes", 1)
    with pytest.raises(RuleViolation) as again:
        register.register(
            actor=admin, occurred_at=T0, org_id="test-homes", name="Other",
            agency=Agency.POLICE, protocol_reference="P", joined=date(2025, 1, 1),
        )  # fmt: skip
    assert again.value.rule is Rule.ORGANISATION_ALREADY_REGISTERED
    for unknown in ("Test Homes", "test-homez", "TEST-HOMES"):
        with pytest.raises(RuleViolation) as refusal:
            register.require(unknown, date(2025, 6, 1), "org")
        assert refusal.value.rule is Rule.ORGANISATION_UNKNOWN
    assert register.require("test-homes", date(2025, 6, 1), "org").agency is Agency.HOUSING_PROVIDER
    with pytest.raises(RuleViolation) as early:
        register.require("test-homes", date(2024, 12, 31), "org")
    assert early.value.rule is Rule.ORGANISATION_RETIRED
    register.retire(actor=admin, occurred_at=T0, org_id="test-homes", left=date(2026, 1, 1))
    assert register.require("test-homes", date(2025, 12, 31), "org").left == date(2026, 1, 1)
    with pytest.raises(RuleViolation) as left:
        register.require("test-homes", date(2026, 1, 1), "org")
    assert left.value.rule is Rule.ORGANISATION_RETIRED
    assert [o.org_id for o in register.all()] == ["test-homes"]
    ledger.close()


def test_a_command_takes_the_recipients_agency_and_protocol_from_the_register() -> None:
    ledger = CaseLedger(Settings(database_url="memory://"))
    kit = CaseKit(ledger)
    ledger.save_new_case(kit.open())
    admin = Actor(user_id="ad-1", display_name="Ad", role=Role.ADMIN, organisation="council")
    ledger.organisations.register(
        actor=admin, occurred_at=T0, org_id="test-homes", name="Test Homes",
        agency=Agency.HOUSING_PROVIDER, protocol_reference="One Staffordshire ISP",
        joined=date(2020, 1, 1),
    )  # fmt: skip

    def share(**changes: object) -> None:
        fields: dict[str, object] = {
            "case_id": kit.case_id, "actor": SUPERVISOR, "occurred_at": T0,
            "share_id": uuid4(), "recipient_agency": None, "recipient_organisation": "test-homes",
            "items": ("case_summary",), "purpose": SharePurpose.PREVENT_CRIME_AND_DISORDER,
            "justification": "the landlord needs the dates",
            "lawful_basis": LawfulBasis.PUBLIC_TASK,
            "gateway": LegalGateway.CRIME_AND_DISORDER_ACT_S115,
            "consent": ConsentStatus.NOT_SOUGHT, "consent_note": "it would prejudice prevention",
            "authoriser": SUPERVISOR,
        }  # fmt: skip
        fields.update(changes)
        share_information.handle(
            share_information.ShareInformation(**fields),  # type: ignore[arg-type]
            UnitOfWork(ledger=ledger),
        )

    share()
    (made,) = ledger.get_case(kit.case_id).shares
    assert (made.agency, made.organisation) == (Agency.HOUSING_PROVIDER, "test-homes")
    assert made.protocol_reference == "One Staffordshire ISP"
    for changes, rule in (
        ({"recipient_agency": Agency.POLICE}, Rule.ORGANISATION_AGENCY_MISMATCH),
        ({"protocol_reference": "Another County ISP"}, Rule.SHARE_PROTOCOL_MISMATCH),
        ({"recipient_organisation": "Test Homes"}, Rule.ORGANISATION_UNKNOWN),
    ):
        with pytest.raises(RuleViolation) as refusal:
            share(**changes)
        assert refusal.value.rule is rule
    assert len(ledger.get_case(kit.case_id).shares) == 1
    ledger.close()


def test_a_closure_dated_in_the_year_1_is_too_early_not_a_crash(kit: CaseKit, case: Case) -> None:
    """Found by schemathesis: the closure judged cumulative harm over a window reaching back
    before the year 1, which overflowed (a 500) before the date rule could refuse it."""
    kit.incident(case, harms=(HarmIndicator.VIOLENCE_OR_THREAT,))
    case.collect_events()
    refused(
        case, Rule.DATE_TOO_EARLY, close_as(kit, case, occurred_at=datetime(1, 1, 1, tzinfo=UTC))
    )


def test_a_police_referral_names_its_force_unless_only_one_is_a_signatory() -> None:
    ledger = CaseLedger(Settings(database_url="memory://"))
    kit = CaseKit(ledger)
    case = kit.open()
    first, second = kit.incident(case, criminal=True), kit.incident(case, criminal=True)
    ledger.save_new_case(case)
    admin = Actor(user_id="ad-1", display_name="Ad", role=Role.ADMIN, organisation="council")

    def refer(incident: UUID, force: str | None = None) -> None:
        refer_to_police.handle(
            refer_to_police.ReferToPolice(
                case_id=kit.case_id, actor=CASEWORKER, occurred_at=T0, incident_ids=(incident,),
                police_reference="SP-1", disseminated_at=T0, organisation=force,
            ),
            UnitOfWork(ledger=ledger),
        )  # fmt: skip

    def register(force: str) -> None:
        ledger.organisations.register(
            actor=admin, occurred_at=T0, org_id=force, name=force, agency=Agency.POLICE,
            protocol_reference="One Staffordshire ISP", joined=date(2020, 1, 1),
        )  # fmt: skip

    with pytest.raises(RuleViolation) as no_force:
        refer(first)
    assert no_force.value.rule is Rule.POLICE_FORCE_REQUIRED
    register("north-police")
    refer(first)  # the only police signatory
    register("south-police")
    with pytest.raises(RuleViolation) as two_forces:
        refer(second)
    assert two_forces.value.rule is Rule.POLICE_FORCE_REQUIRED
    refer(second, "south-police")
    referrals = ledger.get_case(kit.case_id).police_referrals
    assert [r.organisation for r in referrals] == ["north-police", "south-police"]
    ledger.close()


def test_only_a_free_text_organisation_the_case_holds_can_be_identified(
    kit: CaseKit, case: Case
) -> None:
    police = Recipient(agency=Agency.POLICE, organisation="Staffordshire Police")
    case.share_information(**kit.share_kwargs(recipient=police))  # type: ignore[arg-type]
    case.collect_events()
    assert case.legacy_organisations(frozenset()) == {"Staffordshire Police"}
    for named in ("Nobody Named", "staffordshire-police"):
        refused(
            case,
            Rule.ORGANISATION_NOT_NAMED,
            partial(
                case.identify_organisation,
                actor=SUPERVISOR,
                occurred_at=T0,
                named=named,
                organisation="staffordshire-police",
            ),
        )
    case.identify_organisation(
        actor=SUPERVISOR, occurred_at=T0, named="Staffordshire Police", organisation="sp"
    )
    assert [s.organisation for s in case.shares] == ["sp"]
    assert case.legacy_organisations(frozenset({"sp"})) == set()


# ------------------------------------------------- the person register (issue 12, §1)


def _person_details(ledger: CaseLedger, ref: UUID, **fields: str) -> dict[str, Sealed | None]:
    stream = person_stream(ref)
    return {
        name: ledger.sealer.seal_personal(value, case_id=stream, person_ref=ref, field=name)
        for name, value in fields.items()
    }


def test_a_person_is_registered_under_their_own_key_and_corrected_field_by_field(
    memory_ledger: CaseLedger,
) -> None:
    ref = uuid4()
    sealed = _person_details(
        memory_ledger, ref, name="Vic Tim", address="1 Test Street", date_of_birth="1970-01-01"
    )
    person = Person.register(
        actor=CASEWORKER, occurred_at=T0, person_ref=ref,
        details=PersonDetails(**sealed),  # type: ignore[arg-type]
        preferred_contact=ContactMethod.PHONE,
    )  # fmt: skip
    assert person.id == person_stream(ref) != ref
    phone = _person_details(memory_ledger, ref, contact="07700 900123")["contact"]
    person.correct(actor=CASEWORKER, occurred_at=T0, contact=phone)
    assert person.details.contact == phone
    assert (person.details.address, person.details.date_of_birth) == (
        sealed["address"],
        sealed["date_of_birth"],
    ), "a correction of the phone number blanks nothing else"
    assert person.preferred_contact is ContactMethod.PHONE
    person.correct(actor=CASEWORKER, occurred_at=T0, vulnerabilities=(Vulnerability.DISABILITY,))
    with pytest.raises(RuleViolation) as nothing:
        person.correct(
            actor=CASEWORKER, occurred_at=T0, preferred_contact=ContactMethod.PHONE,
            vulnerabilities=(Vulnerability.DISABILITY,),
        )  # fmt: skip
    assert nothing.value.rule is Rule.PERSON_NOTHING_TO_CORRECT
    memory_ledger.save(person)
    loaded: Person = memory_ledger.repository.get(person_stream(ref))
    assert (loaded.version, loaded.details, loaded.vulnerabilities) == (
        3,
        person.details,
        (Vulnerability.DISABILITY,),
    )


def test_a_persons_details_sealed_under_another_key_are_refused(
    memory_ledger: CaseLedger,
) -> None:
    ref, other = uuid4(), uuid4()
    theirs = _person_details(memory_ledger, other, name="Someone Else")["name"]
    assert theirs is not None
    with pytest.raises(RuleViolation) as wrong:
        Person.register(
            actor=CASEWORKER, occurred_at=T0, person_ref=ref, details=PersonDetails(name=theirs)
        )
    assert wrong.value.rule is Rule.SEAL_SCOPE
    with pytest.raises(RuleViolation) as nameless:
        Person.register(actor=CASEWORKER, occurred_at=T0, person_ref=ref, details=None)
    assert nameless.value.rule is Rule.TEXT_REQUIRED


def test_a_merged_record_points_to_the_survivor_and_takes_no_more_change(
    memory_ledger: CaseLedger,
) -> None:
    ref, survivor = uuid4(), uuid4()
    name = _person_details(memory_ledger, ref, name="Vic Tim")["name"]
    assert name is not None
    person = Person.register(
        actor=SUPERVISOR, occurred_at=T0, person_ref=ref, details=PersonDetails(name=name)
    )
    with pytest.raises(RuleViolation) as itself:
        person.merge_into(actor=SUPERVISOR, occurred_at=T0, into=ref)
    assert itself.value.rule is Rule.PERSON_MERGE
    person.merge_into(actor=SUPERVISOR, occurred_at=T0, into=survivor)
    assert person.merged_into == survivor
    for change in (
        partial(person.merge_into, actor=SUPERVISOR, occurred_at=T0, into=uuid4()),
        partial(person.correct, actor=SUPERVISOR, occurred_at=T0, name=name),
    ):
        with pytest.raises(RuleViolation) as refused_change:
            change()
        assert refused_change.value.rule is Rule.PERSON_MERGE


def test_a_closed_case_takes_an_asb_case_review_request_and_each_of_its_steps(
    kit: CaseKit, case: Case
) -> None:
    close_as(kit, case, actor=SUPERVISOR)()
    request = uuid4()
    case.request_case_review(
        actor=CASEWORKER, occurred_at=T0 + timedelta(days=31), request_id=request,
        applicant_ref=kit.complainant, received_at=T0 + timedelta(days=31),
    )  # fmt: skip
    case.acknowledge_case_review(
        actor=CASEWORKER, occurred_at=T0 + timedelta(days=32), request_id=request
    )
    case.decide_case_review(
        actor=SUPERVISOR, occurred_at=T0 + timedelta(days=40), request_id=request,
        decision=CaseReviewDecision.THRESHOLD_MET, outcome=kit.text("threshold met"),
    )  # fmt: skip
    case.conclude_case_review(
        actor=SUPERVISOR, occurred_at=T0 + timedelta(days=50), request_id=request,
        recommendations=kit.text("review held: mediation and a warning"),
    )  # fmt: skip
    assert case.closed
    review = case.case_reviews[request]
    assert review.decision is CaseReviewDecision.THRESHOLD_MET
    assert (review.acknowledged_at, review.concluded_at) == (
        T0 + timedelta(days=32),
        T0 + timedelta(days=50),
    )


def test_a_place_is_a_uprn_or_an_address_with_a_postcode_and_a_house(
    memory_ledger: CaseLedger,
) -> None:
    places = memory_ledger.places
    assert places.named("000100031234567"[-12:], None, "place") == "uprn:100031234567"
    one = places.named(None, "3 Example Road, Stafford ST16 2AB", "place")
    assert (
        one
        == places.of_text("3, example road, st162ab")
        != places.of_text("4 Example Road ST16 2AB")
    )
    assert one is not None
    assert one.startswith("addr:")
    assert "ST16" not in one.upper()
    assert "EXAMPLE" not in one.upper()
    for uprn, address in (
        ("12-34", None),
        ("0", None),
        ("1234567890123", None),
        (None, "Flat 2, Example Road"),
    ):
        with pytest.raises(RuleViolation) as raised:
            places.named(uprn, address, "place")
        assert raised.value.rule is Rule.PLACE_UNRECOGNISED
    assert places.of_text("The stairwell") is None  # free text without an address: no place
    with pytest.raises(RuleViolation) as raised:  # what events hold is checked too
        places_check("3 Example Road, ST16 2AB")
    assert raised.value.rule is Rule.PLACE_UNRECOGNISED
    assert places_check(one) == one


def test_the_register_refuses_a_strong_duplicate_and_an_unknown_merge(
    memory_ledger: CaseLedger,
) -> None:
    from ledger.person_register import PlainDetails, PossibleDuplicate

    people = memory_ledger.people
    details = PlainDetails(name="Ann Other", date_of_birth="1970-01-31")
    ref = uuid4()
    intake = people.intake(None, ref, details, actor=CASEWORKER, occurred_at=T0)
    assert intake.person is not None
    memory_ledger.save(intake.person)
    people.add_tokens(ref, intake.tokens)
    with pytest.raises(PossibleDuplicate) as duplicate:
        people.screen(uuid4(), details, check_duplicates=True, field="details")
    assert duplicate.value.rule is Rule.PERSON_POSSIBLE_DUPLICATE
    people.screen(uuid4(), details, check_duplicates=False, field="details")  # confirmed new
    with pytest.raises(RuleViolation) as unknown:
        people.merge(uuid4(), ref, actor=SUPERVISOR, occurred_at=T0)
    assert unknown.value.rule is Rule.PERSON_UNKNOWN


def test_a_person_an_open_case_needs_is_not_erased(memory_ledger: CaseLedger) -> None:
    from commands import erase_person

    kit = CaseKit(memory_ledger)
    case = kit.open()
    memory_ledger.save_new_case(case)
    command = erase_person.ErasePerson(
        actor=SUPERVISOR,
        occurred_at=T0,
        person_ref=kit.complainant,
        ground=ErasureReason.SUBJECT_REQUEST,
    )
    # The complainant alone: no open case needs them as victim or alleged perpetrator.
    assert erase_person.handle(command, memory_ledger, [case.id]) == [f"person:{kit.complainant}"]
    victim = uuid4()
    case = memory_ledger.get_case(case.id)
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=victim,
        role=PersonRole.VICTIM,
        details=kit.details(victim, "Vic Tim"),
    )
    memory_ledger.save_case(case)
    with pytest.raises(RuleViolation) as refused:
        erase_person.handle(replace(command, person_ref=victim), memory_ledger, [case.id])
    assert refused.value.rule is Rule.ERASURE_CASE_OPEN


def test_break_glass_only_where_needed_one_grant_at_a_time_and_its_alert_closed_once(
    memory_ledger: CaseLedger,
) -> None:
    from api.policy import Action, CaseFacts, decide
    from tests.unit.test_break_glass import DPO, OUTSIDER, grant, supervisor

    mine = CaseFacts(team="south", officer=None, shared_with=frozenset())
    needless = decide(supervisor("south"), Action.BREAK_GLASS, mine)
    assert (needless.allowed, needless.rule) == (False, Rule.BREAK_GLASS_NOT_NEEDED.value)

    kit = CaseKit(memory_ledger)
    case = kit.open()
    memory_ledger.save_new_case(case)
    first = grant(memory_ledger, case.id)
    with pytest.raises(RuleViolation) as running:
        grant(memory_ledger, case.id, at=timedelta(hours=1))
    assert running.value.rule is Rule.BREAK_GLASS_ACTIVE
    later = grant(memory_ledger, case.id, at=timedelta(hours=4))  # the first has expired
    found = memory_ledger.break_glass.active(OUTSIDER.user_id, case.id, T0 + timedelta(hours=5))
    assert found is not None
    assert found.id == later.id != first.id

    review = partial(
        memory_ledger.break_glass.review,
        first.id,
        actor=DPO,
        occurred_at=T0 + timedelta(days=1),
        follow_up=None,
        note=None,
    )
    review(outcome=AlertOutcome.JUSTIFIED)
    with pytest.raises(RuleViolation) as closed:
        review(outcome=AlertOutcome.ESCALATED)
    assert closed.value.rule is Rule.ALERT_CLOSED
    unknown = memory_ledger.break_glass.review
    assert unknown(uuid4(), **review.keywords, outcome=AlertOutcome.JUSTIFIED) is None


# ---------------------------------------------------- legal holds and retention (issue 13 §3)
# Imports are local to this section, so that other sections' additions merge cleanly.


def _dpo() -> Actor:
    return Actor(user_id="dpo-1", display_name="Dee Pio", role=Role.DPO, organisation="council")


def _hold(
    ledger: CaseLedger | None, scope: Any, reason: str = "litigation", reference: str = "KB-1"
) -> Any:
    """A legal hold placed by a DPO (saved, with the index, when ``ledger`` is given)."""
    from ledger.enums import HoldReason
    from ledger.holds import LegalHold

    hold = LegalHold.place(
        hold_id=uuid4(),
        actor=_dpo(),
        occurred_at=T0,
        scope=scope,
        reason=HoldReason(reason),
        reference=reference,
    )
    if ledger is not None:
        ledger.holds.place(hold)
    return hold


def _closed_case(kit: CaseKit) -> Case:
    case = kit.open()
    close_as(kit, case, actor=SUPERVISOR)()
    kit.ledger.save_new_case(case)
    return case


def test_a_lifted_hold_is_not_lifted_again(memory_ledger: CaseLedger) -> None:
    from ledger.enums import HoldLiftReason
    from ledger.holds import HoldScope

    case = _closed_case(CaseKit(memory_ledger))
    holds = memory_ledger.holds
    hold = _hold(memory_ledger, HoldScope(case_id=case.id))
    assert [c.hold_id for c in holds.covering(cases=[case.id])] == [hold.id]
    lifted, _ = holds.lift(hold.id, actor=_dpo(), occurred_at=T0, reason=HoldLiftReason.CONCLUDED)
    assert not lifted.active
    assert holds.covering(cases=[case.id]) == []
    head = memory_ledger.recorder.max_notification_id()
    with pytest.raises(RuleViolation) as again:
        holds.lift(hold.id, actor=_dpo(), occurred_at=T0, reason=HoldLiftReason.WITHDRAWN)
    assert again.value.rule is Rule.HOLD_LIFTED
    assert memory_ledger.recorder.max_notification_id() == head


@pytest.mark.parametrize("reference", ["Jane Doe", "", "-KB1", "KB1-", "x" * 65, "KB\n1"])
def test_a_hold_names_its_matter_by_a_reference_never_by_a_name(reference: str) -> None:
    from ledger.enums import Category
    from ledger.holds import HoldScope

    place = partial(_hold, None, HoldScope(category=Category.PERSONAL), "public_inquiry")
    with pytest.raises(RuleViolation) as refused_reference:
        place(reference)
    assert refused_reference.value.rule is Rule.HOLD_REFERENCE_FORMAT
    assert place("IC-123456-A1B2").reference == "IC-123456-A1B2"
    assert place("KB/2026/1.a").reference == "KB/2026/1.a"


def test_a_hold_covers_only_a_case_or_person_the_ledger_knows(memory_ledger: CaseLedger) -> None:
    from ledger.holds import HoldScope

    kit = CaseKit(memory_ledger)
    person = uuid4()
    memory_ledger.save(
        Person.register(
            actor=CASEWORKER, occurred_at=T0, person_ref=person, details=kit.details(person)
        )
    )
    for scope in (HoldScope(case_id=uuid4()), HoldScope(person_ref=uuid4())):
        with pytest.raises(RuleViolation) as unknown:
            _hold(memory_ledger, scope, "police_investigation")
        assert unknown.value.rule is Rule.HOLD_SCOPE_UNKNOWN
    assert memory_ledger.holds.all() == []
    hold = _hold(memory_ledger, HoldScope(person_ref=person), "police_investigation")
    assert memory_ledger.holds.covering(persons=[person])[0].hold_id == hold.id


def test_retention_erases_only_a_closed_case_past_its_due_date_and_unheld(
    memory_ledger: CaseLedger,
) -> None:
    from ledger.enums import HoldKind
    from ledger.holds import Cover, HoldScope
    from ledger.retention import CaseErasure

    kit = CaseKit(memory_ledger)
    case = kit.open()
    due = date(2032, 4, 1)
    record = partial(
        CaseErasure.record,
        actor=_dpo(),
        occurred_at=T0,
        closed_on=date(2026, 4, 1),
        due_on=due,
        scopes=(f"case:{case.id}",),
        kept=(),
    )
    hold = Cover(HoldKind.LEGAL_HOLD, uuid4(), "litigation", HoldScope(case_id=case.id))
    with pytest.raises(RuleViolation) as still_open:
        record(case, today=due, holds=())
    assert still_open.value.rule is Rule.RETENTION_CASE_OPEN
    close_as(kit, case, actor=SUPERVISOR)()
    with pytest.raises(RuleViolation) as early:
        record(case, today=due - timedelta(days=1), holds=())
    assert early.value.rule is Rule.RETENTION_NOT_DUE
    with pytest.raises(RuleViolation) as held:
        record(case, today=due, holds=(hold,))
    assert held.value.rule is Rule.RETENTION_LEGAL_HOLD
    assert str(hold.hold_id) in held.value.detail
    erased = record(case, today=due, holds=())
    assert (erased.case_id, erased.reference, erased.due_on) == (case.id, case.reference, due)


def test_a_held_person_is_not_erased(memory_ledger: CaseLedger) -> None:
    from commands import erase_person
    from ledger.enums import Category, HoldLiftReason
    from ledger.holds import HoldScope

    kit = CaseKit(memory_ledger)
    case = _closed_case(kit)
    command = erase_person.ErasePerson(
        actor=_dpo(),
        occurred_at=T0,
        person_ref=kit.complainant,
        ground=ErasureReason.SUBJECT_REQUEST,
    )
    holds = memory_ledger.holds
    hold = _hold(memory_ledger, HoldScope(category=Category.PERSONAL), "public_inquiry")
    with pytest.raises(RuleViolation) as held:
        erase_person.handle(command, memory_ledger, [case.id])
    assert held.value.rule is Rule.ERASURE_LEGAL_HOLD
    assert str(hold.id) in held.value.detail
    assert memory_ledger.keys.aead_for_reading(f"person:{kit.complainant}") is not None
    holds.lift(hold.id, actor=_dpo(), occurred_at=T0, reason=HoldLiftReason.CONCLUDED)
    assert erase_person.handle(command, memory_ledger, [case.id]) == [f"person:{kit.complainant}"]
