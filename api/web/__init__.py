"""The web pages under ``/app`` (DESIGN §12): server-rendered, in the API's process, on the
same commands, policy and access records as the API.

``install`` adds the pages, their static assets (``api/web/static``, built by ``make
assets`` and kept in the repository), the local documentation pages, and how the pages show
errors. The Content Security Policy and other security headers are set for every response
by the request middleware (``api.middleware``).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from api.settings import ApiSettings
from api.web import docs, errors
from api.web.oidc import OidcClient
from api.web.pages import PAGES
from api.web.rendering import STATIC
from api.web.session import Sessions


class Assets(StaticFiles):
    """The pages' assets, cached by browsers for a day (they change only with a release)."""

    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("Cache-Control", "public, max-age=86400")
        return response


def install(app: FastAPI, settings: ApiSettings) -> None:
    app.state.web_sessions = Sessions(settings)
    app.state.oidc = OidcClient(settings, app.state.web_sessions) if settings.oidc_enabled else None
    errors.install(app)
    app.include_router(docs.router)
    for router in PAGES:
        app.include_router(router)
    app.mount("/app/static", Assets(directory=STATIC), name="static")
