"""The raw baseline for ``bench.http``: a minimal FastAPI app that does one raw insert per request.

It runs under uvicorn with the same settings as ``asb-ledger serve`` (one worker, the
same host, no access log, log level ``warning``, no proxy headers) and, like the product's
routes, its routes are plain ``def`` functions run in the server's thread pool. Its
configuration comes from one environment variable, ``BENCH_HTTP_BASELINE`` (JSON), which
``bench.http`` fills with sizes it read back from the product's own store:

- ``store``: ``"sqlite"`` (a file: one connection in autocommit, WAL, guarded by a lock, as
  the product's SQLite writer is) or ``"postgres"`` (a psycopg pool of 2 connections, the
  product's default pool size, in autocommit, with a prepared ``INSERT ... RETURNING``);
- ``rows``: for each kind (``opened``, ``incident``, ``access``) the ``[topic, bytes]`` of the
  product's stored event, so each insert writes a row of exactly that size into a table
  of the library's layout;
- ``replies``: for each route the size of the product's response body, padded to match.

Routes: ``POST /raw/{kind}/{item_id}`` takes a JSON body (one string; the client pads it
to the product's body size), inserts one row of ``kind`` and answers 201; ``GET
/raw/access/{item_id}`` inserts one row of the access record's size and answers 200; ``GET
/rows/{n}`` selects one stored row by primary key and answers 200 with it.

Run it as ``python -m bench.baseline_app --host H --port P``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Path
from fastapi.responses import Response
from pydantic import BaseModel

ENV = "BENCH_HTTP_BASELINE"
SEEDED = 50
"""Rows written at start-up for ``GET /rows/{n}`` to select (``n`` in ``0 .. SEEDED-1``)."""
SEED_NAMESPACE = uuid.UUID("6a1c5a52-3b8e-4e35-9a0a-0f4c2b8d5e11")


def seed_id(n: int) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"seed-{n}")


class Payload(BaseModel):
    """The request body: one string, padded by the client to the product's body size."""

    data: str


Insert = Callable[[uuid.UUID, str, bytes], int]
Select = Callable[[uuid.UUID], tuple[str, bytes]]


def _sqlite(path: str) -> tuple[Insert, Select, Callable[[], None]]:
    """One connection, autocommit, WAL, serialised by a lock (as ``ledger.sqliterecorder``)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS raw_events (originator_id TEXT, originator_version INTEGER,"
        " topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID"
    )
    lock = threading.Lock()

    def insert(item: uuid.UUID, topic: str, state: bytes) -> int:
        with lock:
            conn.execute("INSERT INTO raw_events VALUES (?, ?, ?, ?)", (item.hex, 1, topic, state))
        return 1

    def select(item: uuid.UUID) -> tuple[str, bytes]:
        with lock:
            row = conn.execute(
                "SELECT topic, state FROM raw_events WHERE originator_id = ?"
                " AND originator_version = 1",
                (item.hex,),
            ).fetchone()
        return row[0], row[1]

    return insert, select, conn.close


def _postgres(conninfo: str, schema: str) -> tuple[Insert, Select, Callable[[], None]]:
    """A pool of 2 connections (the product's default), autocommit, prepared statements."""
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool

    from bench.common import pg_raw_insert_statement, pg_raw_table

    with psycopg.connect(conninfo, autocommit=True) as setup:
        pg_raw_table(setup, schema, "raw_events")
        insert_sql = pg_raw_insert_statement(schema, "raw_events").as_bytes(setup)
        select_sql = (
            sql.SQL(
                "SELECT topic, state FROM {} WHERE originator_id = %s AND originator_version = 1"
            )
            .format(sql.Identifier(schema, "raw_events"))
            .as_bytes(setup)
        )
    pool: ConnectionPool[Any] = ConnectionPool(
        conninfo, min_size=2, max_size=2, kwargs={"autocommit": True}, open=True
    )
    pool.wait()

    def insert(item: uuid.UUID, topic: str, state: bytes) -> int:
        with pool.connection() as conn:
            row = conn.execute(insert_sql, (item, 1, topic, state), prepare=True).fetchone()
        return int(row[0])

    def select(item: uuid.UUID) -> tuple[str, bytes]:
        with pool.connection() as conn:
            row = conn.execute(select_sql, (item,), prepare=True).fetchone()
        return str(row[0]), bytes(row[1])

    return insert, select, pool.close


def _padded(body: dict[str, Any], size: int) -> bytes:
    """``body`` as JSON with a ``pad`` string making it ``size`` bytes (or a little over)."""
    encoded = json.dumps(body, separators=(",", ":")).encode()
    room = size - len(encoded) - len(',"pad":""')
    if room <= 0:
        return encoded
    return json.dumps({**body, "pad": "x" * room}, separators=(",", ":")).encode()


def create_app() -> FastAPI:
    config = json.loads(os.environ[ENV])
    rows: dict[str, tuple[str, int]] = {k: (v[0], int(v[1])) for k, v in config["rows"].items()}
    replies: dict[str, int] = {k: int(v) for k, v in config["replies"].items()}
    states = {kind: os.urandom(size) for kind, (_, size) in rows.items()}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if config["store"] == "sqlite":
            insert, select, close = _sqlite(config["sqlite_path"])
        else:
            insert, select, close = _postgres(config["conninfo"], config["schema"])
        topic, _ = rows["incident"]
        for n in range(SEEDED):  # a fresh table each time
            insert(seed_id(n), topic, states["incident"])
        app.state.insert, app.state.select = insert, select
        try:
            yield
        finally:
            close()

    app = FastAPI(title="bench baseline", lifespan=lifespan)

    def reply(body: dict[str, Any], route: str, status: int) -> Response:
        return Response(_padded(body, replies[route]), status, media_type="application/json")

    @app.post("/raw/{kind}/{item_id}", status_code=201)
    def insert_row(kind: str, item_id: uuid.UUID, body: Payload) -> Response:
        topic, _ = rows[kind]
        item = uuid.uuid4()
        position = app.state.insert(item, topic, states[kind])
        return reply(
            {"id": str(item), "for": str(item_id), "version": 1, "position": position},
            kind,
            201,
        )

    @app.get("/raw/access/{item_id}")
    def insert_access(item_id: uuid.UUID) -> Response:
        topic, _ = rows["access"]
        position = app.state.insert(uuid.uuid4(), topic, states["access"])
        return reply({"id": str(item_id), "version": 1, "position": position}, "read", 200)

    @app.get("/rows/{n}")
    def select_row(n: int = Path(ge=0, lt=SEEDED)) -> Response:
        topic, state = app.state.select(seed_id(n))
        body = {"id": str(seed_id(n)), "topic": topic, "state": base64.b64encode(state).decode()}
        return reply(body, "read", 200)

    return app


def main(argv: list[str] | None = None) -> None:
    """Serves the app with the same uvicorn settings as ``asb-ledger serve``."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.baseline_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.baseline_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
