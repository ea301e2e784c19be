"""`asb-ledger token`: one verifiable token alone on stdout, or exit 2 with one line on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.auth import TokenVerifier
from api.cli.app import app
from api.settings import ApiSettings
from ledger.enums import Role

ASB = str(Path(sys.executable).parent / "asb-ledger")


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    return subprocess.run(
        [ASB, *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_token_is_alone_on_stdout_and_verifies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run(
        tmp_path,
        "token",
        "--user",
        "cw-42",
        "--role",
        "caseworker",
        "--org",
        "Council",
        "--team",
        "east",
        "--name",
        "Casey Worker",
        ASB_DATA_DIR=str(data),
    )
    assert done.returncode == 0, done
    token, newline, rest = done.stdout.partition("\n")
    assert (newline, rest) == ("\n", ""), done.stdout
    assert token.count(".") == 2
    assert " " not in token
    assert (data / "jwt-signing.key").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "var").exists()
    principal = TokenVerifier(ApiSettings(data_dir=data, _env_file=None)).verify(token)
    assert (principal.user_id, principal.display_name, principal.role) == (
        "cw-42",
        "Casey Worker",
        Role.CASEWORKER,
    )
    assert (principal.organisation, principal.team) == ("Council", "east")


@pytest.mark.parametrize("role", ["system", "overlord", ""])
def test_a_bad_role_is_bad_usage(tmp_path: Path, role: str) -> None:
    done = run(
        tmp_path, "token", "--user", "u", "--role", role, "--org", "Council",
        ASB_DATA_DIR=str(tmp_path / "data"),
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, ""), done
    assert done.stderr.count("\n") == 1
    assert "--role must be one of" in done.stderr
    assert not (tmp_path / "data").exists()


def test_a_missing_option_is_bad_usage(tmp_path: Path) -> None:
    done = run(tmp_path, "token", "--user", "u", "--role", "dpo", ASB_DATA_DIR=str(tmp_path))
    assert (done.returncode, done.stdout) == (2, ""), done


def test_no_minting_when_an_identity_provider_is_configured(tmp_path: Path) -> None:
    pem = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (tmp_path / "idp.pem").write_bytes(pem)
    args = ("token", "--user", "u", "--role", "admin", "--org", "Council")
    for env in (
        {"ASB_JWT_PUBLIC_KEY_FILE": str(tmp_path / "idp.pem")},
        {"ASB_JWT_JWKS_URL": "https://idp.example/jwks", "ASB_JWT_PUBLIC_KEY_FILE": "x.pem"},
    ):
        done = run(tmp_path, *args, ASB_DATA_DIR=str(tmp_path / "data"), **env)
        assert (done.returncode, done.stdout) == (2, ""), done
        assert done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "data").exists()


def test_the_command_in_process_honours_minutes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("ASB_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    # structlog would keep the runner's stderr, closed once it returns, for later tests.
    monkeypatch.setattr("api.cli.app.configure_logging", lambda fmt: None)
    result = CliRunner().invoke(
        app,
        ["token", "--user", "au-1", "--role", "auditor", "--org", "Council", "--minutes", "5"],
        env={"ASB_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    principal = TokenVerifier(ApiSettings(data_dir=tmp_path)).verify(token)
    assert principal.role is Role.AUDITOR
    body = jwt.decode(token, options={"verify_signature": False})
    assert body["exp"] - body["iat"] == 5 * 60


def test_the_command_mints_no_token_longer_than_the_longest_lifetime(tmp_path: Path) -> None:
    args = ("token", "--user", "u", "--role", "dpo", "--org", "Council")
    data = {"ASB_DATA_DIR": str(tmp_path / "data")}
    done = run(tmp_path, *args, "--minutes", "721", **data)
    assert (done.returncode, done.stdout) == (2, ""), done
    assert done.stderr.count("\n") == 1, done.stderr
    assert "at most 720" in done.stderr
    longest = run(tmp_path, *args, "--minutes", "720", **data)
    assert longest.returncode == 0, longest
    body = jwt.decode(longest.stdout.strip(), options={"verify_signature": False})
    assert body["exp"] - body["iat"] == 720 * 60
    shorter = run(tmp_path, *args, ASB_JWT_MAX_TOKEN_LIFETIME_MINUTES="30", **data)
    assert shorter.returncode == 0, shorter
    body = jwt.decode(shorter.stdout.strip(), options={"verify_signature": False})
    assert body["exp"] - body["iat"] == 30 * 60  # not the default 480: within the longest


def test_a_partners_token_names_a_registered_signatory(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    refused = run(
        tmp_path, "token", "--user", "pc-1", "--role", "partner",
        "--org", "staffordshire-police", ASB_DATA_DIR=data,
    )  # fmt: skip
    assert refused.returncode == 2, refused
    assert (refused.stdout, refused.stderr.count("\n")) == ("", 1)
    assert "no organisation staffordshire-police is registered" in refused.stderr
    assert run(tmp_path, "demo", ASB_DATA_DIR=data).returncode == 0
    minted = run(
        tmp_path, "token", "--user", "pc-1", "--role", "partner",
        "--org", "staffordshire-police", ASB_DATA_DIR=data,
    )  # fmt: skip
    assert minted.returncode == 0, minted
    principal = TokenVerifier(ApiSettings(data_dir=Path(data), _env_file=None)).verify(
        minted.stdout.strip()
    )
    assert (principal.role, principal.organisation) == (Role.PARTNER, "staffordshire-police")
    by_name = run(
        tmp_path, "token", "--user", "pc-1", "--role", "partner",
        "--org", "Staffordshire Police", ASB_DATA_DIR=data,
    )  # fmt: skip
    assert by_name.returncode == 2
    assert "not an organisation id" in by_name.stderr
