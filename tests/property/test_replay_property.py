"""Replay against the case machine: for generated cases, the state as of version N equals the
state the aggregate had when version N was saved, for every N; and as of any recorded or
world time it is the state at the version the simple rule below names."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from ledger.application import CaseLedger
from ledger.settings import Settings
from replay.asof import (
    AsOf,
    BeforeCaseExisted,
    VersionBeyondCase,
    at_occurred,
    at_recorded,
    at_version,
)
from tests.property.test_case_machine import CaseMachine


@dataclass(frozen=True)
class Kept:
    """A version as it was saved: the case's state, when it was recorded and when its event
    happened in the world."""

    state: dict[str, Any]
    recorded: datetime
    occurred: datetime


def expected(kept: dict[int, Kept], at: datetime, when: Callable[[Kept], datetime]) -> Any:
    """The rule, stated plainly: the longest run of versions from the first whose time is at
    or before ``at``, and the later versions whose own time is too. None: not even v1."""
    version = 0
    while version + 1 in kept and when(kept[version + 1]) <= at:
        version += 1
    later = tuple(v for v in sorted(kept) if v > version and when(kept[v]) <= at)
    return (version, later) if version else None


class ReplayMachine(CaseMachine):
    """The case machine, keeping the state the case had as each version was saved."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[int, Kept] = {}
        self.checked = 0

    def attempt(self, broken: set[Any], command: Callable[..., object], **kw: Any) -> bool:
        self.keep()  # the opening, saved before the first command
        accepted = super().attempt(broken, command, **kw)
        if accepted:
            self.keep()
        return accepted

    def keep(self) -> None:
        case = self.case
        assert case.pending_events == []
        if case.version not in self.kept:
            stored: Any = self.ledger.repository.event_store.get
            (event,) = stored(case.id, gt=case.version - 1, lte=case.version)
            self.kept[case.version] = Kept(
                copy.deepcopy(case.state()), case.modified_on, event.occurred_at
            )

    def shows(self, shown: AsOf, version: int) -> None:
        assert shown.version == version
        assert shown.case.state() == self.kept[version].state
        assert shown.recorded_at == self.kept[version].recorded

    def check_times(self, at: datetime) -> None:
        for basis, when, replay in (
            ("recorded", lambda k: k.recorded, at_recorded),
            ("occurred", lambda k: k.occurred, at_occurred),
        ):
            rule = expected(self.kept, at, when)
            if rule is None:
                with pytest.raises(BeforeCaseExisted):
                    replay(self.ledger, self.case.id, at)
                continue
            shown = replay(self.ledger, self.case.id, at)
            assert (shown.basis, shown.at) == (basis, at)
            assert shown.left_out == rule[1]
            self.shows(shown, rule[0])

    @invariant()
    def each_new_version_replays_as_it_was_saved(self) -> None:
        self.keep()
        case_id = self.case.id
        for version in sorted(v for v in self.kept if v > self.checked):
            self.shows(at_version(self.ledger, case_id, version), version)
            self.check_times(self.kept[version].recorded)
            self.check_times(self.kept[version].occurred)
        self.checked = max(self.kept)
        with pytest.raises(VersionBeyondCase):
            at_version(self.ledger, case_id, self.case.version + 1)

    def teardown(self) -> None:
        """Once the case's history is complete: every version, and every moment at which
        one was recorded or happened (and just before), replays as the rule says."""
        try:
            if self.kept:
                for version, kept in self.kept.items():
                    self.shows(at_version(self.ledger, self.case.id, version), version)
                    for moment in (kept.recorded, kept.occurred):
                        self.check_times(moment)
                        self.check_times(moment - timedelta(microseconds=1))
        finally:
            super().teardown()


class ReplayOnSQLite(ReplayMachine):
    def make_ledger(self, tmp: Path) -> CaseLedger:
        return CaseLedger(Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'db.sqlite3'}"))


TestReplayInMemory = ReplayMachine.TestCase
TestReplayInMemory.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestReplayOnSQLite = ReplayOnSQLite.TestCase
TestReplayOnSQLite.settings = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
