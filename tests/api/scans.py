"""Looking for personal data where it must not be: the store's files, its PostgreSQL rows and
``pg_dump``, the logs (captured and rendered), and any text a test collects."""

from __future__ import annotations

import binascii
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import structlog
from psycopg import sql
from structlog.testing import capture_logs
from structlog.typing import EventDict, WrappedLogger

import api.logs
from api.settings import ApiSettings

_BYTEA = re.compile(rb"\\\\?x((?:[0-9a-f]{2})+)")


@contextmanager
def logging_restored() -> Iterator[None]:
    """Puts structlog back to its defaults after building an app (which configures it)."""
    try:
        yield
    finally:
        structlog.reset_defaults()
        api.logs._configured = False


@contextmanager
def logs_captured_and_rendered() -> Iterator[list[EventDict]]:
    """The structlog events as dicts (``capture_logs``), each also rendered to stderr by the
    processors configured now: both forms of one run's logs."""
    configured = list(structlog.get_config()["processors"])

    def render(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        line: object = dict(event)
        for processor in configured:
            line = processor(logger, method, line)
        sys.stderr.write(f"{line}\n")
        return event

    with capture_logs(processors=[render]) as logs:
        yield logs


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, by its relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def postgres_rows(settings: ApiSettings) -> dict[str, bytes]:
    """Every row of every table in the test's schema, as text, and bytea columns raw."""
    config = settings.store()
    assert config.postgres_conninfo is not None
    schema = config.postgres_schema
    dump: dict[str, bytes] = {}
    with psycopg.connect(config.postgres_conninfo) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        for table in tables:
            qualified = sql.Identifier(schema, table)
            rows = conn.execute(sql.SQL("SELECT t::text FROM {} t").format(qualified)).fetchall()
            dump[table] = "\n".join(str(r[0]) for r in rows).encode()
            binary = [
                name
                for (name,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = %s AND table_name = %s AND data_type = 'bytea'",
                    (schema, table),
                )
            ]
            for column in binary:
                values = conn.execute(
                    sql.SQL("SELECT {} FROM {}").format(sql.Identifier(column), qualified)
                ).fetchall()
                dump[f"{table}.{column}"] = b"\n".join(bytes(v[0]) for v in values if v[0])
    assert tables, f"no tables in schema {schema}"
    return dump


def pg_dump(settings: ApiSettings) -> dict[str, bytes]:
    """``pg_dump`` of the test's schema (definitions and data); and, since the dump writes
    bytea values in hex, every one of them decoded, so that bytes stored in the clear are
    seen as such."""
    config = settings.store()
    assert config.postgres_conninfo is not None
    assert config.postgres_schema
    done = subprocess.run(
        ["pg_dump", "--no-password", "--schema", config.postgres_schema, config.postgres_conninfo],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"COPY " in done.stdout, "pg_dump wrote no data"
    decoded = [binascii.unhexlify(run) for run in _BYTEA.findall(done.stdout)]
    return {"pg_dump": done.stdout, "pg_dump (bytea decoded)": b"\n".join(decoded)}


def stored(store: str, settings: ApiSettings) -> dict[str, bytes]:
    """What the store holds, by where: every file in the data directory (the SQLite database,
    its -wal and -shm, keys, anything written there) and on PostgreSQL every table's rows."""
    raw = files(settings.data_dir)
    if store == "sqlite":
        assert any(name.endswith(".sqlite3") for name in raw), sorted(raw)
    else:
        raw |= {f"postgres:{name}": data for name, data in postgres_rows(settings).items()}
    return raw


def leaks(canaries: Iterable[str], raw: dict[str, bytes]) -> dict[str, list[str]]:
    """The canaries found in each of ``raw``'s places (ignoring case), where any are."""
    wanted = {c: c.lower().encode() for c in canaries}
    found = {
        where: sorted(c for c, needle in wanted.items() if needle in data.lower())
        for where, data in raw.items()
    }
    return {where: names for where, names in found.items() if names}


def absent(canaries: Iterable[str], text: str, where: str) -> None:
    lowered = text.lower()
    found = sorted(c for c in canaries if c.lower() in lowered)
    assert not found, f"personal data in {where}: {found}"


def present(canaries: Iterable[str], text: str, where: str) -> None:
    missing = sorted(c for c in canaries if c not in text)
    assert not missing, f"{where} should show (control): {missing}"
