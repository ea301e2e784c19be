"""Break-glass grants on a frozen clock: a supervisor's grant runs from the moment it is made
for ``ASB_BREAK_GLASS_HOURS``, is found through the ledger's own index (no view), ends early
when its alert is closed as corrected or escalated, and opens reads only (the policy)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from api.policy import BREAK_GLASS_READS, Action, CaseFacts, decide, may_need_grant
from api.principal import Principal
from ledger.access import AccessedV2
from ledger.application import CaseLedger
from ledger.break_glass import BreakGlassGrant, BreakGlassGranted, BreakGlassReviewed
from ledger.enums import (
    AccessPurpose,
    AlertFollowUp,
    AlertOutcome,
    BreakGlassReason,
    Role,
)
from ledger.settings import Settings
from ledger.values import Actor
from tests.builders import SUPERVISOR, T0, CaseKit
from tests.integration.test_projection_runner import record_access

OUTSIDER = replace(SUPERVISOR, user_id="sv-south", display_name="Sue South", team="south")
DPO = Actor(user_id="dpo-1", display_name="Dee Pio", role=Role.DPO, organisation="council")
HOUR = timedelta(hours=1)


def grant(ledger: CaseLedger, case_id: UUID, *, at: timedelta = timedelta(0)) -> BreakGlassGrant:
    found, _ = ledger.break_glass.grant(
        grant_id=uuid4(),
        actor=OUTSIDER,
        teams=frozenset({"south", "east"}),
        occurred_at=T0 + at,
        case=ledger.get_case(case_id),
        reason=BreakGlassReason.SAFEGUARDING_EMERGENCY,
        rationale="Fictional: the police called about a threat tonight",
    )
    return found


@pytest.fixture
def case_id(kit: CaseKit) -> UUID:
    case = kit.open()
    kit.ledger.save_new_case(case)
    return case.id


def test_a_grant_runs_for_the_configured_hours_on_a_frozen_clock(
    memory_ledger: CaseLedger, case_id: UUID
) -> None:
    made = grant(memory_ledger, case_id)
    assert made.expires_at == T0 + 4 * HOUR
    assert made.teams == ("east", "south")
    active = memory_ledger.break_glass.active
    assert active(OUTSIDER.user_id, case_id, T0) is not None
    assert active(OUTSIDER.user_id, case_id, T0 + 4 * HOUR - timedelta(microseconds=1))
    assert active(OUTSIDER.user_id, case_id, T0 + 4 * HOUR) is None
    assert active("someone-else", case_id, T0 + HOUR) is None
    assert active(OUTSIDER.user_id, uuid4(), T0 + HOUR) is None


def test_the_hours_are_a_setting() -> None:
    ledger = CaseLedger(Settings(database_url="memory://", break_glass_hours=0.5))
    try:
        kit = CaseKit(ledger)
        case = kit.open()
        ledger.save_new_case(case)
        assert grant(ledger, case.id).expires_at == T0 + HOUR / 2
    finally:
        ledger.close()


@pytest.mark.parametrize("outcome", list(AlertOutcome))
def test_closing_as_corrected_or_escalated_ends_the_grant(
    memory_ledger: CaseLedger, case_id: UUID, outcome: AlertOutcome
) -> None:
    made = grant(memory_ledger, case_id)
    reviewed = memory_ledger.break_glass.review(
        made.id,
        actor=DPO,
        occurred_at=T0 + HOUR,
        outcome=outcome,
        follow_up=AlertFollowUp.ADVICE_GIVEN,
        note="Fictional: spoke to them",
    )
    assert reviewed is not None
    closed = memory_ledger.break_glass.get(made.id)
    assert closed is not None
    assert (closed.outcome, closed.reviewer) == (outcome, DPO)
    still = memory_ledger.break_glass.active(OUTSIDER.user_id, case_id, T0 + 2 * HOUR)
    assert (still is None) is (outcome is not AlertOutcome.JUSTIFIED)
    assert closed.ends_at == (T0 + 4 * HOUR if outcome is AlertOutcome.JUSTIFIED else T0 + HOUR)


def test_the_rationale_and_note_are_sealed_under_the_case_key(
    memory_ledger: CaseLedger, case_id: UUID
) -> None:
    made = grant(memory_ledger, case_id)
    memory_ledger.break_glass.review(
        made.id,
        actor=DPO,
        occurred_at=T0,
        outcome=AlertOutcome.JUSTIFIED,
        follow_up=None,
        note="Fictional: fine",
    )
    stored = [
        memory_ledger.mapper.to_domain_event(n)
        for n in memory_ledger.recorder.select_notifications(1, 100)
    ]
    granted = next(e for e in stored if isinstance(e, BreakGlassGranted))
    reviewed = next(e for e in stored if isinstance(e, BreakGlassReviewed))
    assert granted.rationale.scope == f"case:{case_id}"
    assert reviewed.note is not None
    assert reviewed.note.scope == f"case:{case_id}"
    found = memory_ledger.break_glass.get(made.id)
    assert found is not None
    assert memory_ledger.break_glass.unsealed(found) == (
        "Fictional: the police called about a threat tonight",
        "Fictional: fine",
    )


def test_a_read_under_a_grant_is_an_accessed_v2_and_others_stay_v1(
    memory_ledger: CaseLedger, case_id: UUID
) -> None:
    made = grant(memory_ledger, case_id)
    marked = record_access(memory_ledger, case_id, grant_id=made.id)
    plain = record_access(memory_ledger, case_id)
    events: dict[int, Any] = {
        n.id: memory_ledger.mapper.to_domain_event(n)
        for n in memory_ledger.recorder.select_notifications(1, 100)
    }
    read = events[marked]
    assert isinstance(read, AccessedV2)
    assert (read.grant_id, read.purpose) == (made.id, AccessPurpose.BREAK_GLASS)
    assert type(events[plain]).__name__ == "Accessed"
    assert events[plain].purpose is AccessPurpose.CASE_MANAGEMENT


def supervisor(*teams: str) -> Principal:
    return Principal(
        user_id="sv-south",
        display_name="S",
        role=Role.SUPERVISOR,
        organisation="council",
        team=teams[0],
        teams=frozenset(teams),
    )


def test_the_policy_opens_a_supervisors_reads_under_a_grant_and_nothing_else() -> None:
    grant_id = uuid4()
    north = CaseFacts(team="north", officer="cw-1", shared_with=frozenset())
    held = CaseFacts(team="north", officer="cw-1", shared_with=frozenset(), grant=grant_id)
    me = supervisor("south")
    for action in Action:
        if action is Action.PUBLIC:
            continue
        without, under = decide(me, action, north), decide(me, action, held)
        if action in BREAK_GLASS_READS:
            assert may_need_grant(me, action, north)
            assert (without.allowed, without.hide) == (False, True)
            assert (under.allowed, under.grant) == (True, grant_id)
        elif action is Action.BREAK_GLASS:
            assert without.allowed
        else:  # commands, and anything else, stay as they were without the grant
            assert (under.allowed, under.hide) == (without.allowed, without.hide), action
            assert under.grant is None
    for role in Role:  # a grant someone else holds opens nothing to anyone else
        other = Principal(user_id="x", display_name="X", role=role, organisation="council")
        if role is not Role.SUPERVISOR:
            assert decide(other, Action.READ_CASE, held).grant is None
