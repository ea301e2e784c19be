"""Running a command for a route: the Idempotency-Key, the unit of work (the policy on the
case as loaded, If-Match, the handler) and the 201 with the receipt."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from uuid import UUID, uuid4, uuid5

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import Services, ServicesDep
from api.errors import Problem, forbidden, not_found
from api.people import PeopleReader
from api.policy import CaseFacts, Guard, decide
from api.principal import Principal
from api.schemas.views import ReceiptOut
from commands.common import Command
from commands.handlers import handle
from commands.open_case import OpenCase
from commands.unit_of_work import Admit, UnitOfWork
from ledger.case import Case
from ledger.enums import AccessOutcome
from ledger.errors import CaseNotFound, ConcurrentWrite
from ledger.idempotency import IdempotencyClaim, IdempotencyRecord
from ledger.person_register import PossibleDuplicate
from ledger.values import Actor, Receipt
from projections.risk.projection import CumulativeRisk
from projections.view import ViewBehind


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


Build = Callable[[Context], Command]
"""How a route turns its request body (and path) into the command."""


@dataclass(frozen=True)
class Done:
    """A command carried out (or found already carried out under its idempotency key):
    its receipt, the ids of what it created, and whether it opened the case."""

    receipt: Receipt
    created: dict[str, str]
    opened: bool


class Commands:
    """The commands of one request: ``CommandsDep`` gives a route one of these."""

    def __init__(self, request: Request, services: Services) -> None:
        self.request = request
        self.ledger = services.ledger
        self.access = services.access
        self.clock = services.clock
        self.metrics = services.metrics

    def run(
        self, guard: Guard, body: BaseModel, build: Build, *, case_id: UUID | None = None
    ) -> JSONResponse:
        """Carries out the command ``build`` makes from ``body``, on ``case_id`` (or opening
        a case), and answers 201 with the case's new version and the event's position.

        The answer is built here, from a ``ReceiptOut``, rather than returned for FastAPI to
        serialise: for a sync route FastAPI would validate it again in the thread pool, a
        second hop per command (``tests/api/test_response_models.py`` checks its shape)."""
        done = self.execute(
            guard,
            body,
            build,
            case_id=case_id,
            expected_version=if_match(self.request),
            key=self.request.headers.get("idempotency-key"),
        )
        return self._answer(done.receipt, done.created, opened=done.opened)

    def execute(
        self,
        guard: Guard,
        body: BaseModel,
        build: Build,
        *,
        case_id: UUID | None,
        expected_version: int | None,
        key: str | None,
    ) -> Done:
        """The command itself, for a route (``run``) or a web form, which carries the
        version it was drawn from and an idempotency key of its own in hidden fields."""
        principal = guard.caller
        fingerprint = self._fingerprint(body) if key else ""
        if case_id is not None:
            self.request.state.case_id = str(case_id)
        if key is not None:
            _check_key(key)
            earlier = self._replay(principal, key, fingerprint, build)
            if earlier is not None:
                return earlier
        ids = Ids(None if key is None else IdempotencyRecord.id_for(principal.user_id, key))
        ctx = Context(principal.actor(), self.clock(), expected_version, ids)
        command = build(ctx)
        claim = None
        if key is not None:
            claim = IdempotencyClaim(
                actor=ctx.actor,
                key=key,
                command=command.name,
                fingerprint=fingerprint,
                occurred_at=ctx.occurred_at,
            )
        admit = None if case_id is None else self._admit(guard)
        try:
            receipt = handle(command, UnitOfWork(ledger=self.ledger, claim=claim, admit=admit))
        except CaseNotFound:
            if case_id is None:
                raise
            self.access.record(
                self.request,
                principal,
                case_id=case_id,
                case_version=None,
                view=command.name,
                outcome=AccessOutcome.NOT_FOUND,
                reason="no such case",
            )
            raise not_found() from None
        except PossibleDuplicate as duplicate:
            raise self._duplicate(principal, duplicate) from None
        except ConcurrentWrite:
            if key is not None:  # a racing retry with the same key may have won
                earlier = self._replay(principal, key, fingerprint, build)
                if earlier is not None:
                    return earlier
            raise
        self.metrics.command(command.name)
        self.request.state.case_id = str(receipt.case_id)
        return Done(
            receipt, {k: str(v) for k, v in ids.issued.items()}, isinstance(command, OpenCase)
        )

    def _duplicate(self, principal: Principal, duplicate: PossibleDuplicate) -> Problem:
        """The refusal of a second record for a person the register holds: 409, with the
        candidates as the caller may see them. Telling of them is recorded as an access."""
        risk = self.request.app.state.read_models.get(CumulativeRisk)
        reader = PeopleReader(self.ledger, risk, principal)
        head = self.ledger.recorder.max_notification_id() or 0
        try:  # the cases as of now, so that a case just opened is counted
            candidates = reader.candidates(duplicate.candidates, head)
        except ViewBehind:
            candidates = reader.candidates(duplicate.candidates)
        self.access.record(
            self.request,
            principal,
            case_id=None,
            case_version=None,
            view="people.possible_duplicate",
            subjects=[c.person_ref for c in duplicate.candidates],
        )
        return Problem(
            409,
            "rule-broken",
            "Rule broken",
            duplicate.detail,
            rule=duplicate.rule.value,
            rules=[{"rule": duplicate.rule.value, "detail": duplicate.detail}],
            candidates=[c.model_dump(mode="json") for c in candidates],
        )

    def _admit(self, guard: Guard) -> Admit:
        """The policy on the case as the unit of work loaded it: a refusal is recorded,
        then answered 404 where the caller may not know the case exists, else 403."""

        def admit(case: Case) -> None:
            decision = decide(guard.caller, guard.action, CaseFacts.of(case))
            if not decision.allowed:
                self.access.denied(
                    self.request,
                    guard.caller,
                    case_id=case.id,
                    reason=decision,
                    version=case.version,
                )
                raise not_found() if decision.hide else forbidden(decision.reason)

        return admit

    def _answer(self, receipt: Receipt, created: dict[str, str], *, opened: bool) -> JSONResponse:
        case = f"/cases/{receipt.case_id}"
        body = ReceiptOut(
            case_id=receipt.case_id,
            version=receipt.version,
            position=receipt.position,
            created=created,
        )
        return JSONResponse(
            body.model_dump(mode="json"),
            status_code=201,
            headers={
                "Location": case if opened else f"{case}/events/{receipt.version}",
                "ETag": f'"{receipt.version}"',
            },
        )

    def _fingerprint(self, body: BaseModel) -> str:
        canonical = json.dumps(
            body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        request = self.request
        return self.ledger.fingerprint(f"{request.method} {request.url.path}\n{canonical}".encode())

    def _replay(
        self, principal: Principal, key: str, fingerprint: str, build: Build
    ) -> Done | None:
        """The first answer to a command retried with the same key, if there was one."""
        record = self.ledger.find_idempotent(principal.user_id, key)
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
        position = self.ledger.position_of(record.case_id, record.case_version) or 0
        receipt = Receipt(case_id=record.case_id, version=record.case_version, position=position)
        created = {k: str(v) for k, v in ids.issued.items()}
        return Done(receipt, created, record.command == OpenCase.name)


async def get_commands(request: Request, services: ServicesDep) -> Commands:
    return Commands(request, services)


CommandsDep = Annotated[Commands, Depends(get_commands)]


IF_MATCH_PATTERN = r'^(\*|(W/)?"[0-9]{1,12}"|[0-9]{1,12})$'
"""``If-Match`` as a case's ETag gives it (``"7"``), weak (``W/"7"``), bare (``7``), or ``*``."""
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]([ -~]{0,198}[!-~])?$"
"""1 to 200 printable ASCII characters (an sf-string's, as the IETF Idempotency-Key draft
has it, unquoted), not starting or ending with a space, which HTTP would strip."""


def if_match(request: Request) -> int | None:
    """The version named by ``If-Match`` (``IF_MATCH_PATTERN``), if any."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    value = raw.strip()
    if not re.fullmatch(IF_MATCH_PATTERN, value):
        raise Problem(
            400,
            "bad-precondition",
            "Bad If-Match",
            'If-Match must be a case version as its ETag gives it, e.g. "7", or *',
        )
    return None if value == "*" else int(value.removeprefix("W/").strip('"'))


def _check_key(key: str) -> None:
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "Idempotency-Key must be 1 to 200 printable ASCII characters",
            errors=[{"field": "header.Idempotency-Key", "message": "invalid"}],
        )
