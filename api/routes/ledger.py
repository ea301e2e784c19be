"""The notary's Merkle log over HTTP: its signed checkpoints, and inclusion and consistency
proofs that always end at a signed checkpoint (``docs/integrity.md``, "HTTP")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import PlainTextResponse

from api import proving
from api.checkpoint_header import ALARM_HEADER, ALARM_VALUE
from api.deps import MinPositionDep
from api.errors import not_found
from api.policy import Action, Guard, authorize
from api.proving import ProofsDep
from api.routes.common import CASE_ID_OR_REFERENCE, case_id_named
from api.schemas.ledger import (
    NOTE,
    CheckpointReadOut,
    ConsistencyProofOut,
    InclusionProofOut,
)

router = APIRouter(prefix="/ledger", tags=["ledger"])

LedgerReader = Annotated[Guard, Depends(authorize(Action.READ_LEDGER))]
MAX_SIZE = 2**63 - 1  # a bigint: anything larger would fail in the store, not be refused
SignedSize = Annotated[
    int | None, Query(ge=1, le=MAX_SIZE, description="The checkpoint signed at this tree size")
]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    }


SIGNED = {
    "description": "Signed by the notary: check the note against its published key",
    "headers": {
        ALARM_HEADER: {
            "description": f"`{ALARM_VALUE}` while the notary has stopped on an alarm",
            "schema": {"type": "string"},
        }
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: SIGNED,
    401: _problem("No valid bearer token"),
    403: _problem("Refused by the policy (every person's role may read the log)"),
    404: _problem("No checkpoint was signed at the size named (`errors` names the parameter)"),
    422: _problem("Invalid parameters (`errors` names each one)"),
    503: _problem(
        "`no-checkpoint`: nothing signed yet; `notary-alarm`: the latest was asked for while"
        " the notary is stopped (the last one it signed is in `checkpoint`); `view-behind`;"
        " or the store is unavailable"
    ),
}
PROOF_RESPONSES: dict[int | str, dict[str, Any]] = {
    **RESPONSES,
    403: _problem("Asked by case: the caller's role may not read a case's events"),
    404: _problem("No such leaf, case or version, or no checkpoint at the size named"),
    409: _problem("The event is logged after the checkpoint (`not-in-checkpoint`)"),
}
TEXT_NOTE = {"text/plain": {"schema": {"type": "string"}, "example": NOTE}}


@router.get(
    "/checkpoint",
    name="ledger.checkpoint",
    response_model=CheckpointReadOut,
    responses={**RESPONSES, 200: {**SIGNED, "content": TEXT_NOTE}},
)
def read_checkpoint(
    guard: LedgerReader,
    proofs: ProofsDep,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    size: SignedSize = None,
    min_position: MinPositionDep = None,
) -> Response:
    """The notary's latest signed checkpoint (or the one signed at `size`): origin, tree size
    and root, and the C2SP signed note itself, which is all a verifier should trust. With
    `Accept: text/plain` (or at `/ledger/checkpoint.txt`) the note alone, as C2SP tools read
    it. While the notary is stopped on an alarm, asking for the latest is a 503
    `notary-alarm` that still carries the last signed checkpoint; earlier ones and proofs are
    served, flagged by `alarm` and the `X-Ledger-Alarm` header. Any authenticated role."""
    answer = proofs.checkpoint(size, min_position, text=proving.prefers_text(accept))
    answer.headers["Vary"] = "Accept"
    return answer


@router.get(
    "/checkpoint.txt",
    name="ledger.checkpoint_text",
    response_class=PlainTextResponse,
    responses={**RESPONSES, 200: {**SIGNED, "content": TEXT_NOTE}},
)
def read_checkpoint_text(
    guard: LedgerReader,
    proofs: ProofsDep,
    size: SignedSize = None,
    min_position: MinPositionDep = None,
) -> Response:
    """The latest signed checkpoint (or the one at `size`) as its C2SP signed note,
    `text/plain`: what `GET /ledger/checkpoint` gives with `Accept: text/plain`."""
    return proofs.checkpoint(size, min_position, text=True)


@router.get(
    "/proofs/inclusion",
    name="ledger.inclusion",
    response_model=InclusionProofOut,
    responses=PROOF_RESPONSES,
)
def prove_inclusion(
    guard: LedgerReader,
    proofs: ProofsDep,
    response: Response,
    event_hash: Annotated[
        str | None,
        Query(pattern=r"^[0-9a-f]{64}$", description="The event's hash, lowercase hex"),
    ] = None,
    leaf_index: Annotated[
        int | None, Query(ge=0, le=MAX_SIZE, description="The leaf's place in the log, from 0")
    ] = None,
    case_id: Annotated[
        str | None,
        Query(
            pattern=CASE_ID_OR_REFERENCE,
            description="A case (id or reference) whose events you may read",
        ),
    ] = None,
    version: Annotated[int | None, Query(ge=1, le=10**9, description="With case_id")] = None,
    tree_size: Annotated[
        int | None,
        Query(ge=1, le=MAX_SIZE, description="A signed checkpoint's size (default: the latest)"),
    ] = None,
    min_position: MinPositionDep = None,
) -> InclusionProofOut:
    """The audit path proving that an event is in the log under a signed checkpoint, with
    that checkpoint's note. Asked by `event_hash` or `leaf_index` (any authenticated role:
    hashes only), or by `case_id` and `version` (those who may read that case's events;
    recorded as an access; a case you may not see is the same 404 as one that does not
    exist). Against the latest checkpoint, or the one signed at `tree_size`; never against a
    size nobody signed. An event logged after that checkpoint is a 409 `not-in-checkpoint`:
    ask again once a later one is signed."""
    named = None if case_id is None else case_id_named(proofs.ledger, case_id)
    if case_id is not None and named is None:
        raise not_found()
    return proofs.inclusion(
        guard,
        response,
        event_hash=event_hash,
        leaf_index=leaf_index,
        case_id=named,
        version=version,
        tree_size=tree_size,
        position=min_position,
    )


@router.get(
    "/proofs/consistency",
    name="ledger.consistency",
    response_model=ConsistencyProofOut,
    responses=RESPONSES,
)
def prove_consistency(
    guard: LedgerReader,
    proofs: ProofsDep,
    response: Response,
    from_: Annotated[
        int, Query(alias="from", ge=1, le=MAX_SIZE, description="The older checkpoint's size")
    ],
    to: Annotated[
        int | None,
        Query(ge=1, le=MAX_SIZE, description="The newer checkpoint's size (default: latest)"),
    ] = None,
) -> ConsistencyProofOut:
    """The proof that the log at one signed checkpoint (`from`) is a prefix of the log at a
    later one (`to`, default the latest), with both signed notes: how the holder of an old
    checkpoint checks that nothing logged since was changed, removed or reordered. Both
    sizes must be sizes the notary signed, and `from` may not exceed `to`."""
    return proofs.consistency(response, from_, to)
