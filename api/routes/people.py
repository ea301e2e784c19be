"""The person register: search without plaintext, one person across their cases, merging."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import AccessDep, ClockDep, LedgerDep, MinPositionDep, RiskDep
from api.errors import Problem
from api.people import PeopleReader
from api.policy import Action, Guard, authorize
from api.routes.common import COMMAND_RESPONSES
from api.schemas.people import (
    MergedOut,
    MergeIn,
    PeopleFoundOut,
    PersonCaseOut,
    PersonOut,
    PersonRiskOut,
    PersonSearchIn,
)
from commands import merge_people
from ledger.enums import AccessOutcome

router = APIRouter(prefix="/people", tags=["people"])

Searcher = Annotated[Guard, Depends(authorize(Action.SEARCH_PEOPLE))]
Reader = Annotated[Guard, Depends(authorize(Action.READ_PERSON))]
Merger = Annotated[Guard, Depends(authorize(Action.MERGE_PEOPLE))]
PersonRef = Annotated[UUID, Path(description="A person's reference")]

READS: dict[int | str, dict[str, Any]] = {
    status: COMMAND_RESPONSES[status] for status in (400, 401, 403, 404, 422, 503)
}
MERGES: dict[int | str, dict[str, Any]] = {
    **READS,
    201: {"description": "Merged: both references are one person from now on"},
    409: {**COMMAND_RESPONSES[409], "description": "Another change to either record won"},
}


@router.post("/search", name="people.search", response_model=PeopleFoundOut, responses=READS)
def search_people(
    guard: Searcher,
    request: Request,
    body: PersonSearchIn,
    ledger: LedgerDep,
    risk: RiskDep,
    access: AccessDep,
    min_position: MinPositionDep = None,
) -> PeopleFoundOut:
    """Registered people whose details match, strongest first, each with which kinds of
    detail matched (by keyed hashes: nothing is compared in the clear) and the cases the
    caller may see. The search is recorded as an access naming the candidates found."""
    found = ledger.people.search(body.details())
    reader = PeopleReader(ledger, risk, guard.caller)
    out = PeopleFoundOut(candidates=reader.candidates(found, min_position))
    access.record(
        request,
        guard.caller,
        case_id=None,
        case_version=None,
        view="people.search",
        subjects=[c.person_ref for c in found],
    )
    return out


@router.get("/{person_ref}", name="people.get", response_model=PersonOut, responses=READS)
def read_person(
    guard: Reader,
    request: Request,
    person_ref: PersonRef,
    ledger: LedgerDep,
    risk: RiskDep,
    access: AccessDep,
    clock: ClockDep,
    min_position: MinPositionDep = None,
) -> PersonOut:
    """The person as the caller may see them: their details (to a caller who may see one
    of their cases), their roles in each case the caller may see, and their cumulative harm
    across all their cases, after merges. Recorded as an access naming them."""
    survivor = ledger.people.resolve(person_ref)
    record = ledger.people.get(survivor)
    reader = PeopleReader(ledger, risk, guard.caller)
    shown, hidden = reader.cases_after(survivor, min_position)
    if record is None and not shown and not hidden:
        access.record(
            request,
            guard.caller,
            case_id=None,
            case_version=None,
            view="people.get",
            subjects=[person_ref],
            outcome=AccessOutcome.NOT_FOUND,
            reason="no such person",
        )
        raise Problem(404, "not-found", "Not found", "no such person")
    entitled = reader.entitled(shown)
    details = (
        ledger.people.details(record)
        if record is not None and entitled
        else dict.fromkeys(("name", "contact", "address", "date_of_birth"))
    )
    now = clock()
    aliases = list(record.aliases) if record is not None else []
    out = PersonOut(
        person_ref=survivor,
        asked_for=person_ref,
        also_known_as=aliases,
        registered=record is not None,
        preferred_contact=(
            record.preferred_contact.value
            if record is not None and entitled and record.preferred_contact
            else None
        ),
        vulnerabilities=(
            [v.value for v in record.vulnerabilities] if record is not None and entitled else []
        ),
        cases=[PersonCaseOut.of(case) for case in shown],
        other_cases=hidden,
        risk=PersonRiskOut.of(risk.person_risk(survivor, now=now), now),
        **details,
    )
    access.record(
        request,
        guard.caller,
        case_id=None,
        case_version=None,
        view="people.get",
        subjects=[survivor, *aliases],
    )
    return out


@router.post(
    "/{person_ref}/merge",
    name="people.merge",
    status_code=201,
    response_model=MergedOut,
    responses=MERGES,
)
async def merge_person(
    guard: Merger, person_ref: PersonRef, body: MergeIn, ledger: LedgerDep, clock: ClockDep
) -> JSONResponse:
    """Merges ``duplicate`` into this record (a supervisor's decision that two records are
    one person). Both records keep their events; the merge is itself two events, which an
    auditor sees; every read model then treats both references as this person, and
    erasing this person erases both records' keys."""
    command = merge_people.MergePeople(
        actor=guard.caller.actor(),
        occurred_at=clock(),
        survivor=person_ref,
        duplicate=body.duplicate,
    )
    positions = await run_in_threadpool(merge_people.handle, command, ledger)
    out = MergedOut(person_ref=person_ref, merged=body.duplicate, positions=positions)
    return JSONResponse(
        out.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/people/{person_ref}"},
    )
