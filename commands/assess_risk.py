"""Assess or reassess risk with a named, versioned instrument."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar
from uuid import UUID

from commands.common import CaseCommand
from commands.unit_of_work import UnitOfWork
from ledger import fields
from ledger.case import Case
from ledger.enums import RiskLevel
from ledger.values import Receipt, RiskOverride


@dataclass(frozen=True, kw_only=True)
class AssessRisk(CaseCommand):
    name: ClassVar[str] = "assess_risk"

    instrument: str
    instrument_version: int
    answers: dict[str, int] = field(default_factory=dict)
    victim_ref: UUID | None = None
    override_level: RiskLevel | None = None
    override_rationale: str | None = None
    rationale: str | None = None


def handle(cmd: AssessRisk, uow: UnitOfWork) -> Receipt:
    """The level is computed from the answers; an override is kept beside it."""
    seal = uow.seal(cmd.case_id)

    def decide(case: Case) -> None:
        override = None
        if cmd.override_level is not None:
            override = RiskOverride(
                level=cmd.override_level,
                rationale=seal.text(cmd.override_rationale, fields.RISK_OVERRIDE_RATIONALE),
            )
        case.assess_risk(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            instrument=cmd.instrument,
            instrument_version=cmd.instrument_version,
            answers=cmd.answers,
            victim_ref=cmd.victim_ref,
            override=override,
            rationale=seal.text(cmd.rationale, fields.RISK_RATIONALE),
        )

    return uow.update(cmd, decide)
