"""How the pages show what goes wrong: the API's problems as pages, sign-in as a redirect.

Every error the API answers with problem+json (``api.errors``) is shown under ``/app`` as a
page with the same status: its title, and the rule it names in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from api.web.guard import CsrfRefused, SignInRequired
from api.web.rendering import page
from api.web.rules import plain_words


def show_problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None,
    extra: Mapping[str, Any],
) -> Response:
    rule = extra.get("rule")
    response = page(
        request,
        "error.html",
        {
            "status": status,
            "title": _TITLES.get(status, title),
            "detail": detail,
            "rule": rule,
            "rule_words": plain_words(rule) if isinstance(rule, str) else None,
        },
        principal=_principal(request),
        status=status,
    )
    for name, value in (headers or {}).items():
        if name.lower() in {"retry-after", "allow"}:
            response.headers[name] = value
    return response


_TITLES = {
    400: "There is a problem with the address",
    403: "You cannot see or do this",
    404: "Page not found",
    409: "This could not be done",
    412: "Someone else changed this case",
    422: "This could not be done",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def _principal(request: Request) -> Any:
    """Who is signed in, for the header of an error page (None before the guard ran)."""
    sessions = request.app.state.web_sessions
    session = sessions.read(request)
    if session is None:
        return None
    try:
        return request.app.state.verifier.verify(session.token)
    except Exception:  # an error page never fails for want of a name in its header
        return None


def install(app: FastAPI) -> None:
    app.state.problem_page = show_problem

    @app.exception_handler(SignInRequired)
    def _sign_in(request: Request, error: SignInRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": error.location})
        return RedirectResponse(error.location, status_code=303)

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, error: CsrfRefused) -> Response:
        return page(
            request,
            "error.html",
            {
                "status": 403,
                "title": "This form has expired",
                "detail": "The form was not sent from this service, or it was open for too"
                " long. Go back, reload the page and try again.",
            },
            principal=_principal(request),
            status=403,
        )
