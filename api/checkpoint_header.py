"""The latest signed checkpoint on every response to a partner, so that outside parties can
hold the ledger to it: ``X-Ledger-Checkpoint: <base64 of the signed note>``, and
``X-Ledger-Alarm: notary-stopped`` while the notary has stopped on an alarm.

A plain ASGI middleware like ``RequestLog``. The role is known once the policy dependency
has run (``request.state.role``), so it is read when the response starts. The checkpoint is
read from the notary's tables at most about once a ``ttl`` (in a worker thread), and a
failed read never fails the request: the header is left out, or the last one known sent."""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.enums import Role
from projections.notary import Notary

CHECKPOINT_HEADER = "X-Ledger-Checkpoint"
ALARM_HEADER = "X-Ledger-Alarm"
ALARM_VALUE = "notary-stopped"

log = structlog.get_logger("api")


@dataclass(frozen=True)
class Latest:
    """What partners are told: the latest note (base64), if any, and whether it stopped."""

    note: bytes | None
    alarmed: bool

    def headers(self) -> list[tuple[bytes, bytes]]:
        found = [] if self.note is None else [(CHECKPOINT_HEADER.lower().encode(), self.note)]
        if self.alarmed:
            found.append((ALARM_HEADER.lower().encode(), ALARM_VALUE.encode()))
        return found


def read_latest(notary: Notary | None) -> Latest:
    """The notary's latest checkpoint and alarm state, from its committed tables."""
    if notary is None:
        return Latest(None, False)
    signed = notary.latest_checkpoint()
    note = None if signed is None else base64.b64encode(signed.note.encode("utf-8"))
    return Latest(note, bool(notary.active_alarms()))


class LatestCheckpoint:
    """``read_latest`` again once ``ttl`` seconds have passed, by one request at a time;
    the others (and every request after a failed read, until the next ``ttl``) get what
    was known."""

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._known = Latest(None, False)
        self._read_at = float("-inf")
        self._reading = threading.Lock()

    async def get(self, notary: Notary | None) -> Latest:
        if time.monotonic() - self._read_at < self.ttl or not self._reading.acquire(False):
            return self._known
        try:
            self._known = await run_in_threadpool(read_latest, notary)
        except Exception as error:  # the store may be down: the request goes on without
            log.warning(
                "checkpoint_header.unavailable",
                error=type(error).__name__,
                sqlstate=getattr(error, "sqlstate", None),
            )
        finally:
            self._read_at = time.monotonic()
            self._reading.release()
        return self._known


class CheckpointHeader:
    """Adds the partners' checkpoint headers to every response whose caller is a partner."""

    def __init__(self, app: ASGIApp, ttl: float = 1.0) -> None:
        self.app = app
        self.latest = LatestCheckpoint(ttl)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_checkpoint(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_partner(scope):
                extra = await self._headers(scope)
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_checkpoint)

    async def _headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        try:
            models = getattr(scope["app"].state, "read_models", None)
            latest = await self.latest.get(None if models is None else models.notary)
            return latest.headers()
        except Exception as error:  # never fail a response for a header
            log.warning("checkpoint_header.failed", error=type(error).__name__)
            return []


def _is_partner(scope: Scope) -> bool:
    state: Any = scope.get("state") or {}
    return isinstance(state, dict) and state.get("role") == Role.PARTNER.value
