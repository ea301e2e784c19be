"""Every error the API returns, mapped in one place to an RFC 9457 problem+json body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import structlog
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Unauthenticated
from ledger.errors import (
    CaseNotFound,
    ConcurrentWrite,
    HoldNotFound,
    IntegrityFailure,
    NothingToSave,
    Rule,
    RuleViolation,
    SealBroken,
    StaleVersion,
)
from projections.paging import BadCursor
from projections.view import ViewBehind

PROBLEM = "application/problem+json"
TYPES = "https://asb-ledger.example/problems/"
log = structlog.get_logger("api")


class Problem(Exception):
    """An error with its HTTP status, raised where the API (not the ledger) decides it."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


def not_found(detail: str = "no such case") -> Problem:
    """The same answer whether the case does not exist or the caller may not see it."""
    return Problem(404, "not-found", "Not found", detail)


CONFLICTS = frozenset(
    {
        Rule.ORGANISATION_ALREADY_REGISTERED,
        Rule.PERSON_POSSIBLE_DUPLICATE,
        Rule.ERASURE_OPEN_SAR,
        Rule.BREAK_GLASS_ACTIVE,
        Rule.ALERT_CLOSED,
        Rule.ERASURE_LEGAL_HOLD,
        Rule.HOLD_LIFTED,
    }
)
"""Rules broken by what already exists rather than by the request: 409, not 422."""


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Forbidden", detail)


def invalid_field(field: str, message: str, *, rule: str | None = None) -> Problem:
    """A 422 naming one field, in the shape of the validation errors; with ``rule``, a
    policy the value breaks though the schema allows it (the rule's code is given)."""
    extra: dict[str, Any] = {} if rule is None else {"rule": rule}
    return Problem(
        422,
        "invalid-request",
        "Invalid request",
        f"invalid: {field}",
        errors=[{"field": field, "message": message}],
        **extra,
    )


def unavailable(detail: str) -> Problem:
    return Problem(503, "unavailable", "Service unavailable", detail)


def problem_response(
    request: Request | None,
    status: int,
    kind: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The problem+json answer; for a web page (under ``/app``) the page the web pages
    install (``app.state.problem_page``) shows the same problem to a person instead."""
    if request is not None and request.url.path.startswith("/app"):
        show = getattr(request.app.state, "problem_page", None)
        if show is not None:
            shown: Response = show(request, status, title, detail, headers, extra)
            return shown
    body: dict[str, Any] = {
        "type": TYPES + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _not_json(error: Mapping[str, Any], body: Any) -> dict[str, str]:
    """A body that does not parse: the field is ``body`` (FastAPI's location is
    ``body.<character>``) and the message says where it breaks, quoting none of it."""
    why = str(error.get("ctx", {}).get("error", "")) or "it does not parse"
    loc = tuple(error.get("loc", ()))
    where = ""
    if len(loc) == 2 and isinstance(loc[1], int) and isinstance(body, str):
        pos = loc[1]
        line = body.count("\n", 0, pos) + 1
        column = pos - body.rfind("\n", 0, pos)
        where = f" at line {line}, column {column} (character {pos})"
    return {"field": "body", "message": f"the body is not valid JSON: {why}{where}"}


def _allowed(request: Request) -> str:
    """Every method the request's path has, from the app's OpenAPI paths (every route is in
    them): Starlette's 405 names only those of the first route whose path matched, so
    ``OPTIONS /cases`` said ``POST`` though ``GET /cases`` is there too."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Registers the mapping: 401, 403, 404, 409, 412, 422, 503 and a logged 500."""

    @app.exception_handler(Problem)
    def _problem(request: Request, error: Problem) -> Response:
        return problem_response(
            request,
            error.status,
            error.kind,
            error.title,
            error.detail,
            headers=error.headers,
            **error.extra,
        )

    @app.exception_handler(Unauthenticated)
    def _unauthenticated(request: Request, error: Unauthenticated) -> Response:
        return problem_response(
            request,
            401,
            "unauthenticated",
            "Unauthenticated",
            error.reason,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, error: RequestValidationError) -> Response:
        # Only where and why, never the value given: it may be personal data.
        errors = [
            _not_json(e, error.body)
            if e.get("type") == "json_invalid"
            else {"field": _field(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in error.errors()
        ]
        fields_named = ", ".join(e["field"] for e in errors) or "the request"
        return problem_response(
            request,
            422,
            "invalid-request",
            "Invalid request",
            f"invalid: {fields_named}",
            errors=errors,
        )

    @app.exception_handler(RuleViolation)
    def _rule(request: Request, error: RuleViolation) -> Response:
        """Every rule the command broke, each with its code; ``rule`` is the first."""
        broken = error.all
        return problem_response(
            request,
            409 if error.rule in CONFLICTS else 422,
            "rule-broken",
            "Rule broken",
            "; ".join(v.detail for v in broken),
            rule=error.rule.value,
            rules=[{"rule": v.rule.value, "detail": v.detail} for v in broken],
        )

    @app.exception_handler(ViewBehind)
    def _behind(request: Request, error: ViewBehind) -> Response:
        """A read given ``min_position`` that the view (or the notary) has not reached yet."""
        return problem_response(
            request,
            503,
            "view-behind",
            "View behind",
            f"the {error.view} view has reached position {error.reached}, not yet"
            f" {error.wanted}; retry shortly",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(BadCursor)
    def _cursor(request: Request, error: BadCursor) -> Response:
        return problem_response(
            request,
            422,
            "invalid-request",
            "Invalid request",
            "invalid: query.cursor",
            errors=[{"field": "query.cursor", "message": "not a cursor this list gave"}],
        )

    @app.exception_handler(CaseNotFound)
    def _missing(request: Request, error: CaseNotFound) -> Response:
        problem = not_found()
        return problem_response(request, 404, problem.kind, problem.title, problem.detail)

    @app.exception_handler(HoldNotFound)
    def _no_hold(request: Request, error: HoldNotFound) -> Response:
        return problem_response(request, 404, "not-found", "Not found", "no such legal hold")

    @app.exception_handler(StaleVersion)
    def _stale(request: Request, error: StaleVersion) -> Response:
        return problem_response(
            request,
            412,
            "stale-version",
            "Precondition failed",
            f"the case is at version {error.current}, not {error.expected}",
            current_version=error.current,
            headers={"ETag": f'"{error.current}"'},
        )

    @app.exception_handler(ConcurrentWrite)
    @app.exception_handler(NothingToSave)
    def _conflict(request: Request, error: Exception) -> Response:
        return problem_response(
            request,
            409,
            "conflict",
            "Conflict",
            "the case was changed by another writer at the same time; reload it and retry",
        )

    @app.exception_handler(IntegrityFailure)
    @app.exception_handler(SealBroken)
    def _integrity(request: Request, error: Exception) -> Response:
        log.critical("integrity.failure", error=type(error).__name__, detail=str(error))
        return problem_response(
            request,
            500,
            "integrity-failure",
            "Integrity failure",
            "the stored record failed its integrity check; the auditors have been alerted",
        )

    @app.exception_handler(PersistenceError)
    def _store(request: Request, error: PersistenceError) -> Response:
        log.error("store.unavailable", error=type(error).__name__)
        return problem_response(
            request, 503, "unavailable", "Service unavailable", "the store is unavailable"
        )

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, error: StarletteHTTPException) -> Response:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed(request)
        return problem_response(
            request,
            error.status_code,
            kind,
            str(error.detail) if error.status_code != 404 else "Not found",
            str(error.detail),
            headers=headers,
        )

    @app.exception_handler(Exception)
    def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("request.failed", error=type(error).__name__)
        return problem_response(
            request, 500, "internal", "Internal error", "an unexpected error; it was logged"
        )
