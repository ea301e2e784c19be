"""Answering the notary's routes: the signed checkpoint and the leaf a request names, proofs
checked against the signed note before they are sent, and a problem for everything missing."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import structlog
from fastapi import Depends
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from api.access import AccessLog
from api.checkpoint_header import ALARM_HEADER, ALARM_VALUE
from api.deps import AccessDep, LedgerDep, NotaryDep
from api.errors import Problem, forbidden, unavailable
from api.policy import Action, Guard, decide
from api.reading import CaseReads, CaseReadsDep
from api.schemas.ledger import (
    CheckpointOut,
    CheckpointReadOut,
    ConsistencyProofOut,
    InclusionProofOut,
    NotaryAlarmOut,
)
from ledger.application import CaseLedger
from ledger.chain import HASH_KEY
from projections.notary import Leaf, Notary, ProofFailed, SignedCheckpoint

log = structlog.get_logger("api")


class Proofs:
    """The notary's answers for one request: ``ProofsDep`` gives a route one of these."""

    def __init__(
        self, notary: Notary | None, cases: CaseReads, ledger: CaseLedger, access: AccessLog
    ) -> None:
        self._notary = notary
        self.cases = cases
        self.ledger = ledger
        self.access = access

    def notary(self, position: int | None) -> Notary:
        """The notary's tables, once it has logged ``position`` (waiting briefly for it)."""
        if self._notary is None:
            raise unavailable("the notary's log is not open in this process")
        self._notary.require(position)
        return self._notary

    def checkpoint(self, size: int | None, position: int | None, *, text: bool) -> Response:
        """The checkpoint signed at ``size``, or the latest: JSON, or the bare note (``text``)."""
        notary = self.notary(position)
        alarms = notary.active_alarms()
        if size is not None:
            signed = signed_at(notary, size, "query.size")
        else:
            latest = notary.latest_checkpoint()
            if alarms:  # "the latest" is a claim about now, which a stopped notary cannot make
                raise Problem(
                    503,
                    "notary-alarm",
                    "Notary stopped",
                    f"the notary stopped on {len(alarms)} alarm(s) and signs nothing new until"
                    " someone looks; `checkpoint` is the last it signed",
                    headers={ALARM_HEADER: ALARM_VALUE},
                    alarms=[
                        NotaryAlarmOut(position=a.position, reason=a.reason).model_dump()
                        for a in alarms
                    ],
                    checkpoint=None
                    if latest is None
                    else CheckpointOut.of(latest).model_dump(mode="json"),
                )
            if latest is None:
                raise _no_checkpoint()
            signed = latest
        headers = alarm_headers(bool(alarms))
        if text:
            return PlainTextResponse(signed.note, headers=headers)
        body = CheckpointReadOut(**CheckpointOut.of(signed).model_dump(), alarm=bool(alarms))
        return JSONResponse(body.model_dump(mode="json"), headers=headers)

    def inclusion(
        self,
        guard: Guard,
        response: Response,
        *,
        event_hash: str | None,
        leaf_index: int | None,
        case_id: UUID | None,
        version: int | None,
        tree_size: int | None,
        position: int | None,
    ) -> InclusionProofOut:
        """The audit path of one leaf to a signed checkpoint's root, checked before it is
        sent; asked by case, the read is recorded as an access."""
        _one_selector(
            event_hash=event_hash, leaf_index=leaf_index, case_id=case_id, version=version
        )
        notary = self.notary(position)
        alarmed = bool(notary.active_alarms())
        if case_id is not None and version is not None:
            leaf = self._leaf_of_case(guard, notary, case_id, version)
        else:
            leaf = _leaf(notary, event_hash, leaf_index)
        signed = (
            latest(notary) if tree_size is None else signed_at(notary, tree_size, "query.tree_size")
        )
        if leaf.index >= signed.size:
            raise Problem(
                409,
                "not-in-checkpoint",
                "Not yet in a checkpoint",
                f"the event is leaf {leaf.index}, after the checkpoint at tree size"
                f" {signed.size}; ask again once a later checkpoint is signed",
                headers=alarm_headers(alarmed),
                leaf_index=leaf.index,
                tree_size=signed.size,
            )
        try:
            head, path = notary.checked_inclusion(leaf, signed)
        except ProofFailed as failed:
            raise _broken(failed) from None
        if case_id is not None:
            self.cases.shown(guard, case_id=case_id, version=version, view="ledger.inclusion")
        response.headers.update(alarm_headers(alarmed))
        return InclusionProofOut(
            leaf_index=leaf.index,
            tree_size=head.size,
            event_hash=leaf.event_hash,
            leaf_hash=leaf.leaf_hash.hex(),
            audit_path=[h.hex() for h in path],
            checkpoint=CheckpointOut.of(signed),
            case_id=case_id,
            version=version,
            alarm=alarmed,
        )

    def consistency(self, response: Response, start: int, end: int | None) -> ConsistencyProofOut:
        """The consistency proof between two signed checkpoints (``end``: default the
        latest), checked against both notes before it is sent."""
        if end is not None and start > end:
            raise invalid(["query.from"], f"must not exceed to ({end})")
        notary = self.notary(None)
        alarmed = bool(notary.active_alarms())
        newer = latest(notary) if end is None else signed_at(notary, end, "query.to")
        if start > newer.size:
            raise invalid(["query.from"], f"exceeds the latest checkpoint's size ({newer.size})")
        older = signed_at(notary, start, "query.from")
        try:
            old, new, proof = notary.checked_consistency(older, newer)
        except ProofFailed as failed:
            raise _broken(failed) from None
        response.headers.update(alarm_headers(alarmed))
        return ConsistencyProofOut(
            from_size=old.size,
            to_size=new.size,
            proof=[h.hex() for h in proof],
            from_checkpoint=CheckpointOut.of(older),
            to_checkpoint=CheckpointOut.of(newer),
            alarm=alarmed,
        )

    def _leaf_of_case(self, guard: Guard, notary: Notary, case_id: UUID, version: int) -> Leaf:
        """The leaf of a case's event, under the rule of ``GET /cases/{id}/events``: the
        role first (as that route's dependency does), then the case (hidden: the same 404)."""
        caller = guard.caller
        decision = decide(caller, Action.READ_EVENTS)
        if not decision.allowed:
            self.access.denied(self.cases.request, caller, case_id=case_id, reason=decision)
            raise forbidden(decision.reason)
        case = self.cases.load(Guard(caller, Action.READ_EVENTS), case_id, "ledger.inclusion")
        if version > case.version:
            raise Problem(404, "not-found", "Not found", f"the case has no version {version}")
        leaf = notary.leaf_of(case.id, version)
        if leaf is None:
            raise Problem(
                409,
                "not-in-checkpoint",
                "Not yet in a checkpoint",
                f"version {version} of the case is not logged yet; ask again shortly",
                headers=alarm_headers(bool(notary.active_alarms())),
            )
        (event,) = self.ledger.repository.event_store.get(case.id, gt=version - 1, lte=version)
        if vars(event).get(HASH_KEY) != leaf.event_hash:
            raise _broken(ProofFailed(f"inclusion: leaf {leaf.index} is not the stored event"))
        return leaf


async def get_proofs(
    notary: NotaryDep, cases: CaseReadsDep, ledger: LedgerDep, access: AccessDep
) -> Proofs:
    return Proofs(notary, cases, ledger, access)


ProofsDep = Annotated[Proofs, Depends(get_proofs)]


# ------------------------------------------------------------------ finding things


def latest(notary: Notary) -> SignedCheckpoint:
    found = notary.latest_checkpoint()
    if found is None:
        raise _no_checkpoint()
    return found


def signed_at(notary: Notary, size: int, parameter: str) -> SignedCheckpoint:
    """The checkpoint signed at ``size``; else a 404 naming the parameter that asked."""
    found = notary.checkpoint_at(size)
    if found is None:
        raise Problem(
            404,
            "unknown-checkpoint",
            "No such checkpoint",
            f"no checkpoint was signed at tree size {size}",
            errors=[{"field": parameter, "message": "not the size of a signed checkpoint"}],
        )
    return found


def _leaf(notary: Notary, event_hash: str | None, index: int | None) -> Leaf:
    found = None
    if event_hash is not None:
        found = notary.leaf_by_hash(event_hash)
    elif index is not None:
        found = notary.leaf_at(index)
    if found is None:
        raise Problem(404, "unknown-leaf", "Not in the log", "no such event has been logged (yet)")
    return found


# ------------------------------------------------------------------ problems and headers


def _one_selector(
    *, event_hash: str | None, leaf_index: int | None, case_id: UUID | None, version: int | None
) -> None:
    if (case_id is None) != (version is None):
        missing = "query.version" if version is None else "query.case_id"
        raise invalid([missing], "case_id and version go together")
    given = [
        f"query.{name}"
        for name, value in (
            ("event_hash", event_hash),
            ("leaf_index", leaf_index),
            ("case_id", case_id),
        )
        if value is not None
    ]
    if len(given) != 1:
        named = given or ["query.event_hash", "query.leaf_index", "query.case_id"]
        raise invalid(named, "give exactly one of event_hash, leaf_index, or case_id")


def invalid(fields: list[str], message: str) -> Problem:
    """A 422 naming each parameter, in the shape of the validation errors."""
    return Problem(
        422,
        "invalid-request",
        "Invalid request",
        f"invalid: {', '.join(fields)}",
        errors=[{"field": name, "message": message} for name in fields],
    )


def _no_checkpoint() -> Problem:
    return Problem(
        503,
        "no-checkpoint",
        "No checkpoint yet",
        "the notary has not signed a checkpoint yet; retry shortly",
        headers={"Retry-After": "5"},
    )


def _broken(failed: ProofFailed) -> Problem:
    """The notary's own rows do not prove what its signature says: never serve that."""
    cause = failed.__cause__
    log.critical(
        "notary.proof_failed",
        error=type(cause or failed).__name__,
        detail=str(failed),
    )
    return Problem(
        500,
        "integrity-failure",
        "Integrity failure",
        "the notary's stored tree failed its own proof check; the auditors have been alerted",
    )


def alarm_headers(alarmed: bool) -> dict[str, str]:
    return {ALARM_HEADER: ALARM_VALUE} if alarmed else {}


def prefers_text(accept: str | None) -> bool:
    """Whether ``Accept`` ranks ``text/plain`` above JSON (q-values honoured; JSON on a tie)."""
    if not accept:
        return False
    return _quality(accept, "text/plain") > _quality(accept, "application/json")


def _quality(accept: str, media: str) -> float:
    """The q-value that the most specific range of ``accept`` matching ``media`` gives it."""
    kind = media.split("/")[0]
    best, rank = 0.0, -1
    for item in accept.lower().split(","):
        name, *params = (part.strip() for part in item.split(";"))
        fit = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(name, -1)
        if fit <= rank:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best, rank = (quality if 0.0 <= quality <= 1.0 else 0.0), fit
    return best
