"""Finding, reading and merging people in the person register."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from api.schemas.base import Body, LongText, ShortText
from api.schemas.risk import HarmOut, JudgementOut
from ledger.person_register import PlainDetails
from projections.risk.model import PersonCase, VictimRisk


class PersonSearchIn(Body):
    """What is known of the person sought: any of these (at least one). Sent as a body so
    that no personal data is ever in a URL or an access log line."""

    name: ShortText | None = Field(default=None, examples=["Vic Victim"])
    contact: ShortText | None = Field(default=None, examples=["07700 900456"])
    address: LongText | None = Field(default=None, examples=["3 Example Road, Stafford ST16 2AB"])
    date_of_birth: ShortText | None = Field(default=None, examples=["1970-01-31"])

    @model_validator(mode="after")
    def _something(self) -> PersonSearchIn:
        if (
            not any((v or "").strip() for v in (self.name, self.contact, self.address))
            and not (self.date_of_birth or "").strip()
        ):
            raise ValueError("give at least one of name, contact, address, date_of_birth")
        return self

    def details(self) -> PlainDetails:
        return PlainDetails(
            name=self.name,
            contact=self.contact,
            address=self.address,
            date_of_birth=self.date_of_birth,
        )


class PersonCaseOut(BaseModel):
    """A case a person is on, with their roles in it."""

    case_id: UUID
    reference: str
    status: str
    roles: list[str]
    as_ref: UUID = Field(description="The reference the case names them by")

    @classmethod
    def of(cls, case: PersonCase) -> PersonCaseOut:
        return cls(
            case_id=case.case_id,
            reference=case.reference,
            status=case.status,
            roles=list(case.roles),
            as_ref=case.as_ref,
        )


class CandidateOut(BaseModel):
    """A registered person whose details matched."""

    person_ref: UUID
    matched: list[str] = Field(
        description="The kinds of detail that matched: surname_dob, phone, email, full_name,"
        " postcode_house, surname_phonetic",
        examples=[["full_name", "phone", "surname_phonetic"]],
    )
    score: int
    strong: bool = Field(description="Strong enough that intake refuses a second record")
    name: str | None = Field(
        description="Shown only to a caller who may see one of the person's cases"
    )
    cases: list[PersonCaseOut] = Field(description="Their cases the caller may see")
    other_cases: int = Field(description="Their cases the caller may not see")


class PeopleFoundOut(BaseModel):
    candidates: list[CandidateOut]


class PersonRiskOut(BaseModel):
    """Cumulative harm across all the person's cases, after merges."""

    as_of: datetime
    cases: int = Field(description="Cases they are a victim on")
    harm: HarmOut
    judgement: JudgementOut

    @classmethod
    def of(cls, risk: VictimRisk, as_of: datetime) -> PersonRiskOut:
        return cls(
            as_of=as_of,
            cases=risk.cases,
            harm=HarmOut.of(risk.harm),
            judgement=JudgementOut.of(risk.judgement, None),
        )


class PersonOut(BaseModel):
    """A person as the caller may see them."""

    person_ref: UUID = Field(description="The surviving record's reference")
    asked_for: UUID = Field(description="The reference asked for (merged into person_ref?)")
    also_known_as: list[UUID] = Field(description="Records merged into this one")
    registered: bool = Field(description="Whether the register holds them (else only cases)")
    name: str | None
    contact: str | None
    address: str | None
    date_of_birth: str | None
    preferred_contact: str | None
    vulnerabilities: list[str]
    cases: list[PersonCaseOut]
    other_cases: int
    risk: PersonRiskOut


class MergeIn(Body):
    """Two records found to be one person: ``duplicate`` is merged into this one, which
    survives (every reader then treats both references as this one)."""

    duplicate: UUID


class MergedOut(BaseModel):
    person_ref: UUID = Field(description="The surviving record")
    merged: UUID = Field(description="The record merged into it")
    positions: list[int] = Field(description="Where the merge's events were recorded")
