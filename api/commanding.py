"""Running a command for a route: authorise on the case, apply If-Match and
Idempotency-Key, handle, and answer 201 with the receipt."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4, uuid5

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.errors import Problem, forbidden, not_found
from api.policy import CaseFacts, Guard, decide
from api.principal import Principal
from ledger.application import CaseLedger, IdempotencyClaim
from ledger.case import Case
from ledger.enums import AccessOutcome
from ledger.errors import CaseNotFound, ConcurrentWrite
from ledger.idempotency import IdempotencyRecord
from ledger.values import Actor, Receipt

C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)


class Handler(Protocol[C_contra]):
    def __call__(self, cmd: C_contra, ledger: CaseLedger, /) -> Receipt: ...


@dataclass
class Ids:
    """New ids for what a command creates. With an idempotency key they derive from it,
    so a retry names the same ids as the first attempt without storing them."""

    seed: UUID | None
    issued: dict[str, UUID] = field(default_factory=dict)

    def new(self, kind: str) -> UUID:
        made = uuid4() if self.seed is None else uuid5(self.seed, kind)
        self.issued[kind] = made
        return made

    def given(self, kind: str, value: UUID | None) -> UUID:
        chosen = value if value is not None else self.new(kind)
        self.issued[kind] = chosen
        return chosen


@dataclass(frozen=True)
class Context:
    """What a request model needs to become a command."""

    actor: Actor
    occurred_at: datetime
    expected_version: int | None
    ids: Ids


def load_case(request: Request, guard: Guard, case_id: UUID, view: str) -> Case:
    """The case, if the caller may see it and do what the route does; else a recorded
    refusal: 404 when they may not know it exists (the same as a missing case), 403 when
    they may see it but not do this."""
    principal = guard.caller
    ledger: CaseLedger = request.app.state.ledger
    access = request.app.state.access
    request.state.case_id = str(case_id)
    try:
        case = ledger.get_case(case_id)
    except CaseNotFound:
        access.record(
            request,
            principal,
            case_id=case_id,
            case_version=None,
            view=view,
            outcome=AccessOutcome.NOT_FOUND,
            reason="no such case",
        )
        raise not_found() from None
    decision = decide(principal, guard.action, CaseFacts.of(case))
    if not decision.allowed:
        access.denied(request, principal, case_id=case_id, reason=decision, version=case.version)
        raise not_found() if decision.hide else forbidden(decision.reason)
    return case


def if_match(request: Request) -> int | None:
    """The version named by ``If-Match`` ("7", W/"7" or 7), if any."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 12:
        raise Problem(
            400,
            "bad-precondition",
            "Bad If-Match",
            'If-Match must be a case version as its ETag gives it, e.g. "7"',
        )
    return int(value)


def receipt_response(receipt: Receipt, created: dict[str, UUID], opened: bool) -> JSONResponse:
    location = (
        f"/cases/{receipt.case_id}"
        if opened
        else f"/cases/{receipt.case_id}/events/{receipt.version}"
    )
    body: dict[str, Any] = {
        "case_id": str(receipt.case_id),
        "version": receipt.version,
        "position": receipt.position,
        "created": {kind: str(value) for kind, value in created.items()},
    }
    return JSONResponse(
        body, status_code=201, headers={"Location": location, "ETag": f'"{receipt.version}"'}
    )


def execute(
    request: Request,
    guard: Guard,
    *,
    name: str,
    body: BaseModel,
    build: Callable[[Context], C],
    handler: Handler[C],
    case_id: UUID | None,
) -> JSONResponse:
    """Runs one command for a route and answers 201 with the new version and position."""
    principal = guard.caller
    state = request.app.state
    ledger: CaseLedger = state.ledger
    key = request.headers.get("idempotency-key")
    fingerprint = _fingerprint(ledger, request, body) if key else ""
    if case_id is not None:
        request.state.case_id = str(case_id)
    if key is not None:
        _check_key(key)
        earlier = _replay(ledger, principal, key, fingerprint, build)
        if earlier is not None:
            return earlier
    case = None if case_id is None else load_case(request, guard, case_id, name)
    ids = Ids(None if key is None else IdempotencyRecord.id_for(principal.user_id, key))
    ctx = Context(principal.actor(), state.clock(), if_match(request), ids)
    command = build(ctx)
    try:
        with _scope(ledger, case, key, name, fingerprint, ctx):
            receipt = handler(command, ledger)
    except ConcurrentWrite:
        if key is not None:  # a racing retry with the same key may have won
            earlier = _replay(ledger, principal, key, fingerprint, build)
            if earlier is not None:
                return earlier
        raise
    state.metrics.command(name)
    request.state.case_id = str(receipt.case_id)
    return receipt_response(receipt, ids.issued, opened=case_id is None)


def _scope(
    ledger: CaseLedger,
    case: Case | None,
    key: str | None,
    name: str,
    fingerprint: str,
    ctx: Context,
) -> ExitStack:
    """The ledger contexts a command runs in: the case already loaded, and the claim."""
    stack = ExitStack()
    if case is not None:
        stack.enter_context(ledger.reusing(case))
    if key is not None:
        claim = IdempotencyClaim(
            actor=ctx.actor,
            key=key,
            command=name,
            fingerprint=fingerprint,
            occurred_at=ctx.occurred_at,
        )
        stack.enter_context(ledger.idempotent(claim))
    return stack


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "Idempotency-Key must be 1 to 200 printable characters",
            errors=[{"field": "header.Idempotency-Key", "message": "invalid"}],
        )


def _fingerprint(ledger: CaseLedger, request: Request, body: BaseModel) -> str:
    canonical = json.dumps(
        body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return ledger.fingerprint(f"{request.method} {request.url.path}\n{canonical}".encode())


def _replay(
    ledger: CaseLedger,
    principal: Principal,
    key: str,
    fingerprint: str,
    build: Callable[[Context], Any],
) -> JSONResponse | None:
    record = ledger.find_idempotent(principal.user_id, key)
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency key reused",
            "this Idempotency-Key was used for a different request",
            rule="idempotency.key_reused",
        )
    ids = Ids(IdempotencyRecord.id_for(principal.user_id, key))
    build(Context(principal.actor(), record.created_on, None, ids))  # the same ids again
    position = ledger.position_of(record.case_id, record.case_version) or 0
    receipt = Receipt(case_id=record.case_id, version=record.case_version, position=position)
    return receipt_response(receipt, ids.issued, opened=record.command == "open_case")
