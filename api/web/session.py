"""Web sessions and CSRF tokens, kept in signed cookies so that no server holds state.

A session cookie carries the bearer token the person signed in with (a development token,
or the identity provider's access token), so every page decides who is calling exactly as
the API does: the same verifier, the same claims. The cookie is signed (itsdangerous, with
a secret in the data directory) and ends after ``ASB_WEB_SESSION_IDLE_MINUTES`` without a
page, or when its token expires, whichever is first.

CSRF: a random value in its own cookie (``HttpOnly``, ``SameSite=Strict``); every form
carries an HMAC of it under the secret, and every POST under ``/app`` must present it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.settings import ApiSettings

SESSION_COOKIE = "asb_session"
CSRF_COOKIE = "asb_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
COOKIE_PATH = "/app"


def session_secret(settings: ApiSettings) -> bytes:
    """The secret that signs the web cookies: 32 random bytes, created 0600 on first use."""
    path = settings.web_session_key_path
    if not path.exists():
        _create_secret(path)
    secret = path.read_bytes()
    if len(secret) < 32:
        raise ValueError(f"{path} holds fewer than 32 bytes; delete it to make a new one")
    return secret


def _create_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        draft.unlink(missing_ok=True)


@dataclass(frozen=True)
class Session:
    """A signed-in person's session: their token and an id that names the session."""

    token: str
    session_id: str


class Sessions:
    """Reads and writes the session and CSRF cookies of the web pages."""

    def __init__(self, settings: ApiSettings) -> None:
        self._settings = settings
        self.idle_seconds = settings.web_session_idle_minutes * 60

    @cached_property
    def secret(self) -> bytes:
        """Read (or made) on first use, so that building the app touches no file."""
        return session_secret(self._settings)

    @cached_property
    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="asb-ledger.web.session")

    # --------------------------------------------------------------------- sessions

    def read(self, request: Request) -> Session | None:
        """The request's session, unless it is absent, tampered with or idle too long."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._signer.loads(raw, max_age=self.idle_seconds)
        except BadSignature:  # SignatureExpired is one: an idle session has ended
            return None
        if not isinstance(data, dict):
            return None
        token, session_id = data.get("t"), data.get("s")
        if not isinstance(token, str) or not isinstance(session_id, str):
            return None
        return Session(token=token, session_id=session_id)

    def start(self, request: Request, response: Response, token: str) -> Session:
        """Signs a person in: a new session id (and a new CSRF value) for their token."""
        session = Session(token=token, session_id=secrets.token_urlsafe(16))
        self.keep(request, response, session)
        self.new_csrf(request, response)
        return session

    def keep(self, request: Request, response: Response, session: Session) -> None:
        """Re-signs the session, so that its idle time starts again from this page."""
        value = self._signer.dumps({"t": session.token, "s": session.session_id})
        _set(request, response, SESSION_COOKIE, value, self.idle_seconds)

    def end(self, request: Request, response: Response) -> None:
        """Signs out: both cookies are cleared."""
        secure = _secure(request)
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            response.delete_cookie(
                name, path=COOKIE_PATH, secure=secure, httponly=True, samesite="strict"
            )

    # ------------------------------------------------------------------------ CSRF

    def csrf_seed(self, request: Request) -> str | None:
        seed = request.cookies.get(CSRF_COOKIE)
        return seed if seed and len(seed) <= 64 else None

    def csrf_for(self, request: Request) -> tuple[str, bool]:
        """The CSRF value a page's forms are bound to, and whether it is new (to be set
        as a cookie with the page): the one this request set, or its cookie's, or new."""
        seed = getattr(request.state, "csrf_seed", None) or self.csrf_seed(request)
        if seed is not None:
            return seed, False
        seed = secrets.token_urlsafe(32)
        request.state.csrf_seed = seed
        return seed, True

    def set_csrf(self, request: Request, response: Response, seed: str) -> None:
        _set(request, response, CSRF_COOKIE, seed, None)

    def new_csrf(self, request: Request, response: Response) -> str:
        """A new CSRF value (at sign-in, so none from before it survives)."""
        seed = secrets.token_urlsafe(32)
        self.set_csrf(request, response, seed)
        request.state.csrf_seed = seed
        return seed

    def csrf_token(self, seed: str) -> str:
        """What a form carries for a CSRF value: its HMAC under the secret."""
        return hmac.new(self.secret, f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, request: Request, given: str | None) -> bool:
        seed = self.csrf_seed(request)
        if seed is None or not given:
            return False
        return hmac.compare_digest(self.csrf_token(seed), given)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _set(request: Request, response: Response, name: str, value: str, age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=COOKIE_PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
