"""``asb-ledger serve`` with timers around the phases of a request, for ``bench.http``'s breakdown.

Run as ``python -m bench.http_profile --host H --port P`` with the same ``ASB_*`` environment
as the product server. Before starting the real CLI (``api.cli``'s ``serve``, unchanged) it
wraps, in this process only, the functions a request passes through (JWT verification,
loading and verifying the case, sealing, saving, the access record, the response, the log
line, each hop to the thread pool) so each call adds its wall time and its thread's CPU time
(``time.thread_time``) to a counter. It adds one route, ``GET /__bench/profile``, that
answers the counters so far (``?reset=1`` clears them). Calls made by the projection
runner's thread are not counted. Each timer costs about a microsecond.

Nested phases are inclusive: "load case" contains "select rows" and "decode + verify".
"""

from __future__ import annotations

import argparse
import functools
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

Counters = dict[str, list[float]]  # phase -> [calls, wall seconds, CPU seconds]

_lock = threading.Lock()
_counters: Counters = {}
_SKIP_THREADS = frozenset({"asb-projections"})


def _add(name: str, wall: float, cpu: float) -> None:
    with _lock:
        entry = _counters.setdefault(name, [0.0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += wall
        entry[2] += cpu


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, adding each call's wall and thread CPU time to ``name``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name in _SKIP_THREADS:
            return fn(*args, **kwargs)
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - wall, time.thread_time() - cpu)

    return wrapper


def background(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, timed only when the projection runner's own thread calls it."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name not in _SKIP_THREADS:
            return fn(*args, **kwargs)
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - wall, time.thread_time() - cpu)

    return wrapper


def timed_async(name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """An async ``fn`` timed by wall clock only (other tasks run while it awaits)."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - wall, 0.0)

    return wrapper


def _patch(owner: Any, attribute: str, name: str) -> None:
    raw = inspect.getattr_static(owner, attribute)
    if isinstance(raw, classmethod):
        setattr(owner, attribute, classmethod(timed(name, raw.__func__)))
    elif isinstance(raw, staticmethod):
        setattr(owner, attribute, staticmethod(timed(name, raw.__func__)))
    else:
        setattr(owner, attribute, timed(name, getattr(owner, attribute)))


def install() -> None:
    """Wraps the request path's phases (this process only; no file is changed)."""
    import fastapi.dependencies.utils as dependency_utils
    import fastapi.routing as routing
    from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteApplicationRecorder
    from starlette.responses import JSONResponse

    import api.app
    import api.commanding
    import api.middleware
    import api.routes.cases
    import commands.handlers
    import commands.open_case
    import commands.record_incident
    import ledger.events
    from api.access import AccessLog
    from api.auth import TokenVerifier
    from api.metrics import Metrics
    from ledger.application import CaseLedger
    from ledger.case import Case
    from ledger.keystore import KeyStore
    from ledger.pgrecorder import FastPostgresApplicationRecorder
    from ledger.sealing import Sealer
    from ledger.sqliterecorder import LeanSQLiteApplicationRecorder
    from ledger.verify import ChainMapper
    from projections.runner import ViewRunner

    _patch(TokenVerifier, "verify", "auth: JWT verify")
    _patch(CaseLedger, "get_case", "load case (get_case)")
    _patch(SQLiteAggregateRecorder, "select_events", "load: select rows")
    _patch(PostgresAggregateRecorder, "select_events", "load: select rows")
    _patch(ChainMapper, "to_domain_event", "load: decode (ChainMapper.to_domain_event)")
    _patch(ledger.events, "hash_event", "hash an event (chain check on load; new events)")
    handlers: dict[Any, Any] = commands.handlers.HANDLERS  # type: ignore[assignment]
    for command, name in (
        (commands.record_incident.RecordIncident, "handler (record_incident.handle)"),
        (commands.open_case.OpenCase, "handler (open_case.handle)"),
    ):
        handlers[command] = timed(name, handlers[command])
    _patch(CaseLedger, "prepare_opening", "open: reserve reference + keys (commit)")
    _patch(Sealer, "seal", "seal a field (AES-GCM)")
    _patch(KeyStore, "aead_for_sealing", "key for sealing")
    _patch(KeyStore, "aead_for_reading", "key for reading")
    _patch(Case, "record_incident", "build the event (Case.record_incident)")
    _patch(Case, "open", "build the events (Case.open)")
    _patch(CaseLedger, "save", "save (Application.save)")
    _patch(ChainMapper, "to_stored_event", "save: encode (to_stored_event)")
    _patch(LeanSQLiteApplicationRecorder, "insert_events", "save: insert (recorder)")
    _patch(FastPostgresApplicationRecorder, "insert_events", "save: insert (recorder)")
    _patch(AccessLog, "record", "access record (AccessLog.record)")
    _patch(api.routes.cases, "render", "render the case view")
    _patch(api.commanding.Commands, "_answer", "receipt response")
    _patch(JSONResponse, "render", "response JSON (render)")
    _patch(Metrics, "request", "metrics")
    _patch(Metrics, "command", "metrics")
    runner = "projection runner (its own thread)"
    for owner, attribute in (
        (ViewRunner, "head"),
        (ViewRunner, "_deliver_or_back_off"),
        (SQLiteApplicationRecorder, "select_notifications"),
        (PostgresApplicationRecorder, "select_notifications"),
    ):
        setattr(owner, attribute, background(runner, getattr(owner, attribute)))
    dependency_utils.request_body_to_args = timed_async(  # type: ignore[assignment]
        "body validation (pydantic)", dependency_utils.request_body_to_args
    )
    api.middleware.log = _TimedLog(api.middleware.log)
    api.middleware.RequestLog.__call__ = _timed_request(  # type: ignore[method-assign,assignment]
        api.middleware.RequestLog.__call__
    )
    for module in (routing, dependency_utils):
        module.run_in_threadpool = _timed_hop(module.run_in_threadpool)  # type: ignore[attr-defined]

    create = api.app.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = create(*args, **kwargs)

        @app.get("/__bench/profile", include_in_schema=False)
        async def profile(reset: bool = False) -> dict[str, list[float]]:
            with _lock:
                found = {name: list(entry) for name, entry in _counters.items()}
                if reset:
                    _counters.clear()
            return found

        return app

    api.app.create_app = create_app


class _TimedLog:
    """The middleware's logger, with its ``info`` (the per-request line) timed."""

    def __init__(self, log: Any) -> None:
        self._log = log
        self.info = timed("request log line (structlog JSON)", log.info)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


def _timed_request(call: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    async def wrapper(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or str(scope.get("path", "")).startswith("/__bench"):
            await call(self, scope, receive, send)
            return
        wall = time.perf_counter()
        try:
            await call(self, scope, receive, send)
        finally:
            _add("request, server side (middleware in to out)", time.perf_counter() - wall, 0.0)

    return wrapper


def _timed_hop(run: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A hop to the thread pool: its wall time less the function's own, i.e. the hop's cost."""

    async def wrapper(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        inner = [0.0]

        def measured() -> Any:
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                inner[0] = time.perf_counter() - t0

        wall = time.perf_counter()
        try:
            return await run(measured)
        finally:
            _add("thread-pool hop (dispatch + return)", time.perf_counter() - wall - inner[0], 0.0)

    return wrapper


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_profile")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    install()
    from api.cli.app import app

    app(["serve", "--host", args.host, "--port", str(args.port)], standalone_mode=False)


if __name__ == "__main__":
    main()
