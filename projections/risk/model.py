"""What the cumulative-harm risk view answers with: each case and victim, judged, by page."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ledger.harm_model import Harm, Judgement


@dataclass(frozen=True, kw_only=True)
class VictimRisk:
    """One victim of a case, judged on their incidents across all their cases."""

    person_ref: UUID
    cases: int
    """How many cases they are a victim on (this one included)."""
    harm: Harm
    judgement: Judgement


@dataclass(frozen=True, kw_only=True)
class CaseRisk:
    """A case's cumulative-harm risk at a moment: its own incidents and each victim's."""

    case_id: UUID
    reference: str
    status: str
    team: str | None
    officer: str | None
    version: int
    opened_position: int
    harm: Harm
    judgement: Judgement
    victims: tuple[VictimRisk, ...]


@dataclass(frozen=True, kw_only=True)
class PersonCase:
    """A case a person is on, with their roles in it (``as_ref``: the reference the case
    names them by, which a merge may have joined to another)."""

    case_id: UUID
    reference: str
    status: str
    team: str | None
    officer: str | None
    opened_position: int
    roles: tuple[str, ...]
    as_ref: UUID


@dataclass(frozen=True)
class RiskPage:
    """A page of judged cases, oldest first; ``next_cursor`` is None on the last page."""

    items: list[CaseRisk]
    next_cursor: str | None
