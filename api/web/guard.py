"""The policy for the pages: who is signed in (from the session), then the same ``decide``
as the API (``api.policy.admit``), and CSRF on every form.

A page without a session (or whose session has ended, or whose token has expired) sends
the person to sign in and back; a refusal is recorded as an access and shown as a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import Depends, Request

from api.auth import Unauthenticated
from api.policy import Action, Guard, admit
from api.principal import Principal
from api.web.session import CSRF_FIELD, CSRF_HEADER, Sessions


class SignInRequired(Exception):
    """No usable session: the person is sent to sign in, then back to ``next``."""

    def __init__(self, next_path: str, reason: str) -> None:
        super().__init__(reason)
        self.next_path = next_path
        self.reason = reason

    @property
    def location(self) -> str:
        return f"/app/sign-in?next={quote(self.next_path, safe='/')}"


class CsrfRefused(Exception):
    """A form without a valid CSRF token: refused (403) before anything is done."""


def signed_in(request: Request) -> Principal:
    """The person the session names, verified as the API verifies a bearer token."""
    sessions: Sessions = request.app.state.web_sessions
    session = sessions.read(request)
    back = request.url.path if request.method == "GET" else "/app"
    if session is None:
        raise SignInRequired(back, "no session")
    try:
        principal: Principal = request.app.state.verifier.verify(session.token)
    except Unauthenticated as refused:
        raise SignInRequired(back, refused.reason) from None
    request.state.web_session = session
    return principal


def page_guard(action: Action) -> Callable[..., Awaitable[Guard]]:
    """The dependency every page declares, as ``authorize`` is for the API's routes."""

    async def dependency(request: Request) -> Guard:
        return await admit(request, signed_in(request), action)

    dependency.__policy__ = action  # type: ignore[attr-defined]
    return dependency


async def csrf_checked(request: Request) -> None:
    """Every POST under /app presents the CSRF token of its form (or header, for htmx)."""
    sessions: Sessions = request.app.state.web_sessions
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not sessions.csrf_valid(request, given):
        raise CsrfRefused()


Csrf = Depends(csrf_checked)
"""For a page's POST route: ``dependencies=[Csrf]``."""
