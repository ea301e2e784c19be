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


LINKING_ROLES = frozenset({"victim", "complainant", "alleged_perpetrator"})
"""The roles by which a person links two cases (a witness does not)."""


@dataclass(frozen=True)
class LinkReason:
    """Why two cases are linked: one person (after merges) in a linking role on both, with
    their role here and there; or one place (a UPRN or a keyed hash of the address)."""

    kind: str
    person_ref: UUID | None
    role_here: str | None
    role_there: str | None
    place: str | None = None


@dataclass(frozen=True, kw_only=True)
class LinkedCase:
    """Another case linked to one, and every reason."""

    case_id: UUID
    reference: str
    status: str
    team: str | None
    officer: str | None
    opened_position: int
    reasons: tuple[LinkReason, ...]


@dataclass(frozen=True)
class RiskPage:
    """A page of judged cases, oldest first; ``next_cursor`` is None on the last page."""

    items: list[CaseRisk]
    next_cursor: str | None
