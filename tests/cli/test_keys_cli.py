"""``asb-ledger keys rotate`` as an operator runs it: after the demo, every chain and checkpoint
still verifies, the old key is refused, a stopped rotation resumes, and only counts print."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ledger.application import CaseLedger
from ledger.masterkey import next_key_path
from ledger.rotation import KeyRotation, RotationCount
from ledger.settings import Settings
from tests.cli.test_commands import run
from tests.integration.test_key_rotation import wrapped_rows


def env_of(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    return {"ASB_DATA_DIR": str(settings.data_dir), "ASB_DATABASE_URL": settings.database_url}


@pytest.fixture
def demo(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = env_of(settings)
    loaded = run(tmp_path, "demo", **env)
    assert loaded.returncode == 0, loaded
    return env


def shows(output: str, key: bytes) -> bool:
    return any(form in output for form in (key.hex(), base64.b64encode(key).decode()))


def test_a_rotation_keeps_verify_all_intact_and_refuses_the_old_key(
    settings: Settings, demo: dict[str, str], tmp_path: Path
) -> None:
    path = settings.master_key_path
    old_key = path.read_bytes()

    rotated = run(tmp_path, "keys", "rotate", "--batch", "3", **demo)

    assert rotated.returncode == 0, rotated
    assert rotated.stdout.startswith("rotated: "), rotated.stdout
    assert "already under the new key, 0 destroyed" in rotated.stdout
    new_key = path.read_bytes()
    assert new_key != old_key
    assert not next_key_path(path).exists()
    assert not any(shows(rotated.stdout + rotated.stderr, key) for key in (old_key, new_key))
    verify = run(tmp_path, "verify", "--all", **demo)
    assert (verify.returncode, verify.stdout) == (0, "intact\n"), verify
    assert "not signed yet" not in verify.stderr  # the demo's checkpoint still covers it all

    path.write_bytes(old_key)
    refused = run(tmp_path, "verify", "--all", **demo)
    assert refused.returncode == 2, refused
    assert "does not unwrap" in refused.stderr
    path.write_bytes(new_key)


def test_a_rotation_that_stopped_resumes_and_completes(
    settings: Settings, demo: dict[str, str], tmp_path: Path
) -> None:
    class Crash(Exception):
        pass

    def stop(count: RotationCount) -> None:
        raise Crash

    ledger = CaseLedger(settings)
    try:
        with pytest.raises(Crash):
            KeyRotation(ledger.keys.table, settings.master_key_path, batch=2).run(on_batch=stop)
    finally:
        ledger.close()
    new_key = next_key_path(settings.master_key_path).read_bytes()

    resumed = run(tmp_path, "keys", "rotate", **demo)

    assert resumed.returncode == 0, resumed
    assert "resuming the rotation that stopped" in resumed.stderr
    assert "2 already under the new key" in resumed.stdout  # the batch done before the stop
    assert settings.master_key_path.read_bytes() == new_key
    verify = run(tmp_path, "verify", "--all", **demo)
    assert (verify.returncode, verify.stdout) == (0, "intact\n"), verify


def test_a_key_under_neither_key_stops_the_rotation_with_1_and_nothing_is_lost(
    settings: Settings, demo: dict[str, str], tmp_path: Path
) -> None:
    """A row damaged behind the application's back: the rotation rewraps the others, but
    does not replace the master key, so no key is lost; mended, it resumes."""
    path = settings.master_key_path
    old_key = path.read_bytes()
    ledger = CaseLedger(settings)
    try:
        table = ledger.keys.table
        scope, wrapped = next(
            (scope, wrapped)
            for scope, wrapped in wrapped_rows(table).items()
            if scope.startswith("person:")
        )
        assert table.swap_keys([(scope, wrapped, bytes(60))]) == 1
        failed = run(tmp_path, "keys", "rotate", **demo)
        assert failed.returncode == 1, failed
        assert "1 data keys unwrap under neither" in failed.stderr
        assert path.read_bytes() == old_key
        assert next_key_path(path).exists()
        assert table.swap_keys([(scope, bytes(60), wrapped)]) == 1
    finally:
        ledger.close()
    resumed = run(tmp_path, "keys", "rotate", **demo)
    assert resumed.returncode == 0, resumed
    assert "rotated: 1 data keys rewrapped" in resumed.stdout
    verify = run(tmp_path, "verify", "--all", **demo)
    assert (verify.returncode, verify.stdout) == (0, "intact\n"), verify


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["keys", "--help"], 0),
        (["keys", "rotate", "--help"], 0),
        (["keys", "rotate", "--batch", "0"], 2),
    ],
)
def test_help_and_bad_usage(tmp_path: Path, args: list[str], code: int) -> None:
    done = run(tmp_path, *args, ASB_DATA_DIR=str(tmp_path / "data"))
    assert done.returncode == code, done
    assert not (tmp_path / "data").exists()


def test_no_store_to_rotate_is_bad_usage(tmp_path: Path) -> None:
    done = run(tmp_path, "keys", "rotate", ASB_DATA_DIR=str(tmp_path / "data"))
    assert done.returncode == 2, done
    assert "nothing to check" in done.stderr or "no ledger" in done.stderr
