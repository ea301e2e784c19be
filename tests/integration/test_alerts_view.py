"""The break-glass alert queue on both stores: kept live by the runner from grants, the reads
under them, the DPO's reviews and later assignments; equal to a rebuild from scratch;
unchanged by the same events delivered again; the disclosure log marks those reads; and
`verify --all` finds every grant's, index's and read's chain intact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

import pytest

from ledger.application import CaseLedger
from ledger.enums import AlertOutcome
from projections import ViewRunner, ViewStore, open_view_store
from projections.alerts.model import AlertQuery
from projections.alerts.projection import BreakGlassAlerts
from projections.disclosures.model import DisclosureQuery
from projections.disclosures.projection import DisclosureLog
from replay.ledger_check import verify_ledger
from tests.builders import SUPERVISOR, T0, CaseKit
from tests.integration.test_projection_runner import record_access
from tests.unit.test_break_glass import DPO, grant

HOUR = timedelta(hours=1)


@pytest.fixture
def views(ledger: CaseLedger) -> Iterator[ViewStore]:
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


def opened(ledger: CaseLedger) -> UUID:
    case = CaseKit(ledger).open()
    ledger.save_new_case(case)
    return case.id


def assign(ledger: CaseLedger, case_id: UUID, team: str) -> None:
    case = ledger.get_case(case_id)
    case.assign(actor=SUPERVISOR, occurred_at=T0 + HOUR, team=team, officer=None)
    ledger.save_case(case)


def test_the_queue_follows_grants_reads_reviews_and_assignments(
    ledger: CaseLedger, views: ViewStore
) -> None:
    alerts = BreakGlassAlerts(views, application_name=ledger.name)
    log = DisclosureLog(views, application_name=ledger.name)
    runner = ViewRunner(ledger, [alerts, log], page_size=2)
    first, second, third = (opened(ledger) for _ in range(3))
    reconciled, reviewed, untouched = (grant(ledger, case) for case in (first, second, third))
    for _ in range(3):
        record_access(ledger, second, grant_id=reviewed.id)
    record_access(ledger, second)  # an ordinary read: not counted
    ledger.break_glass.review(
        reviewed.id,
        actor=DPO,
        occurred_at=T0 + 2 * HOUR,
        outcome=AlertOutcome.CORRECTED,
        follow_up=None,
        note="Fictional: reminded of the rules",
    )
    assign(ledger, first, "east")  # one of the supervisor's teams (south, east)
    assign(ledger, third, "west")
    runner.catch_up()

    queue = alerts.list_alerts(AlertQuery(), limit=10)
    assert [a.grant_id for a in queue.items] == [untouched.id, reconciled.id, reviewed.id]
    by_id = {a.grant_id: a for a in queue.items}
    closed = by_id[reviewed.id]
    assert (closed.status, closed.outcome, closed.closed_by, closed.reads) == (
        "closed",
        "corrected",
        "dpo-1",
        3,
    )
    assert closed.ends_at == T0 + 2 * HOUR
    assert closed.expires_at == T0 + 4 * HOUR
    assert (by_id[reconciled.id].reconciled_team, by_id[untouched.id].reconciled_at) == (
        "east",
        None,
    )
    assert by_id[reconciled.id].teams == ("east", "south")
    marked = [d for d in log.export(DisclosureQuery(case_id=second)) if d.kind == "access"]
    assert sorted(str(d.grant_id) for d in marked) == sorted([str(reviewed.id)] * 3 + ["None"])
    assert {d.purpose for d in marked if d.grant_id} == {"break_glass"}

    rebuilt = BreakGlassAlerts(views, suffix="_again", application_name=ledger.name)
    again = ViewRunner(ledger, [rebuilt], page_size=500)
    again.catch_up()
    assert rebuilt.contents() == alerts.contents()
    notes = ledger.recorder.select_notifications(1, runner.head())
    assert again.deliver(rebuilt, notes) == 0
    assert rebuilt.contents() == alerts.contents()

    checked = verify_ledger(ledger, None, in_process=10**9)  # every grant, index and read chains
    assert checked.finding is None
    assert checked.events == runner.head()
