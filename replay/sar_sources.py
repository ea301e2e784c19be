"""Where a subject access request's draft comes from: the cases the person is on (the risk
view, after merges) and what the disclosure log holds about them, each brought up to the
ledger's head first so that nothing recorded before the draft is missed."""

from __future__ import annotations

from ledger.application import CaseLedger
from ledger.sar import SubjectAccessRequest
from ledger.settings import Retention
from projections.disclosures.model import Disclosure, DisclosureQuery
from projections.disclosures.projection import DisclosureLog
from projections.risk.projection import CumulativeRisk
from replay.sar_draft import Draft, assemble, retention_sentence

PAGE = 500


def draft_for(
    ledger: CaseLedger,
    sar: SubjectAccessRequest,
    *,
    risk: CumulativeRisk,
    log: DisclosureLog,
    retention: Retention,
    wait: float | None = None,
) -> Draft:
    """The draft as of the ledger's head now; ``ViewBehind`` if a view has not reached it
    within ``wait`` seconds."""
    head = ledger.recorder.max_notification_id() or 0
    refs = tuple(ledger.people.same_person(sar.person_ref))
    cases = risk.person_cases(sar.person_ref, min_position=head, wait=wait)
    entries: list[Disclosure] = []
    query = DisclosureQuery(subject=sar.person_ref, also=refs)
    cursor: str | None = None
    while True:
        page = log.list_disclosures(
            query, limit=PAGE, cursor=cursor, min_position=head, timeout=wait
        )
        entries.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return assemble(
        ledger,
        sar,
        [case.case_id for case in cases],
        entries,
        retention_sentence(retention),
    )
