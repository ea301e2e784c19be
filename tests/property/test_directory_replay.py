"""Projection equals replay: the case directory built live equals one rebuilt from position 0.

Random steps (open, assign, assess, share, close, reopen, and reads the view ignores) go
through the aggregate and are saved; the live view catches up after each save. Then a
fresh set of tables is built from scratch, and both must equal each other and what the
aggregates themselves say. SQLite only: the runner's SQL is shared with PostgreSQL, which
the integration tests cover.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import RiskLevel
from ledger.errors import RuleViolation
from ledger.settings import Settings
from projections import CaseDirectory, ViewRunner, open_view_store
from tests.integration.test_directory import Cases
from tests.integration.test_projection_runner import record_access

TEAMS = ("north", "south")
OFFICERS = (None, "cw-1", "cw-2")
ORGANISATIONS = ("Police", "Test Homes", "Victim Support")

Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["open", "assign", "assess", "share", "close", "reopen", "read"]),
        st.integers(0, 3),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=25,
)


def apply(cases: Cases, opened: list[Case], step: Step) -> bool:
    """Applies one step through the aggregate; False if the case's rules refused it."""
    action, which, choice = step
    if action == "open" or not opened:
        opened.append(cases.open())
        return True
    case = opened[which % len(opened)]
    try:
        if action == "assign":
            cases.assign(case, TEAMS[choice % 2], OFFICERS[choice % 3])
        elif action == "assess":
            cases.assess(case, list(RiskLevel)[choice % 3])
        elif action == "share":
            cases.share(case, ORGANISATIONS[choice % 3])
        elif action == "close":
            cases.close(case)
        elif action == "reopen":
            cases.reopen(case)
        else:
            record_access(cases.ledger, case.id)
    except RuleViolation:
        case.collect_events()  # nothing was triggered; keep the aggregate clean regardless
        return False
    return True


def expected_row(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "status": "closed" if case.closed else "open",
        "team": case.team,
        "officer": case.officer,
        "risk_level": case.risk_level,
        "last_version": case.version,
        "last_event_at": case.modified_on,
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=steps, page_size=st.integers(1, 8))
def test_the_live_directory_equals_a_rebuild_from_scratch(
    steps: list[Step], page_size: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        ledger = CaseLedger(
            Settings(data_dir=path, database_url=f"sqlite:///{path / 'ledger.sqlite3'}")
        )
        store = open_view_store(ledger.store_config)
        try:
            live = CaseDirectory(store)
            runner = ViewRunner(ledger, [live], page_size=page_size)
            cases = Cases(ledger)
            opened: list[Case] = []
            for step in steps:
                if apply(cases, opened, step):
                    runner.catch_up()
                    assert live.position() == runner.head()

            rebuilt = CaseDirectory(store, suffix="_rebuilt")
            ViewRunner(ledger, [rebuilt], page_size=500).catch_up()
            assert rebuilt.contents() == live.contents()
            assert rebuilt.position() == live.position() == runner.head()

            rows, shares = live.contents()
            by_id = {row.case_id: row for row in rows}
            assert set(by_id) == {case.id for case in opened}
            for case in opened:
                row = by_id[case.id]
                assert {k: getattr(row, k) for k in expected_row(case)} == expected_row(case)
            assert shares == sorted(
                {(case.id, share.organisation) for case in opened for share in case.shares}
            )
        finally:
            store.close()
            ledger.close()
