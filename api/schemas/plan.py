"""Requests for the case's people, incidents, risk and plan."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, StringConstraints

from api.commanding import Context
from api.schemas.base import (
    LongText,
    Occurred,
    PersonIn,
    PlaceIn,
    RequiredText,
    ShortText,
    StaffId,
)
from api.schemas.opening import person_text
from commands.agree_timescales import AgreeTimescales
from commands.assess_risk import AssessRisk
from commands.cancel_action import CancelAction
from commands.complete_action import CompleteAction
from commands.link_person import LinkPerson
from commands.plan_action import PlanAction
from commands.record_incident import RecordIncident
from ledger.enums import Agency, HarmIndicator, IncidentType, PersonRole, RiskLevel, Vulnerability
from ledger.risk import INSTRUMENTS, Instrument

ActionId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]


class LinkPersonIn(Occurred):
    """A person to link in a role. Omit ``person_ref`` for someone new to the council;
    give it (without details) to link a person already known."""

    person_ref: UUID | None = None
    role: PersonRole = Field(examples=["victim"])
    details: PersonIn | None = None
    vulnerabilities: list[Vulnerability] = Field(default_factory=list, max_length=20)
    vulnerability_note: LongText | None = None
    self_declared_repeat_victim: bool = False
    confirm_new_person: bool = Field(
        default=False,
        description="This is someone new, though the register holds a person whose details"
        " match (after a ``person.possible_duplicate`` refusal).",
    )

    def to_command(self, case_id: UUID, ctx: Context) -> LinkPerson:
        return LinkPerson(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            person_ref=ctx.ids.given("person_ref", self.person_ref),
            role=self.role,
            details=None if self.details is None else person_text(self.details),
            vulnerabilities=tuple(self.vulnerabilities),
            vulnerability_note=self.vulnerability_note,
            self_declared_repeat_victim=self.self_declared_repeat_victim,
            check_duplicates=self.person_ref is None and not self.confirm_new_person,
        )


class IncidentIn(Occurred):
    """An incident: when it happened (``occurred_at``), what, and the harm it did."""

    incident_type: IncidentType = Field(examples=["noise"])
    description: RequiredText = Field(examples=["Music and shouting from 23:00 to 02:00."])
    harms: list[HarmIndicator] = Field(default_factory=list, max_length=10)
    criminal: bool = False
    victim_refs: list[UUID] = Field(default_factory=list, max_length=50)
    location: LongText | None = None
    place: PlaceIn | None = Field(
        default=None,
        description="Where it happened; default: the location, where it holds a postcode"
        " and a house number or name.",
    )
    incident_id: UUID | None = None

    def to_command(self, case_id: UUID, ctx: Context) -> RecordIncident:
        return RecordIncident(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            incident_id=ctx.ids.given("incident_id", self.incident_id),
            incident_type=self.incident_type,
            description=self.description,
            harms=tuple(self.harms),
            criminal=self.criminal,
            victim_refs=tuple(self.victim_refs),
            location=self.location,
            place_uprn=None if self.place is None else self.place.uprn,
            place_address=None if self.place is None else self.place.address,
        )


def _instrument_text(instrument: Instrument) -> str:
    """The questions of an instrument, its answers and its scoring, as OpenAPI text."""
    lines = [
        f"`{instrument.name}` version {instrument.version}: one answer for every question,"
        " keyed by its key; each answer is 0 (no), 1 (partly or unsure) or 2 (yes).",
        "",
    ]
    for q in instrument.questions:
        notes = []
        if q.reversed:
            notes.append(
                f"scored reversed: {instrument.max_answer} minus the answer, so a yes adds 0"
                f" and a no adds {instrument.max_answer}"
            )
        if q.floor_if_yes is not None:
            notes.append(f"a yes makes the level at least {q.floor_if_yes.value}")
        lines.append(f"- `{q.key}`: {q.text}" + (f" ({'; '.join(notes)})" if notes else ""))
    bands = ", ".join(f"{level.value} from {lowest}" for lowest, level in instrument.bands)
    lines += ["", f"The score is the sum of the answers as scored; the level by score: {bands}."]
    return "\n".join(lines)


_INSTRUMENTS_TEXT = "\n\n".join(_instrument_text(i) for i in INSTRUMENTS.values())


def _keys_are_short_text(schema: dict[str, Any]) -> None:
    """Pydantic documents ``dict[ShortText, int]``'s key pattern as ``patternProperties``,
    which lets any other key through as far as JSON Schema goes; the keys are validated,
    so the pattern belongs to ``propertyNames``."""
    for pattern, values in schema.pop("patternProperties", {}).items():
        schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
        schema["additionalProperties"] = values


class RiskAssessmentIn(Occurred):
    """Answers to a named, versioned instrument (``asb-vra`` version 1: twelve questions,
    each 0, 1 or 2; the questions and the scoring are under ``answers``). The level is
    computed; an override needs a rationale."""

    instrument: ShortText = Field(default="asb-vra", examples=["asb-vra"])
    instrument_version: int = Field(default=1, ge=1, le=1000)
    answers: dict[ShortText, int] = Field(
        max_length=100,
        description=_INSTRUMENTS_TEXT,
        json_schema_extra=_keys_are_short_text,
        examples=[{q.key: 0 for q in next(iter(INSTRUMENTS.values())).questions}],
    )
    victim_ref: UUID | None = None
    override_level: RiskLevel | None = None
    override_rationale: LongText | None = None
    rationale: LongText | None = None

    def to_command(self, case_id: UUID, ctx: Context) -> AssessRisk:
        return AssessRisk(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            instrument=self.instrument,
            instrument_version=self.instrument_version,
            answers=dict(self.answers),
            victim_ref=self.victim_ref,
            override_level=self.override_level,
            override_rationale=self.override_rationale,
            rationale=self.rationale,
        )


class ActionIn(Occurred):
    """An action for the plan: what, who owns it, and when it is due."""

    action_id: ActionId | None = Field(default=None, description="Default: a new id.")
    description: RequiredText = Field(examples=["Visit the alleged perpetrator with a warning."])
    owner_agency: Agency | None = Field(examples=["council"])
    owner_officer: StaffId | None = Field(examples=["officer-17"])
    due: date | None = Field(examples=["2026-12-01"])

    def to_command(self, case_id: UUID, ctx: Context) -> PlanAction:
        return PlanAction(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            action_id=self.action_id or str(ctx.ids.new("action_id")),
            description=self.description,
            owner_agency=self.owner_agency,
            owner_officer=self.owner_officer,
            due=self.due,
        )


class ActionOutcomeIn(Occurred):
    """The outcome of a planned action (or why it was cancelled)."""

    outcome: RequiredText = Field(examples=["Warning delivered in person."])

    def completing(self, case_id: UUID, action_id: str, ctx: Context) -> CompleteAction:
        return CompleteAction(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            action_id=action_id,
            outcome=self.outcome,
        )

    def cancelling(self, case_id: UUID, action_id: str, ctx: Context) -> CancelAction:
        return CancelAction(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            action_id=action_id,
            outcome=self.outcome,
        )


class TimescalesIn(Occurred):
    """Dates agreed with the victim and partners (else DOMAIN §3's defaults apply)."""

    first_contact_due: date
    next_review_due: date
    target_resolution: date
    agreed_with: list[Agency] = Field(
        default_factory=list,
        max_length=20,
        description="Agency types agreed with; a partner organisation's is added for it.",
    )
    organisations: list[ShortText] = Field(
        default_factory=list,
        max_length=20,
        examples=[["staffordshire-police"]],
        description="The partner organisations agreed with, by registered id"
        " (``GET /organisations``).",
    )

    def to_command(self, case_id: UUID, ctx: Context) -> AgreeTimescales:
        return AgreeTimescales(
            case_id=case_id,
            expected_version=ctx.expected_version,
            actor=ctx.actor,
            occurred_at=self.when(ctx.occurred_at),
            first_contact_due=self.first_contact_due,
            next_review_due=self.next_review_due,
            target_resolution=self.target_resolution,
            agreed_with=tuple(self.agreed_with),
            organisations=tuple(self.organisations),
        )
