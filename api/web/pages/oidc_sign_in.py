"""Signing in with the council's account: off to the OpenID Connect provider (authorization
code with PKCE), and back to the callback, which starts the session on the access token.

Each refusal shows the sign-in page with what went wrong in plain words; the reason is
logged, never a token or a code.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import Unauthenticated
from api.policy import Action, Guard, authorize
from api.web.oidc import (
    CALLBACK_PATH,
    Flow,
    OidcClient,
    ProviderUnavailable,
    SignInRefused,
    error_code,
)
from api.web.pages.signin import safe_next, sign_in_refused
from api.web.rendering import home_for, page
from api.web.session import Sessions

router = APIRouter(include_in_schema=False)
log = structlog.get_logger("web.oidc")

Public = Annotated[Guard, Depends(authorize(Action.PUBLIC))]
Param = Annotated[str | None, Query(max_length=2000)]

UNAVAILABLE = (
    "The council's sign-in service cannot be reached",
    "Try again in a few minutes. If it goes on, tell the service's administrator.",
)
START_AGAIN = (
    "Your sign-in could not be finished",
    "It took longer than 10 minutes, or it was started in another browser or tab. Sign in again.",
)
NOT_CONFIRMED = (
    "Your council account could not be confirmed",
    "The sign-in service's answer could not be checked. Sign in again; if this goes on,"
    " tell the service's administrator.",
)
NO_ACCESS = (
    "Your council account does not give you access to this service",
    "It does not say which role and organisation you have here. Ask the service's"
    " administrator to give you access.",
)
CANCELLED = (
    "You did not finish signing in with your council account",
    "Sign in again to use the service.",
)
NO_ACCESS_REASONS = frozenset(
    {
        "missing claim role",
        "missing claim org",
        "unknown role",
        "role not allowed",
        "invalid claim org",
    }
)
"""The verifier's reasons that mean the account is fine but has no role or organisation
here (``api.auth``): the person needs access, not another try."""


@router.get("/app/sign-in/oidc", name="web.sign_in.oidc")
def oidc_sign_in(
    request: Request,
    guard: Public,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Sends the person to the council's provider, with the state, the nonce and the PKCE
    challenge of a new sign-in whose verifier stays in this browser's cookie."""
    oidc: OidcClient | None = request.app.state.oidc
    if oidc is None:
        return sign_in_refused(request, None, 404, "Signing in with a council account is off")
    flow = Flow.new(oidc.redirect_uri(request), safe_next(next))
    try:
        url = oidc.authorization_url(flow)
    except ProviderUnavailable as error:
        log.warning("oidc_provider_unavailable", reason=error.reason)
        return sign_in_refused(request, safe_next(next), 503, *UNAVAILABLE)
    response = RedirectResponse(url, status_code=303)
    oidc.keep_flow(request, response, flow)
    return response


@router.get(CALLBACK_PATH, name="web.sign_in.oidc.callback")
def oidc_callback(
    request: Request,
    guard: Public,
    code: Param = None,
    state: Param = None,
    error: Param = None,
    iss: Param = None,
) -> Response:
    """Where the provider sends the person back: the state must be this browser's, the code
    is exchanged with the verifier, the ID token checked, and the access token verified as
    the API verifies one; then a new session, and a page that moves on to the one the
    person asked for (``sign_in_continue.html`` says why it is not a redirect)."""
    oidc: OidcClient | None = request.app.state.oidc
    if oidc is None:
        return sign_in_refused(request, None, 404, "Signing in with a council account is off")
    flow = oidc.read_flow(request)
    response = _finish(request, oidc, flow, code=code, state=state, error=error, iss=iss)
    oidc.end_flow(request, response)
    return response


def _finish(
    request: Request,
    oidc: OidcClient,
    flow: Flow | None,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    iss: str | None,
) -> Response:
    next_path = flow.next if flow is not None else None
    if flow is None or state is None or not hmac.compare_digest(state, flow.state):
        log.warning("oidc_sign_in_refused", reason="state does not match" if flow else "no flow")
        return sign_in_refused(request, None, 400, *START_AGAIN)
    if error is not None:
        log.info("oidc_sign_in_refused", reason="provider error", error=error_code(error))
        if error == "access_denied":
            return sign_in_refused(request, next_path, 403, *CANCELLED)
        return sign_in_refused(request, next_path, 400, *NOT_CONFIRMED)
    if iss is not None and iss != oidc.issuer:  # RFC 9207: an answer from another provider
        log.warning("oidc_sign_in_refused", reason="another issuer answered")
        return sign_in_refused(request, next_path, 400, *NOT_CONFIRMED)
    if not code:
        log.warning("oidc_sign_in_refused", reason="no code")
        return sign_in_refused(request, next_path, 400, *NOT_CONFIRMED)
    try:
        access_token = oidc.finish(flow, code)
    except ProviderUnavailable as unavailable:
        log.warning("oidc_provider_unavailable", reason=unavailable.reason)
        return sign_in_refused(request, next_path, 503, *UNAVAILABLE)
    except SignInRefused as refused:
        log.warning("oidc_sign_in_refused", reason=refused.reason)
        return sign_in_refused(request, next_path, 400, *NOT_CONFIRMED)
    try:
        principal = request.app.state.verifier.verify(access_token)
    except Unauthenticated as refused:
        log.warning("oidc_sign_in_refused", reason=f"access token: {refused.reason}")
        if refused.reason in NO_ACCESS_REASONS:
            return sign_in_refused(request, next_path, 403, *NO_ACCESS)
        if refused.reason == "key set unavailable":
            return sign_in_refused(request, next_path, 503, *UNAVAILABLE)
        return sign_in_refused(request, next_path, 400, *NOT_CONFIRMED)
    # Not a redirect: see sign_in_continue.html for why the session cookie needs a page.
    response = page(request, "sign_in_continue.html", {"next": next_path or home_for(principal)})
    sessions: Sessions = request.app.state.web_sessions
    sessions.start(request, response, access_token)
    log.info("oidc_signed_in", role=principal.role.value)
    return response
