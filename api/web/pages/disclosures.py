"""The disclosure log for the DPO and auditors: who saw or received what, about whom, when and
why, filtered by person, case, actor and a time window, a page at a time, and as a CSV of
every entry the filters match.

The page calls the API's own route (``GET /dpo/disclosures``), so the same policy applies and
each query is recorded as that route records it (view ``dpo.disclosures``); the CSV is
built by the same query and recorded as the command line's export is (view
``dpo.disclosures.csv``), before its first byte is sent."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import AccessDep, ClockDep, DirectoryDep, DisclosuresDep, LedgerDep, SettingsDep
from api.errors import Problem
from api.policy import Action, Guard
from api.routes.common import CASE_ID_OR_REFERENCE
from api.routes.dpo import disclosure_query, list_disclosures
from api.schemas.dpo import DisclosureOut
from api.spreadsheet import cell
from api.web.forms import refused_by
from api.web.guard import page_guard
from api.web.rendering import page
from ledger.application import CaseLedger
from projections.directory.projection import CaseDirectory
from projections.disclosures.model import DisclosureQuery

router = APIRouter(include_in_schema=False)

Reader = Annotated[Guard, Depends(page_guard(Action.READ_DISCLOSURES))]
Text = Annotated[str | None, Query(max_length=200)]
PAGE_SIZE = 50
CSV_PAGE = 500
CSV_VIEW = "dpo.disclosures.csv"
COLUMNS = tuple(DisclosureOut.model_fields)
"""The CSV's columns: the API's fields for an entry, in its order."""


@dataclass
class Filters:
    """The page's filters as given (for the form and the links), what they mean for the
    log, and what is wrong with them."""

    given: dict[str, str]
    subject: UUID | None = None
    case: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, zone: ZoneInfo, **given: str | None) -> Filters:
        found = cls({k: v.strip() for k, v in given.items() if v and v.strip()})
        person = found.given.get("person")
        if person is not None:
            try:
                found.subject = UUID(person)
            except ValueError:
                found.errors["person"] = "Enter a person reference, like 0b6c4f2e-7f0a-…"
        case = found.given.get("case")
        if case is not None:
            if re.fullmatch(CASE_ID_OR_REFERENCE, case):
                found.case = case
            else:
                found.errors["case"] = "Enter a case reference, like ASB-2026-000123, or a case id"
        found.actor = found.given.get("actor")
        found.since = found._day("from", zone)
        last = found._day("to", zone)
        found.until = None if last is None else last + timedelta(days=1)
        if found.since and found.until and found.since >= found.until:
            found.errors["to"] = "The last day must be the same as or after the first day"
        return found

    def _day(self, name: str, zone: ZoneInfo) -> datetime | None:
        """The start of a day given as YYYY-MM-DD, in the council's time zone."""
        text = self.given.get(name)
        if text is None:
            return None
        try:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=zone)
        except ValueError:
            self.errors[name] = "Enter a real date, like 2026-03-02"
            return None

    def query(self, ledger: CaseLedger) -> DisclosureQuery:
        return disclosure_query(ledger, self.subject, self.case, self.actor, self.since, self.until)

    def summary(self) -> list[dict[str, Any]]:
        return [{"field": name, "text": text} for name, text in self.errors.items()]


def _filters(
    request: Request,
    person: str | None,
    case: str | None,
    actor: str | None,
    since: str | None,
    until: str | None,
) -> Filters:
    zone = ZoneInfo(request.app.state.settings.timezone)
    return Filters.read(zone, person=person, case=case, actor=actor, **{"from": since, "to": until})


def _references(directory: CaseDirectory, items: list[DisclosureOut]) -> dict[UUID, str]:
    """The reference of each case named (a case the directory has not reached: its id)."""
    found: dict[UUID, str] = {}
    for item in items:
        if item.case_id is not None and item.case_id not in found:
            entry = directory.get(item.case_id)
            found[item.case_id] = str(item.case_id) if entry is None else entry.reference
    return found


def _organisations(ledger: CaseLedger, items: list[DisclosureOut]) -> dict[str, str]:
    """The name of each organisation named, from the register (else its id as given)."""
    named = {o for i in items for o in (i.actor_organisation, i.recipient_organisation) if o}
    return {org: ledger.organisations.name_of(org) for org in named}


@router.get("/app/dpo/disclosures", name="web.dpo.disclosures")
def disclosures_page(
    request: Request,
    guard: Reader,
    log: DisclosuresDep,
    access: AccessDep,
    ledger: LedgerDep,
    directory: DirectoryDep,
    person: Text = None,
    case: Text = None,
    actor: Text = None,
    since: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    filters = _filters(request, person, case, actor, since, until)
    context: dict[str, Any] = {
        "filters": filters.given,
        "field_errors": filters.errors,
        "items": None,
        "breadcrumbs": [("Home", "/app"), ("Disclosure log", None)],
    }
    if filters.errors:
        context["errors"] = filters.summary()
        return page(request, "dpo_disclosures.html", context, principal=guard.caller, status=422)
    try:
        listed = list_disclosures(
            request,
            guard,
            log,
            access,
            ledger,
            subject=filters.subject,
            case=filters.case,
            actor=filters.actor,
            since=filters.since,
            until=filters.until,
            cursor=cursor or None,
            limit=PAGE_SIZE,
            min_position=None,
        )
    except Problem as problem:
        if problem.status != 422:
            raise
        refused = refused_by(problem)
        context.update(errors=refused.summary, field_errors=refused.fields)
        return page(request, "dpo_disclosures.html", context, principal=guard.caller, status=422)
    context.update(
        items=listed.items,
        references=_references(directory, listed.items),
        organisations=_organisations(ledger, listed.items),
        next_cursor=listed.next_cursor,
        first_page=cursor is not None,
    )
    return page(request, "dpo_disclosures.html", context, principal=guard.caller)


@router.get("/app/dpo/disclosures.csv", name="web.dpo.disclosures_csv")
def disclosures_csv(
    request: Request,
    guard: Reader,
    log: DisclosuresDep,
    access: AccessDep,
    ledger: LedgerDep,
    directory: DirectoryDep,
    settings: SettingsDep,
    clock: ClockDep,
    person: Text = None,
    case: Text = None,
    actor: Text = None,
    since: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=20)] = None,
) -> Response:
    """Every entry the filters match, newest first, as CSV: the API's fields as columns,
    each cell safe to open in a spreadsheet. Recorded before the first byte is sent."""
    filters = _filters(request, person, case, actor, since, until)
    if filters.errors:  # the page, with its errors: the link was edited by hand
        return disclosures_page(
            request, guard, log, access, ledger, directory, person, case, actor, since, until
        )
    try:
        query = filters.query(ledger)
    except Problem as problem:
        if problem.status != 422:
            raise
        return disclosures_page(
            request, guard, log, access, ledger, directory, person, case, actor, since, until
        )
    first = log.list_disclosures(query, limit=CSV_PAGE)
    access.record(
        request,
        guard.caller,
        case_id=query.case_id,
        case_version=None,
        view=CSV_VIEW,
        subjects=() if filters.subject is None else (filters.subject,),
    )

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        listed = first
        while True:
            for entry in listed.items:
                row = DisclosureOut.of(entry).model_dump(mode="json")
                writer.writerow([cell(row[name]) for name in COLUMNS])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if listed.next_cursor is None:
                return
            listed = log.list_disclosures(query, limit=CSV_PAGE, cursor=listed.next_cursor)

    today = clock().astimezone(ZoneInfo(settings.timezone)).date()
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="disclosures-{today.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
