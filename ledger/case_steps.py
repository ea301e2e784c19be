"""What every group of Case steps may rely on: the aggregate's state and plumbing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.errors import Rule, RuleViolation

if TYPE_CHECKING:
    from ledger.case_state import (
        CaseReviewRequest,
        Contact,
        Enforcement,
        Incident,
        LinkedPerson,
        PlannedAction,
        Share,
        SupportReferral,
    )
    from ledger.enums import Agency, ContactMethod, RiskLevel


def utc(moment: datetime, name: str) -> datetime:
    """A timezone-aware moment in UTC; a naive one is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleViolation(Rule.TIMEZONE_REQUIRED, f"{name} must carry a timezone")
    return moment.astimezone(UTC)


class CaseSteps:
    """Base of the step groups the Case is assembled from. Declares, for type checking
    only, the state and plumbing that ``Case`` provides; it adds nothing at run time."""

    if TYPE_CHECKING:
        persons: dict[UUID, LinkedPerson]
        shares: list[Share]
        received_at: datetime
        incidents: dict[UUID, Incident]
        actions: dict[str, PlannedAction]
        contacts: list[Contact]
        enforcement: list[Enforcement]
        agencies: dict[str, Agency]
        support_referrals: list[SupportReferral]
        case_reviews: dict[UUID, CaseReviewRequest]
        preferred_contact: ContactMethod
        complainant_ref: UUID
        closed: bool

        @property
        def id(self) -> UUID: ...

        @property
        def risk_level(self) -> RiskLevel | None: ...

        @property
        def unreferred_criminal_incidents(self) -> list[UUID]: ...

        @property
        def open_actions(self) -> list[str]: ...

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

        def _open(self, action: str) -> None: ...

        def _require_linked(self, refs: tuple[UUID, ...], name: str) -> None: ...
