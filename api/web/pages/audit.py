"""The auditor's pages: find a case by reference, replay it as it stood at a version or a
moment, and compare two versions field by field. The API's replay code does the work
(``api/replaying.py``): the same policy, the aggregate's own fold, and the same access
records (views ``case.as_of`` and ``case.diff``) before anything is shown. Checking a case
and exporting its bundle are in ``audit_checks``."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import DirectoryDep, LedgerDep, SettingsDep
from api.errors import Problem
from api.policy import Action, Guard
from api.reading import CaseReadsDep
from api.replaying import case_as_of, read_diff
from api.routes.common import CASE_ID_OR_REFERENCE, case_id_named
from api.web.forms import refused_by
from api.web.guard import page_guard
from api.web.rendering import page
from ledger.errors import IntegrityFailure
from projections.directory.projection import CaseDirectory
from projections.visibility import Visibility

log = structlog.get_logger("api")
router = APIRouter(include_in_schema=False)

Auditor = Annotated[Guard, Depends(page_guard(Action.AUDIT_CASE))]
Version = Annotated[int | None, Query(ge=1, le=10**9)]
RECENT = 20


@router.get("/app/audit", name="web.audit")
def audit_home(
    request: Request,
    guard: Auditor,
    ledger: LedgerDep,
    directory: DirectoryDep,
    case: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Pick a case by its reference (or id): then its replay page."""
    errors: dict[str, str] = {}
    given = (case or "").strip()
    if given:
        if not re.fullmatch(CASE_ID_OR_REFERENCE, given):
            errors["case"] = "Enter a case reference, like ASB-2026-000123, or a case id"
        else:
            found = case_id_named(ledger, given)
            if found is None or ledger.current_version(found) is None:
                errors["case"] = "No case has this reference"
            else:
                return RedirectResponse(f"/app/audit/cases/{found}", status_code=303)
    recent = directory.list_cases(visibility=Visibility(everything=True), limit=RECENT)
    return page(
        request,
        "audit.html",
        {
            "case": given,
            "field_errors": errors,
            "errors": [{"field": k, "text": v} for k, v in errors.items()] or None,
            "recent": recent.items,
            "breadcrumbs": [("Home", "/app"), ("Audit", None)],
        },
        principal=guard.caller,
        status=422 if errors else 200,
    )


def _reference(directory: CaseDirectory, case_id: UUID) -> str:
    entry = directory.get(case_id)
    return str(case_id) if entry is None else entry.reference


def _crumbs(reference: str, case_id: UUID, last: str | None = None) -> list[Any]:
    crumbs: list[Any] = [("Home", "/app"), ("Audit", "/app/audit")]
    if last is None:
        return [*crumbs, (reference, None)]
    return [*crumbs, (reference, f"/app/audit/cases/{case_id}"), (last, None)]


@router.get("/app/audit/cases/{case_id}", name="web.audit.case")
def audit_case(
    request: Request,
    case_id: UUID,
    guard: Auditor,
    cases: CaseReadsDep,
    ledger: LedgerDep,
    directory: DirectoryDep,
    settings: SettingsDep,
    as_of_version: Version = None,
    as_of: Annotated[str | None, Query(max_length=30)] = None,
    time: Literal["recorded", "occurred"] | None = None,
) -> Response:
    """The case as it stood at a version (default: the current one) or at a moment, UK
    time, as recorded or as it happened (``time``); recorded as view ``case.as_of``."""
    reference = _reference(directory, case_id)
    context: dict[str, Any] = {
        "case_id": case_id,
        "reference": reference,
        "given": {"as_of_version": as_of_version, "as_of": as_of or "", "time": time},
        "shown": None,
        "field_errors": {},
        "breadcrumbs": _crumbs(reference, case_id),
    }
    at = None
    if as_of:
        try:
            at = datetime.fromisoformat(as_of)
        except ValueError:
            context["field_errors"] = {"as_of": "Enter a real date and time"}
            context["errors"] = [{"field": "as_of", "text": "Enter a real date and time"}]
            return page(request, "audit_case.html", context, principal=guard.caller, status=422)
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(settings.timezone))
    version = as_of_version
    if version is None and at is None:
        version = ledger.current_version(case_id) or 1  # none: the load below is a 404
    try:
        shown = case_as_of(
            cases, guard, case_id, version=version, at=at, basis=time if at is not None else None
        )
    except IntegrityFailure as failed:
        return _unreadable(request, guard, context, "audit_case.html", failed)
    except Problem as problem:
        if problem.status != 422:
            raise
        refused = refused_by(problem)
        context.update(errors=refused.summary, field_errors=refused.fields)
        return page(request, "audit_case.html", context, principal=guard.caller, status=422)
    context.update(shown=shown, case=shown)
    return page(request, "audit_case.html", context, principal=guard.caller)


def _unreadable(
    request: Request,
    guard: Guard,
    context: dict[str, Any],
    template: str,
    failed: IntegrityFailure,
) -> Response:
    """A case whose stored events fail their hash chain cannot be replayed: the auditor is
    told where it fails (as the API's handler, the failure is logged as critical), and may
    still check the case and download its bundle from the page."""
    log.critical("integrity.failure", error=type(failed).__name__, detail=str(failed))
    context["errors"] = [
        {
            "field": None,
            "text": "The stored records of this case fail their integrity check",
            "detail": f"FAILED case {failed.case_id} version {failed.version}: {failed.reason}."
            " Check the case for the first version that fails.",
        }
    ]
    return page(request, template, context, principal=guard.caller, status=500)


def _value(value: Any) -> str:
    """A field's value as text: plain text as it is, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@router.get("/app/audit/cases/{case_id}/diff", name="web.audit.diff")
def audit_diff(
    request: Request,
    case_id: UUID,
    guard: Auditor,
    cases: CaseReadsDep,
    directory: DirectoryDep,
    start: Annotated[int, Query(alias="from", ge=1, le=10**9)] = 1,
    end: Annotated[int | None, Query(alias="to", ge=1, le=10**9)] = None,
) -> Response:
    """What changed in the case from one version to another (default: to the current one),
    field by field; recorded as view ``case.diff``."""
    reference = _reference(directory, case_id)
    context: dict[str, Any] = {
        "case_id": case_id,
        "reference": reference,
        "given": {"from": start, "to": end},
        "diff": None,
        "field_errors": {},
        "breadcrumbs": _crumbs(reference, case_id, "Compare versions"),
    }
    try:
        found = read_diff(cases, guard, case_id, start=start, end=end)
    except IntegrityFailure as failed:
        return _unreadable(request, guard, context, "audit_diff.html", failed)
    except Problem as problem:
        if problem.status != 422:
            raise
        refused = refused_by(problem)
        context.update(errors=refused.summary, field_errors=refused.fields)
        return page(request, "audit_diff.html", context, principal=guard.caller, status=422)
    rows = [
        {
            "path": change.path,
            "op": change.op,
            "before": _value(change.before),
            "after": _value(change.after),
        }
        for change in found.changes
    ]
    context.update(diff=found, rows=rows)
    return page(request, "audit_diff.html", context, principal=guard.caller)
