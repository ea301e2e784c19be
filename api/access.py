"""Recording reads: every response that shows personal data, and every refusal, first
appends an ``Accessed`` record. If the record cannot be written, nothing is shown (503)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from fastapi import Request

from api.errors import unavailable
from api.principal import Principal
from ledger.access import AccessRecord
from ledger.application import CaseLedger
from ledger.enums import AccessOutcome, AccessPurpose

if TYPE_CHECKING:
    from api.policy import Decision

log = structlog.get_logger("api")


def _case_id(value: Any) -> UUID | None:
    if isinstance(value, UUID) or value is None:
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


class AccessLog:
    """Appends access records for the API; each is its own stream, so it never conflicts."""

    def __init__(self, ledger: CaseLedger, clock: Callable[[], datetime]) -> None:
        self.ledger = ledger
        self.clock = clock

    def record(
        self,
        request: Request,
        principal: Principal,
        *,
        case_id: UUID | None,
        case_version: int | None,
        view: str,
        subjects: Iterable[UUID] = (),
        outcome: AccessOutcome = AccessOutcome.GRANTED,
        reason: str | None = None,
        grant: UUID | None = None,
    ) -> None:
        """Appends the record (``grant``: a read under that break-glass grant, so marked)."""
        from api.policy import PURPOSE

        record = AccessRecord.record(
            occurred_at=self.clock(),
            actor=principal.actor(),
            request_id=getattr(request.state, "request_id", ""),
            case_id=case_id,
            case_version=case_version,
            view=view,
            purpose=PURPOSE.get(principal.role, AccessPurpose.CASE_MANAGEMENT),
            subjects=tuple(subjects),
            outcome=outcome,
            reason=reason,
            grant_id=grant,
        )
        try:
            self.ledger.record_access(record)
        except Exception as error:
            log.error("access.unrecorded", error=type(error).__name__, view=view)
            raise unavailable("the access could not be recorded, so nothing is shown") from None

    def denied(
        self,
        request: Request,
        principal: Principal,
        *,
        case_id: Any,
        reason: Decision,
        version: int | None = None,
    ) -> None:
        """A refused request, recorded before the refusal is sent, with the version of the
        case at the time (read from its last row when the case was not loaded)."""
        route = request.scope.get("route")
        refused = _case_id(case_id)
        if version is None and refused is not None:
            version = self.ledger.current_version(refused)
        request.state.denied = reason.reason
        self.record(
            request,
            principal,
            case_id=refused,
            case_version=version,
            view=getattr(route, "name", None) or "unmatched",
            outcome=AccessOutcome.NOT_FOUND if reason.hide else AccessOutcome.DENIED,
            reason=reason.reason,
        )
