"""Replaying a case for a route: the case as of a version or a time, or the difference
between two versions, as the caller may see it, recorded as an access before it is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from api.case_view import VIEW_IDENTITIES, render_as_of
from api.errors import Problem
from api.policy import Guard
from api.reading import CaseReads
from api.schemas.replay import AsOfOut, CaseAsOfOut, ChangeOut, DiffOut
from api.schemas.views import CaseOut
from ledger.application import CaseLedger
from ledger.case import Case
from replay.asof import AsOf, BeforeCaseExisted, VersionBeyondCase, as_of
from replay.diff import diff

TimeBasis = Literal["recorded", "occurred"]
AsOfVersion = Annotated[
    int | None, Query(ge=1, le=10**9, description="Show the case as it stood at this version.")
]
AsOfTime = Annotated[
    AwareDatetime | None,
    Query(
        description="Show the case as it stood at this moment (ISO 8601, with a timezone),"
        " in the time ``time`` names. Not with ``as_of_version``."
    ),
]
TimeBasisQuery = Annotated[
    TimeBasis | None,
    Query(
        description="With ``as_of``: ``recorded`` (the default) shows every version recorded"
        " by then; ``occurred`` (world time) shows the longest run of versions, from the"
        " first, that had all happened by then (``as_of.left_out`` names later versions"
        " that had happened too)."
    ),
]
FromVersion = Annotated[
    int, Query(alias="from", ge=1, le=10**9, description="The earlier version.")
]
ToVersion = Annotated[
    int | None,
    Query(ge=1, le=10**9, description="The later version (default: the current one)."),
]
"""The query parameters of the replay routes, declared once."""


def invalid(*problems: tuple[str, str]) -> Problem:
    """A 422 naming the parameters at fault, as a validation error does."""
    return Problem(
        422,
        "invalid-request",
        "Invalid request",
        "invalid: " + ", ".join(field for field, _ in problems),
        errors=[{"field": field, "message": message} for field, message in problems],
    )


def read_as_of(
    cases: CaseReads,
    guard: Guard,
    case_id: UUID,
    *,
    version: int | None,
    at: datetime | None,
    basis: TimeBasis | None,
) -> JSONResponse:
    """The case as of ``version``, or as of ``at`` in recorded or world (occurred) time."""
    body = case_as_of(cases, guard, case_id, version=version, at=at, basis=basis)
    shown = body.as_of.version
    return JSONResponse(
        body.model_dump(mode="json"),
        headers={
            "ETag": f'"{shown}"',
            "Content-Location": f"/cases/{body.case_id}?as_of_version={shown}",
        },
    )


def case_as_of(
    cases: CaseReads,
    guard: Guard,
    case_id: UUID,
    *,
    version: int | None,
    at: datetime | None,
    basis: TimeBasis | None,
) -> CaseAsOfOut:
    """``read_as_of``'s view (for the API and the auditor's pages), recorded as view
    ``case.as_of`` before it is returned."""
    if version is not None and at is not None:
        raise invalid(
            ("query.as_of_version", "give as_of_version or as_of, not both"),
            ("query.as_of", "give as_of_version or as_of, not both"),
        )
    if basis is not None and at is None:
        raise invalid(("query.time", "time applies only with as_of"))
    case = cases.load(guard, case_id, "case.as_of")
    ledger = cases.ledger
    field = "query.as_of_version" if version is not None else "query.as_of"
    shown = _replay(ledger, case, field, version=version, at=at, basis=basis or "recorded")
    view, subjects = render_as_of(shown.case, case, guard.caller, ledger.sealer)
    cases.shown(
        guard,
        case_id=case.id,
        version=shown.version,
        view="case.as_of",
        subjects=sorted(subjects, key=str),
    )
    return CaseAsOfOut(**dict(view), as_of=AsOfOut.of(shown, case.version))


def read_diff(
    cases: CaseReads, guard: Guard, case_id: UUID, *, start: int, end: int | None
) -> DiffOut:
    """What changed in the caller's view of the case from version ``start`` to ``end``
    (default: the current version)."""
    if end is not None and start > end:
        raise invalid(("query.from", "from must not be after to"))
    case = cases.load(guard, case_id, "case.diff")
    ledger = cases.ledger
    end = case.version if end is None else end
    old = _replay(ledger, case, "query.from", version=start)
    new = _replay(ledger, case, "query.to", version=end)
    before, seen_before = render_as_of(old.case, case, guard.caller, ledger.sealer)
    after, seen_after = render_as_of(new.case, case, guard.caller, ledger.sealer)
    changes = diff(_diffable(before), _diffable(after), keyed=VIEW_IDENTITIES)
    cases.shown(
        guard,
        case_id=case.id,
        version=new.version,
        view="case.diff",
        subjects=sorted(seen_before | seen_after, key=str),
    )
    return DiffOut(
        case_id=case.id,
        reference=case.reference,
        from_version=old.version,
        to_version=new.version,
        changes=[ChangeOut.of(change) for change in changes],
    )


def _replay(ledger: CaseLedger, case: Case, field: str, **chosen: Any) -> AsOf:
    """The state asked for; a version or time the case never had is a 422 naming the
    parameter and a stable code, never an empty state."""
    try:
        return as_of(ledger, case.id, **chosen)
    except VersionBeyondCase as beyond:
        detail = f"the case has no version {beyond.version}: it is at version {beyond.current}"
        code = beyond.code
    except BeforeCaseExisted as early:
        detail = (
            f"the case did not exist then in {early.basis} time: its first event"
            f" {'was recorded' if early.basis == 'recorded' else 'happened'}"
            f" at {early.first.isoformat()}"
        )
        code = early.code
    raise Problem(
        422,
        "rule-broken",
        "Rule broken",
        detail,
        rule=code,
        errors=[{"field": field, "message": detail}],
    )


def _diffable(view: CaseOut) -> dict[str, Any]:
    """A view as plain data, without its version (the diff names both versions)."""
    plain = view.model_dump(mode="json")
    plain.pop("version", None)
    return plain
