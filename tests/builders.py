"""Test data builders: a case opened through the aggregate, with text sealed for real."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Agency,
    Category,
    Channel,
    ConsentStatus,
    ContactMethod,
    Department,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    Role,
    SharePurpose,
    SpecialCategoryCondition,
)
from ledger.values import Actor, Feedback, PersonDetails, Recipient, Sealed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

CASEWORKER = Actor(
    user_id="cw-1",
    display_name="Casey Worker",
    role=Role.CASEWORKER,
    organisation="council",
    team="north",
)
SUPERVISOR = Actor(
    user_id="sv-1",
    display_name="Sam Supervisor",
    role=Role.SUPERVISOR,
    organisation="council",
    team="north",
)


class CaseKit:
    """Opens a case and seals whatever text a test needs for it."""

    def __init__(
        self, ledger: CaseLedger, *, preferred: ContactMethod = ContactMethod.PHONE
    ) -> None:
        self.ledger = ledger
        self.case_id = ledger.new_case_id()
        self.complainant = uuid4()
        self.preferred = preferred

    def text(self, value: str = "some text", field: str = "note") -> Sealed:
        sealed = self.ledger.sealer.seal_text(value, case_id=self.case_id, field=field)
        assert sealed is not None
        return sealed

    def personal(self, person: UUID, value: str, field: str = "name") -> Sealed:
        sealed = self.ledger.sealer.seal_personal(
            value, case_id=self.case_id, person_ref=person, field=field
        )
        assert sealed is not None
        return sealed

    def details(self, person: UUID, name: str = "A Person") -> PersonDetails:
        return PersonDetails(
            name=self.personal(person, name, "name"),
            address=self.personal(person, "1 Test Street", "address"),
        )

    def open(self, when: datetime = T0, description: str = "noise from next door") -> Case:
        return Case.open(
            case_id=self.case_id,
            actor=CASEWORKER,
            occurred_at=when,
            reference=self.ledger.prepare_opening(self.case_id, [self.complainant], when),
            channel=Channel.PHONE,
            received_at=when,
            category=Category.PERSONAL,
            description=self.text(description, "description"),
            location=self.text("1 Test Street", "location"),
            lead_department=Department.COMMUNITY_SAFETY,
            complainant_ref=self.complainant,
            complainant=self.details(self.complainant, "Cathy Complainant"),
            preferred_contact=self.preferred,
            ward="Coton",
        )

    def incident(
        self,
        case: Case,
        *,
        days: int = 0,
        criminal: bool = False,
        harms: tuple[HarmIndicator, ...] = (),
        victims: tuple[UUID, ...] = (),
    ) -> UUID:
        incident_id = uuid4()
        case.record_incident(
            actor=CASEWORKER,
            occurred_at=T0 + timedelta(days=days),
            incident_id=incident_id,
            incident_type=IncidentType.NOISE,
            description=self.text("loud music", "incident.description"),
            harms=harms,
            criminal=criminal,
            victim_refs=victims,
        )
        return incident_id

    def feedback(self, method: ContactMethod | None = None, why_not: str | None = None) -> Feedback:
        return Feedback(
            method=method or self.preferred,
            given_at=T0 + timedelta(days=30),
            given_by=CASEWORKER.user_id,
            preferred_method_used=True,
            why_not_preferred=self.text(why_not, "feedback.why_not") if why_not else None,
        )

    def share_kwargs(self, **overrides: object) -> dict[str, object]:
        kwargs: dict[str, object] = dict(
            actor=CASEWORKER,
            occurred_at=T0 + timedelta(days=1),
            share_id=uuid4(),
            recipient=Recipient(agency=Agency.HOUSING_PROVIDER, organisation="Test Homes"),
            items=("case_summary",),
            purpose=SharePurpose.PREVENT_CRIME_AND_DISORDER,
            justification=self.text("landlord must act on the tenancy", "justification"),
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115,
            includes_special_category=False,
            condition=SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS,
            consent=ConsentStatus.GIVEN,
            consent_note=None,
            authoriser=SUPERVISOR,
        )
        kwargs.update(overrides)
        return kwargs


def due(days: int) -> date:
    return (T0 + timedelta(days=days)).date()
