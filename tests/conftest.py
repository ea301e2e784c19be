"""Shared fixtures: one ledger fixture parametrised over SQLite and PostgreSQL.

PostgreSQL tests are skipped, loudly, when no server answers; with
ASB_REQUIRE_POSTGRES=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import structlog
from psycopg import sql

import api.logs
from ledger.application import CaseLedger
from ledger.settings import Settings

PG_URL = os.environ.get("ASB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ASB_REQUIRE_POSTGRES", "") not in {"", "0", "false", "no"}
_pg_state: dict[str, str | None] = {}


def pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    if "reason" not in _pg_state:
        try:
            with psycopg.connect(_conninfo(PG_URL), connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _pg_state["reason"] = None
        except psycopg.Error as error:
            _pg_state["reason"] = f"no PostgreSQL at {PG_URL}: {error}".strip()
    return _pg_state["reason"]


def _conninfo(url: str) -> str:
    config = Settings(database_url=url).store()
    assert config.postgres_conninfo is not None
    return config.postgres_conninfo


def require_postgres() -> None:
    reason = pg_unavailable()
    if reason is None:
        return
    if REQUIRE_PG:
        pytest.fail(f"PostgreSQL is required (ASB_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """Each test starts from structlog's defaults: an app a test built configures logging
    for its process (even while a module is collected), which must not change what the
    next test sees. Loggers are not cached (``api.logs``), so a reset reaches them all."""
    structlog.reset_defaults()
    api.logs._configured = False
    yield
    structlog.reset_defaults()
    api.logs._configured = False


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(_conninfo(PG_URL), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def make_settings(store: str, tmp_path: Path, schema: str | None = None) -> Settings:
    if store == "sqlite":
        return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    assert schema is not None
    return Settings(data_dir=tmp_path, database_url=f"{PG_URL}?schema={schema}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    schema = request.getfixturevalue("pg_schema") if store == "postgres" else None
    return make_settings(store, tmp_path, schema)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[CaseLedger]:
    app = CaseLedger(settings)
    yield app
    app.close()


@pytest.fixture
def memory_ledger() -> Iterator[CaseLedger]:
    app = CaseLedger(Settings(database_url="memory://"))
    yield app
    app.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    browsers = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if "browser tests skipped" in str(r.longrepr)
    ]
    if browsers:
        terminalreporter.write_line(
            f"!!! {len(browsers)} browser tests were SKIPPED: no Chromium at /usr/bin/chromium"
            " (apt-get install -y chromium). Set ASB_REQUIRE_BROWSER=1 to fail instead. !!!",
            red=True,
            bold=True,
        )
    skipped = [
        r for r in terminalreporter.stats.get("skipped", []) if "PostgreSQL" in str(r.longrepr)
    ]
    if skipped:
        terminalreporter.write_line(
            f"!!! {len(skipped)} PostgreSQL tests were SKIPPED: no server reachable at {PG_URL}."
            " Set ASB_TEST_POSTGRES_URL, or ASB_REQUIRE_POSTGRES=1 to fail instead. !!!",
            red=True,
            bold=True,
        )
