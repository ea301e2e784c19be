"""Reading a case under the policy: the case if the caller may see it, with every refusal
recorded before it is answered, and every read recorded before it is shown (DESIGN §4).

A supervisor's read of a case outside their teams looks up their break-glass grant in the
ledger; a read it opens is recorded as one under that grant (``Accessed.v2``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from api.access import AccessLog
from api.deps import AccessDep, Clock, ClockDep, LedgerDep
from api.errors import forbidden, not_found
from api.policy import CaseFacts, Guard, decide, may_need_grant
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import AccessOutcome
from ledger.errors import CaseNotFound


class CaseReads:
    """The case reads of one request: ``CaseReadsDep`` gives a route one of these."""

    def __init__(
        self, request: Request, ledger: CaseLedger, access: AccessLog, clock: Clock
    ) -> None:
        self.request = request
        self.ledger = ledger
        self.access = access
        self.clock = clock
        self.grants: dict[UUID, UUID] = {}
        """The break-glass grant each case loaded was read under (none: not a break-glass read)."""

    def load(self, guard: Guard, case_id: UUID, view: str) -> Case:
        """The case, if the caller may see it and do what the route does; else a recorded
        refusal: 404 when they may not know it exists (the same as a missing case), 403
        when they may see it but not do this."""
        principal = guard.caller
        self.request.state.case_id = str(case_id)
        try:
            case = self.ledger.get_case(case_id)
        except CaseNotFound:
            self.access.record(
                self.request,
                principal,
                case_id=case_id,
                case_version=None,
                view=view,
                outcome=AccessOutcome.NOT_FOUND,
                reason="no such case",
            )
            raise not_found() from None
        facts = CaseFacts.of(case)
        if may_need_grant(principal, guard.action, facts):
            grant = self.ledger.break_glass.active(principal.user_id, case.id, self.clock())
            facts = CaseFacts.of(case, None if grant is None else grant.id)
        decision = decide(principal, guard.action, facts)
        if not decision.allowed:
            self.access.denied(
                self.request, principal, case_id=case_id, reason=decision, version=case.version
            )
            raise not_found() if decision.hide else forbidden(decision.reason)
        if decision.grant is not None:
            self.grants[case.id] = decision.grant
        return case

    def shown(
        self,
        guard: Guard,
        *,
        case_id: UUID,
        version: int | None,
        view: str,
        subjects: Iterable[UUID] = (),
    ) -> None:
        """Records what is about to be shown: the case and version, the view, whose data,
        and the break-glass grant it was loaded under, if any."""
        self.access.record(
            self.request,
            guard.caller,
            case_id=case_id,
            case_version=version,
            view=view,
            subjects=subjects,
            grant=self.grants.get(case_id),
        )


async def get_case_reads(
    request: Request, ledger: LedgerDep, access: AccessDep, clock: ClockDep
) -> CaseReads:
    return CaseReads(request, ledger, access, clock)


CaseReadsDep = Annotated[CaseReads, Depends(get_case_reads)]
