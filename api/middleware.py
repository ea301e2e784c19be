"""One structlog line and the metrics for every request, with a request id echoed back.

A plain ASGI middleware (no ``BaseHTTPMiddleware``): it adds one header and reads the
status, and costs far less per request."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("api")

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
"""Every response's Content Security Policy: nothing from another host, no inline script
or style, never framed, forms only to this service."""
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
    " worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
"""For Swagger UI and ReDoc alone: still nothing from another host, but the two viewers
set inline styles and data: images, and ReDoc searches in a blob: worker."""
DOCS = frozenset({"/docs", "/redoc"})
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), *_COMMON]
DOCS_HEADERS = [(b"content-security-policy", DOCS_CSP.encode()), *_COMMON]


class RequestLog:
    """Logs request id, actor, route, case id, status and duration; never bodies or
    query values, which may carry personal data."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = _header(scope, b"x-request-id")
        request_id = given if given and _SAFE_ID.match(given) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(DOCS_HEADERS if scope["path"] in DOCS else SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            case_id = state.get("case_id") or _uuid(scope.get("path_params", {}).get("case_id"))
            self.metrics.request(route, scope["method"], status, seconds)
            log.info(
                "request",
                request_id=request_id,
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
                actor=state.get("actor"),
                case_id=case_id,
                denied=state.get("denied"),
            )


def _uuid(value: Any) -> str | None:
    """A path's case id, only if it is one: a raw path segment could carry anything."""
    try:
        return str(uuid.UUID(str(value))) if value is not None else None
    except ValueError:
        return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None
