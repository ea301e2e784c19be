"""Signing in and out, and the home page that sends each person to their own first page.

On the embedded default the sign-in page offers the demo users (as ``make run`` prints
their tokens); with an identity provider it offers only the provider's sign-in.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.auth import mint_token
from api.demo import DEMO_USERS
from api.policy import Action, Guard, authorize
from api.settings import ApiSettings
from api.web.guard import Csrf, page_guard
from api.web.rendering import home_for, page
from api.web.session import Sessions
from ledger.values import Actor

router = APIRouter(include_in_schema=False)

Public = Annotated[Guard, Depends(authorize(Action.PUBLIC))]
SignedIn = Annotated[Guard, Depends(page_guard(Action.SIGNED_IN))]


def safe_next(given: str | None) -> str | None:
    """A page of this service to go back to after signing in; anything else is dropped."""
    if not given or not given.startswith("/app") or given.startswith("//"):
        return None
    if any(c in given for c in "\\\r\n"):
        return None
    return given


@router.get("/app/sign-in", name="web.sign_in")
def sign_in_page(request: Request, guard: Public, next: str | None = None) -> Response:
    return _sign_in(request, next, ended=request.query_params.get("ended") == "1")


def _sign_in(
    request: Request, next: str | None, *, ended: bool = False, refused: bool = False
) -> Response:
    """The sign-in page: the identity provider's button where one is configured, the demo
    users on the embedded default; ``refused`` when no demo user was chosen."""
    settings: ApiSettings = request.app.state.settings
    context = _context(request, next, ended=ended)
    if not refused:
        return page(request, "sign_in.html", context)
    errors = [{"field": "user", "text": "Choose who to sign in as"}]
    status = 422 if settings.dev_sign_in else 404
    return page(request, "sign_in.html", {**context, "errors": errors}, status=status)


def _context(request: Request, next: str | None, *, ended: bool = False) -> dict[str, Any]:
    settings: ApiSettings = request.app.state.settings
    return {
        "users": DEMO_USERS if settings.dev_sign_in else (),
        "oidc": getattr(request.app.state, "oidc", None) is not None,
        "next": safe_next(next),
        "ended": ended,
    }


def sign_in_refused(
    request: Request, next: str | None, status: int, text: str, detail: str | None = None
) -> Response:
    """The sign-in page again, saying why signing in did not work (no field to point to)."""
    errors = [{"text": text, "detail": detail}]
    return page(
        request, "sign_in.html", {**_context(request, next), "errors": errors}, status=status
    )


@router.post("/app/sign-in", name="web.sign_in.dev", dependencies=[Csrf])
def dev_sign_in(
    request: Request,
    guard: Public,
    user: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The development sign-in: a token for the chosen demo user, in a new session."""
    settings: ApiSettings = request.app.state.settings
    chosen = next_user(user) if settings.dev_sign_in else None
    if chosen is None:
        return _sign_in(request, next, refused=True)
    token = mint_token(
        settings,
        user=chosen.user_id,
        role=chosen.role,
        org=chosen.organisation,
        team=chosen.team,
        name=chosen.display_name,
    )
    principal = request.app.state.verifier.verify(token)
    response = RedirectResponse(safe_next(next) or home_for(principal), status_code=303)
    sessions: Sessions = request.app.state.web_sessions
    sessions.start(request, response, token)
    return response


def next_user(user_id: str) -> Actor | None:
    return next((u for u in DEMO_USERS if u.user_id == user_id), None)


@router.post("/app/sign-out", name="web.sign_out", dependencies=[Csrf])
def sign_out(request: Request, guard: Public) -> Response:
    response = RedirectResponse("/app/sign-in?ended=1", status_code=303)
    sessions: Sessions = request.app.state.web_sessions
    sessions.end(request, response)
    return response


@router.get("/app", name="web.home")
async def home(request: Request, guard: SignedIn) -> Response:
    return RedirectResponse(home_for(guard.caller), status_code=303)


@router.get("/app/signed-in", name="web.signed_in")
async def signed_in_page(request: Request, guard: SignedIn) -> Response:
    """For a role with no pages of its own (an admin, an analyst): who they are."""
    return await run_in_threadpool(page, request, "signed_in.html", principal=guard.caller)
