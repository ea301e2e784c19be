"""What the case routes share: their headers, documented responses, and the case in the path."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Path
from fastapi.concurrency import run_in_threadpool

from api.commanding import IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN
from api.deps import LedgerDep
from api.errors import not_found
from api.policy import Action, Guard, authorize
from ledger.application import CaseLedger

Staff = Annotated[Guard, Depends(authorize(Action.COMMAND))]
Contributor = Annotated[Guard, Depends(authorize(Action.CONTRIBUTE))]
Supervisor = Annotated[Guard, Depends(authorize(Action.ASSIGN))]


COMMAND_HEADERS: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": 'The version you read, as its ETag gives it ("7"), weak (W/"7")'
            " or bare (7); or * for any. A stale one gives 412; any other form, 400.",
            "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
        },
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Retrying with the same key and body returns the first response"
            " and appends nothing; the same key with another body gives 422. 1 to 200"
            " printable ASCII characters (a UUID will do), not starting or ending with a"
            " space; any other key gives 422.",
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "pattern": IDEMPOTENCY_KEY_PATTERN,
            },
        },
    ]
}
"""The headers every command reads (in ``api.commanding``), documented here rather than
declared as parameters: FastAPI would otherwise parse them again on every request."""


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    }


COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Recorded: the case's new version and the event's position",
        "headers": {
            "Location": {
                "description": "The case (for an opening) or the event recorded",
                "schema": {"type": "string"},
            },
            "ETag": {
                "description": "The case's new version, for If-Match",
                "schema": {"type": "string"},
            },
        },
    },
    400: _problem("Malformed If-Match"),
    401: _problem("No valid bearer token"),
    403: _problem("The caller's role may not do this, or not on this case"),
    404: _problem("No such case (or none the caller may see)"),
    409: _problem("Another writer changed the case at the same time"),
    412: _problem("If-Match named a stale version; the body gives the current one"),
    422: _problem("Invalid body (the field is named) or a broken rule (its code is given)"),
    503: _problem("The store is unavailable"),
}


REFERENCE = r"ASB-[0-9]{4}-[0-9]{6}"
"""A case reference as the ledger issues it (``ASB-2026-000123``)."""
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
CASE_ID_OR_REFERENCE = rf"^({_UUID}|{REFERENCE})$"


def case_id_named(ledger: CaseLedger, given: str) -> UUID | None:
    """The case id ``given`` names: itself, or the case of a reference (None: no such case)."""
    try:
        return UUID(given)
    except ValueError:
        return ledger.find_case_id(given)


async def resolve_case_id(ledger: CaseLedger, given: str) -> UUID | None:
    """``case_id_named``, reading the store (for a reference) off the event loop."""
    try:
        return UUID(given)
    except ValueError:
        return await run_in_threadpool(ledger.find_case_id, given)


async def case_id_of(
    ledger: LedgerDep,
    case_id: Annotated[
        str,
        Path(
            pattern=CASE_ID_OR_REFERENCE,
            description="The case id (as returned when it was opened), or its reference",
            examples=["ASB-2026-000123"],
        ),
    ],
) -> UUID:
    found = await resolve_case_id(ledger, case_id)
    if found is None:
        raise not_found()
    return found


CaseId = Annotated[UUID, Depends(case_id_of)]
"""A case named in the path by its id or by its reference."""
