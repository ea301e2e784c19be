"""``asb-ledger dpo retention`` on both stores: ``--dry-run`` lists the closed cases past
retention (held ones with the hold that keeps them) and erases nothing; ``--apply`` erases
them and skips the held ones, naming why; a second run has nothing to do; bad usage exits 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import CaseLedger
from ledger.holds import HoldScope
from ledger.sealing import case_scope
from ledger.settings import Settings
from tests.cli.test_commands import run
from tests.cli.test_dpo_cli import env_of
from tests.integration.retention_steps import council
from tests.integration.test_tamper import RawEvents


@dataclass
class Store:
    settings: Settings
    due: UUID
    held: UUID
    hold: UUID
    young: UUID

    @property
    def env(self) -> dict[str, str]:
        return env_of(self.settings)

    def erased(self, case_id: UUID) -> bool:
        with self.ledger() as ledger:
            return ledger.keys.table.load_key(case_scope(case_id))[1] is None

    def reference(self, case_id: UUID) -> str:
        with self.ledger() as ledger:
            return ledger.get_case(case_id).reference

    @contextmanager
    def ledger(self) -> Iterator[CaseLedger]:
        ledger = CaseLedger(self.settings)
        try:
            yield ledger
        finally:
            ledger.close()


@pytest.fixture
def town(settings: Settings) -> Store:
    ledger = CaseLedger(settings)
    try:
        with council(ledger) as steps:
            due = steps.case(datetime(2018, 1, 10, 10, tzinfo=UTC))
            held = steps.case(datetime(2018, 1, 11, 10, tzinfo=UTC))
            young = steps.case(datetime(2024, 1, 11, 10, tzinfo=UTC))
            hold = steps.hold(HoldScope(case_id=held))
    finally:
        ledger.close()
    return Store(settings, due, held, hold, young)


def test_a_dry_run_lists_and_erases_nothing(town: Store, tmp_path: Path) -> None:
    done = run(tmp_path, "dpo", "retention", "--dry-run", "--now", "2025-06-02", **town.env)
    assert done.returncode == 0, done.stderr
    assert town.reference(town.due) in done.stdout
    assert "2018-01-10" in done.stdout
    assert "2024-01-10" in done.stdout
    assert str(town.hold) in done.stdout
    assert town.reference(town.young) not in done.stdout
    assert "2 closed cases past retention on 2025-06-02: 1 to erase, 1 held" in done.stdout
    assert not town.erased(town.due)


def test_apply_erases_skips_the_held_and_then_has_nothing_to_do(
    town: Store, tmp_path: Path
) -> None:
    args = ("dpo", "retention", "--apply", "--actor-id", "dpo-1", "--now", "2025-06-02")
    done = run(tmp_path, *args, **town.env)
    assert done.returncode == 0, done.stderr
    assert "1 erased (0 completed from a stopped run), 1 held" in done.stdout
    assert f"{town.reference(town.held)} held:" in done.stdout
    assert str(town.hold) in done.stdout
    assert town.erased(town.due)
    assert not town.erased(town.held)
    assert not town.erased(town.young)

    again = run(tmp_path, *args, **town.env)
    assert again.returncode == 0, again.stderr
    assert "0 erased" in again.stdout
    assert "nothing erased" in again.stdout
    assert not town.erased(town.held)
    verified = run(tmp_path, "verify", "--all", **town.env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_with_nothing_past_retention_it_says_so(town: Store, tmp_path: Path) -> None:
    done = run(
        tmp_path,
        *("dpo", "retention", "--apply", "--actor-id", "dpo-1", "--now", "2023-01-01"),
        **town.env,
    )
    assert done.returncode == 0, done.stderr
    assert "no closed case is past retention on 2023-01-01: nothing to do" in done.stdout


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ((), "exactly one of --dry-run and --apply"),
        (("--dry-run", "--apply"), "exactly one of --dry-run and --apply"),
        (("--apply",), "--actor-id"),
        (("--apply", "--actor-id", "dpo-1", "--now", "2999-01-01"), "in the future"),
        (("--dry-run", "--now", "yesterday"), "--now must be a date"),
    ],
)
def test_bad_usage_exits_2(town: Store, tmp_path: Path, args: tuple[str, ...], why: str) -> None:
    done = run(tmp_path, "dpo", "retention", *args, **town.env)
    assert done.returncode == 2, done
    assert why in done.stderr
    assert not town.erased(town.due)


def test_a_case_that_fails_its_check_fails_alone_and_exits_1(town: Store, tmp_path: Path) -> None:
    with town.ledger() as ledger:
        RawEvents(ledger).delete(town.due, 2)  # a version removed behind the ledger's back
    done = run(
        tmp_path,
        *("dpo", "retention", "--apply", "--actor-id", "dpo-1", "--now", "2025-06-02"),
        **town.env,
    )
    assert done.returncode == 1, done
    assert "0 erased (0 completed from a stopped run), 1 held" in done.stdout
    assert "1 failed" in done.stdout
    assert "IntegrityFailure" in done.stdout
    assert not town.erased(town.due)
