"""The auditor's checks on one case: verify its hash chain (``asb-ledger verify --case``:
``intact``, or the first failing version and why) and download its export bundle (the
bundle ``asb-ledger export --case`` writes, for ``asb-ledger verify --bundle``).

Neither loads the case through the aggregate, so a case altered behind the ledger's back is
still checked and named. The bundle holds ciphertext digests and sealed blobs, never
plaintext; its download is recorded (view ``case.export``) before it is sent. A check
shows no case data and reads only the stored rows."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import AccessDep, ClockDep, DirectoryDep, LedgerDep, NotaryDep
from api.errors import Problem, not_found
from api.policy import Action, Guard
from api.web.guard import Csrf, page_guard
from api.web.rendering import page
from ledger.application import CaseLedger
from ledger.errors import CaseNotFound
from projections.directory.projection import CaseDirectory
from projections.notary import Notary, NotaryAlarm
from projections.view import ViewBehind
from replay.bundle import Bundle
from replay.export import ExportRefused, export_bundle

router = APIRouter(include_in_schema=False)

Auditor = Annotated[Guard, Depends(page_guard(Action.AUDIT_CASE))]
EXPORT_VIEW = "case.export"


def _named(ledger: CaseLedger, directory: CaseDirectory, case_id: UUID) -> tuple[str, bool]:
    """The case's reference (its id if the directory has none) and whether it is known to
    have existed (its rows, or the directory, say so: rows removed are then caught)."""
    entry = directory.get(case_id)
    known = entry is not None or ledger.current_version(case_id) is not None
    return (str(case_id) if entry is None else entry.reference), known


def _crumbs(reference: str, case_id: UUID, last: str) -> list[tuple[str, str | None]]:
    return [
        ("Home", "/app"),
        ("Audit", "/app/audit"),
        (reference, f"/app/audit/cases/{case_id}"),
        (last, None),
    ]


@router.post("/app/audit/cases/{case_id}/verify", name="web.audit.verify", dependencies=[Csrf])
def verify_case(
    request: Request,
    case_id: UUID,
    guard: Auditor,
    ledger: LedgerDep,
    directory: DirectoryDep,
) -> Response:
    """The case's hash chain checked from its stored rows, as ``verify --case`` does."""
    reference, known = _named(ledger, directory, case_id)
    try:
        verdict = ledger.verify_case(case_id, known=known)
    except CaseNotFound:
        raise not_found() from None
    return page(
        request,
        "audit_verify.html",
        {
            "case_id": case_id,
            "reference": reference,
            "verdict": verdict,
            "breadcrumbs": _crumbs(reference, case_id, "Check"),
        },
        principal=guard.caller,
    )


def _signed_to_head(ledger: CaseLedger, notary: Notary) -> None:
    """The notary brought to the ledger's head and asked to sign what it has not signed,
    as ``asb-ledger export`` does first, so that the bundle covers the case as it is."""
    head = ledger.recorder.max_notification_id() or 0
    try:
        notary.require(head)
    except ViewBehind:
        raise Problem(
            503,
            "view-behind",
            "View behind",
            "the notary has not reached the ledger's head yet; try again shortly",
            headers={"Retry-After": "2"},
        ) from None
    if notary.settings is not None:  # this process signs: ask it to, now
        notary.tick(force=True)


@router.get("/app/audit/cases/{case_id}/export", name="web.audit.export")
async def export_case(
    request: Request,
    case_id: UUID,
    guard: Auditor,
    ledger: LedgerDep,
    directory: DirectoryDep,
    notary: NotaryDep,
    access: AccessDep,
    clock: ClockDep,
) -> Response:
    """The case's export bundle as a download: every event's commitment, hash, leaf and
    inclusion proof to the latest signed checkpoint, the checkpoint and consistency proofs;
    refused, naming the case and version, where the bundle would not be complete or true."""
    reference, known = await run_in_threadpool(_named, ledger, directory, case_id)
    if not known:
        raise not_found()
    if notary is None:
        raise Problem(
            503,
            "notary-absent",
            "Notary absent",
            "the notary does not run in this process: export with `asb-ledger export --case`",
        )

    def build() -> Bundle:
        _signed_to_head(ledger, notary)
        return export_bundle(ledger, notary, [case_id], exported_at=clock())

    try:
        bundle = await run_in_threadpool(build)
    except (ExportRefused, NotaryAlarm) as refused:
        where = (refused.case_id, refused.version)
        return page(
            request,
            "audit_refused.html",
            {
                "case_id": case_id,
                "reference": reference,
                "reason": refused.reason,
                "where": where,
                "breadcrumbs": _crumbs(reference, case_id, "Export"),
            },
            principal=guard.caller,
            status=409,
        )
    await run_in_threadpool(
        lambda: access.record(
            request,
            guard.caller,
            case_id=case_id,
            case_version=ledger.current_version(case_id),
            view=EXPORT_VIEW,
        )
    )
    return Response(
        bundle.to_json(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{reference}-bundle.json"',
            "Cache-Control": "no-store",
        },
    )
