"""A case as of a version, a recorded time or a world time, on SQLite and PostgreSQL: given a
case saved one event at a time, each as-of equals the state the case had when that version
was saved, and a version or time the case never had is an error."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.access import AccessRecord
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import AccessOutcome, AccessPurpose, Agency, IncidentType, PersonRole
from ledger.errors import CaseNotFound, IntegrityFailure
from replay.asof import (
    AsOf,
    BeforeCaseExisted,
    VersionBeyondCase,
    as_of,
    at_occurred,
    at_recorded,
    at_version,
)
from tests.builders import CASEWORKER, T0, CaseKit, due
from tests.integration.test_tamper import RawEvents, edited

H = timedelta(hours=1)
D = timedelta(days=1)
OCCURRED = [T0, T0 + H, T0 - 2 * D, T0 + D, T0 + 3 * H, T0 + 2 * D]
"""When each version happened in the world: v3 is an incident from before the case was
opened, v5 one reported a day after it happened (after v4, which happened later)."""


@dataclass
class Saved:
    """A case saved one event at a time, with the state it had at each version."""

    case: Case
    states: dict[int, dict[str, Any]] = field(default_factory=dict)
    recorded: dict[int, datetime] = field(default_factory=dict)

    def keep(self) -> None:
        self.states[self.case.version] = copy.deepcopy(self.case.state())
        self.recorded[self.case.version] = self.case.modified_on


def saved_case(ledger: CaseLedger) -> Saved:
    kit = CaseKit(ledger)
    saved = Saved(kit.open(OCCURRED[0]))
    ledger.save_new_case(saved.case)
    saved.keep()
    case = saved.case
    victim = uuid4()
    steps: list[Callable[[], object]] = [
        lambda: case.link_person(
            actor=CASEWORKER,
            occurred_at=OCCURRED[1],
            person_ref=victim,
            role=PersonRole.VICTIM,
            details=kit.details(victim, "Vic Tim"),
        ),
        lambda: kit.incident(case, days=-2, victims=(victim,)),
        lambda: case.plan_action(
            actor=CASEWORKER,
            occurred_at=OCCURRED[3],
            action_id="visit-1",
            description=kit.text("visit the victim", "action.description"),
            owner_agency=Agency.COUNCIL,
            owner_officer="cw-1",
            due=due(5),
        ),
        lambda: case.record_incident(
            actor=CASEWORKER,
            occurred_at=OCCURRED[4],
            incident_id=uuid4(),
            incident_type=IncidentType.NOISE,
            description=kit.text("late report", "incident.description"),
            harms=(),
            criminal=False,
        ),
        lambda: case.complete_action(
            actor=CASEWORKER,
            occurred_at=OCCURRED[5],
            action_id="visit-1",
            outcome=kit.text("visited", "action.outcome"),
        ),
    ]
    for step in steps:
        step()
        ledger.save_case(case)
        saved.keep()
    assert list(saved.recorded.values()) == sorted(set(saved.recorded.values()))
    return saved


@pytest.fixture
def saved(ledger: CaseLedger) -> Saved:
    return saved_case(ledger)


def assert_shows(shown: AsOf, saved: Saved, version: int) -> None:
    assert shown.version == version
    assert shown.case.state() == saved.states[version]
    assert shown.recorded_at == saved.recorded[version]


# ------------------------------------------------------------------ as of a version


def test_each_version_is_the_state_the_case_had_when_it_was_saved(
    ledger: CaseLedger, saved: Saved
) -> None:
    for version in saved.states:
        shown = at_version(ledger, saved.case.id, version)
        assert shown.basis == "version"
        assert shown.at is None
        assert shown.left_out == ()
        assert_shows(shown, saved, version)
    assert ledger.get_case(saved.case.id).state() == saved.states[6]


def test_a_version_beyond_the_case_is_an_error_not_its_current_state(
    ledger: CaseLedger, saved: Saved
) -> None:
    with pytest.raises(VersionBeyondCase) as beyond:
        at_version(ledger, saved.case.id, 7)
    assert (beyond.value.version, beyond.value.current) == (7, 6)
    assert beyond.value.code == "replay.version_beyond_case"
    with pytest.raises(ValueError, match="start at 1"):
        at_version(ledger, saved.case.id, 0)


def test_an_unknown_id_or_another_kind_of_stream_is_not_found(
    ledger: CaseLedger, saved: Saved
) -> None:
    record = AccessRecord.record(
        occurred_at=T0,
        actor=CASEWORKER,
        request_id="r-1",
        case_id=saved.case.id,
        case_version=6,
        view="case.detail",
        purpose=AccessPurpose.CASE_MANAGEMENT,
        subjects=(),
        outcome=AccessOutcome.GRANTED,
        reason=None,
    )
    ledger.record_access(record)
    for missing in (uuid4(), record.id):
        with pytest.raises(CaseNotFound):
            at_version(ledger, missing, 1)
        with pytest.raises(CaseNotFound):
            at_recorded(ledger, missing, T0 + 400 * D)
        with pytest.raises(CaseNotFound):
            at_occurred(ledger, missing, T0 + 400 * D)


# -------------------------------------------------------------- as of recorded time


def test_recorded_time_shows_every_version_recorded_by_then(
    ledger: CaseLedger, saved: Saved
) -> None:
    times = saved.recorded
    for version, recorded in times.items():
        shown = at_recorded(ledger, saved.case.id, recorded)
        assert (shown.basis, shown.at, shown.left_out) == ("recorded", recorded, ())
        assert_shows(shown, saved, version)
        if version < 6:
            between = recorded + (times[version + 1] - recorded) / 2
            assert_shows(at_recorded(ledger, saved.case.id, between), saved, version)
    assert_shows(at_recorded(ledger, saved.case.id, times[6] + 365 * D), saved, 6)


def test_recorded_time_before_the_case_was_recorded_is_an_error(
    ledger: CaseLedger, saved: Saved
) -> None:
    first = saved.recorded[1]
    with pytest.raises(BeforeCaseExisted) as early:
        at_recorded(ledger, saved.case.id, first - timedelta(microseconds=1))
    assert (early.value.basis, early.value.first) == ("recorded", first)
    assert early.value.code == "replay.before_case_existed"


def test_a_time_needs_a_timezone(ledger: CaseLedger, saved: Saved) -> None:
    with pytest.raises(ValueError, match="timezone"):
        at_recorded(ledger, saved.case.id, datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="timezone"):
        at_occurred(ledger, saved.case.id, datetime(2030, 1, 1))


# ------------------------------------------------------------------ as of world time


@pytest.mark.parametrize(
    ("at", "version", "left_out"),
    [
        (T0, 1, (3,)),  # v2 happened an hour later; v3 (an old incident) is left out
        (T0 + H / 2, 1, (3,)),
        (T0 + 2 * H, 3, ()),  # v4 happened a day later
        (T0 + 5 * H, 3, (5,)),  # v5 happened by then but was recorded after v4
        (T0 + D, 5, ()),
        (T0 + 3 * D, 6, ()),
    ],
)
def test_world_time_shows_the_longest_run_of_versions_that_had_all_happened(
    ledger: CaseLedger, saved: Saved, at: datetime, version: int, left_out: tuple[int, ...]
) -> None:
    shown = at_occurred(ledger, saved.case.id, at)
    assert (shown.basis, shown.at, shown.left_out) == ("occurred", at, left_out)
    assert_shows(shown, saved, version)
    assert all(OCCURRED[v - 1] <= at for v in range(1, version + 1))
    assert all(OCCURRED[v - 1] <= at for v in left_out)


def test_world_time_before_the_case_was_opened_is_an_error_even_if_an_incident_was(
    ledger: CaseLedger, saved: Saved
) -> None:
    with pytest.raises(BeforeCaseExisted) as early:
        at_occurred(ledger, saved.case.id, T0 - D)  # v3's incident had happened by then
    assert (early.value.basis, early.value.first) == ("occurred", T0)


def test_as_of_chooses_by_what_is_given(ledger: CaseLedger, saved: Saved) -> None:
    case_id = saved.case.id
    assert_shows(as_of(ledger, case_id, version=2), saved, 2)
    assert_shows(as_of(ledger, case_id, at=saved.recorded[4]), saved, 4)
    assert_shows(as_of(ledger, case_id, at=T0 + 2 * H, basis="occurred"), saved, 3)
    for wrong in ({}, {"version": 2, "at": T0}):
        with pytest.raises(ValueError, match="a version or a time"):
            as_of(ledger, case_id, **wrong)  # type: ignore[arg-type]


def test_a_replayed_state_is_its_own(ledger: CaseLedger, saved: Saved) -> None:
    """Changing a replayed case changes neither a later replay nor the loaded case."""
    current = ledger.get_case(saved.case.id)
    for shown in (
        at_version(ledger, current.id, 3),
        at_recorded(ledger, current.id, saved.recorded[3]),
        at_occurred(ledger, current.id, T0 + 2 * H),
    ):
        shown.case.incidents.clear()
        shown.case.persons.clear()
    assert_shows(at_occurred(ledger, current.id, T0 + 2 * H), saved, 3)
    assert ledger.get_case(current.id).state() == saved.states[6]


# ---------------------------------------------------------------------- tampering


def test_a_tampered_event_is_named_and_never_shown(ledger: CaseLedger, saved: Saved) -> None:
    raw = RawEvents(ledger)
    case_id: UUID = saved.case.id
    _, state = raw.row(case_id, 4)
    raw.set_state(case_id, 4, edited(state, b'"visit-1"', b'"visit-9"'))
    assert_shows(at_version(ledger, case_id, 3), saved, 3)  # the prefix before it is intact
    replays: list[Callable[[], AsOf]] = [
        lambda: at_version(ledger, case_id, 5),
        lambda: at_recorded(ledger, case_id, saved.recorded[6]),
        # the time bases check the whole chain, as the plain read does
        lambda: at_recorded(ledger, case_id, saved.recorded[2]),
        lambda: at_occurred(ledger, case_id, T0),
    ]
    for replay in replays:
        with pytest.raises(IntegrityFailure) as failure:
            replay()
        assert failure.value.version == 4
