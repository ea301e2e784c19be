"""The FastAPI app factory: the ledger and its services are built in ``lifespan``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from api import errors, openapi_links, web
from api.access import AccessLog
from api.auth import TokenVerifier
from api.checkpoint_header import CheckpointHeader
from api.logs import configure_logging
from api.metrics import Metrics
from api.middleware import RequestLog
from api.routes import ROUTERS
from api.settings import ApiSettings
from api.token_cache import CachingVerifier
from ledger.application import CaseLedger
from projections import ReadModels
from projections.notary import notary_settings

Clock = Callable[[], datetime]

DESCRIPTION = """\
The council's ledger of anti-social behaviour cases, from the first complaint to formal
closure. Every step is an immutable, hash-chained event; personal data is sealed, and
every read of it is recorded.

**Try it:** `asb-ledger token --user alice --role caseworker --org council --team asb-north`
prints a development token; press *Authorize* and paste it.
"""


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: ApiSettings | None = None,
    *,
    clock: Clock = _now,
    ledger: CaseLedger | None = None,
) -> FastAPI:
    """Builds the app. Nothing touches the store until the app starts (``lifespan``);
    a ``ledger`` given here is used instead of building one (and not closed)."""
    settings = settings or ApiSettings()
    configure_logging(settings.log_format)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = ledger is None
        built = ledger or CaseLedger(settings)
        models: ReadModels | None = None
        try:
            app.state.settings = settings
            app.state.ledger = built
            app.state.clock = clock
            app.state.metrics = metrics
            app.state.verifier = CachingVerifier(TokenVerifier(settings))
            app.state.access = AccessLog(built, clock)
            models = ReadModels.open(
                built,
                run=settings.run_projections,
                notary=notary_settings(settings) if settings.run_projections else None,
            )
            for view in [*models.views.values(), *([models.notary] if models.notary else [])]:
                view.read_timeout = settings.read_wait_seconds
            app.state.read_models = models
            yield
        finally:
            if models is not None:
                models.close()
            if own:
                built.close()

    app = FastAPI(
        title="asb-ledger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api.web.docs, with their assets from this process
        redoc_url=None,
    )
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    web.install(app, settings)
    openapi_links.install(app)
    app.add_middleware(CheckpointHeader)  # inside RequestLog, which times the whole request
    app.add_middleware(RequestLog, metrics=metrics)
    return app
