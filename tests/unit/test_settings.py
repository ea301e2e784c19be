"""ASB_DATABASE_URL is translated into the library's settings, and nothing else is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.settings import Settings


def test_default_is_sqlite_in_the_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASB_DATABASE_URL", raising=False)
    monkeypatch.setenv("ASB_DATA_DIR", "/tmp/asb-data")
    config = Settings().store()
    assert config.kind == "sqlite"
    assert config.library_env == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": "/tmp/asb-data/ledger.sqlite3",
    }
    assert Settings().master_key_path == Path("/tmp/asb-data/master.key")


def test_postgres_url_becomes_postgres_settings() -> None:
    config = Settings(
        database_url="postgresql://asb:s%40cret@db.internal:6543/ledger?schema=asb"
    ).store()
    assert config.kind == "postgres"
    env = config.library_env
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.internal",
        "6543",
        "ledger",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("asb", "s@cret")
    assert env["POSTGRES_SCHEMA"] == "asb"


def test_postgres_password_key_is_present_even_when_empty() -> None:
    env = Settings(database_url="postgresql://root@127.0.0.1/test").store().library_env
    assert env["POSTGRES_PASSWORD"] == ""
    assert env["POSTGRES_SCHEMA"] == "public"


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite://", "postgresql://host/"])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="ASB_DATABASE_URL"):
        Settings(database_url=url).store()


def test_the_connection_string_is_quoted_not_concatenated() -> None:
    config = Settings(database_url="postgresql://asb:x%20sslmode%3Ddisable@db/my%20db").store()
    from psycopg.conninfo import conninfo_to_dict

    assert config.postgres_conninfo is not None
    assert conninfo_to_dict(config.postgres_conninfo) == {
        "host": "db",
        "port": "5432",
        "dbname": "my db",
        "user": "asb",
        "password": "x sslmode=disable",
    }


def test_options_other_than_schema_are_refused_not_dropped() -> None:
    with pytest.raises(ValueError, match="PGSSLMODE"):
        Settings(database_url="postgresql://asb@db/ledger?sslmode=require").store()


def test_stray_library_settings_in_the_environment_are_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ledger.application import CaseLedger

    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.popo")
    monkeypatch.setenv("CASELEDGER_PERSISTENCE_MODULE", "eventsourcing.popo")
    ledger = CaseLedger(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/l.db"))
    try:
        assert type(ledger.recorder).__module__ == "ledger.sqliterecorder"
    finally:
        ledger.close()
