"""Typed dependencies for the routes, as ``Annotated`` aliases (FastAPI's full-stack template).

The ledger and its services are built once in ``lifespan`` and kept on ``app.state``; this
module is the one place that reads them there, so a route names what it needs by type and a
test may replace any of them with ``app.dependency_overrides[get_ledger] = ...`` (for
commands, ``get_services``, which gives them theirs together). Each
getter is ``async`` although it does no I/O: a plain ``def`` dependency would cost every
request a hop through the thread pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request

from api.access import AccessLog
from api.errors import Problem
from api.metrics import Metrics
from api.settings import ApiSettings
from ledger.application import CaseLedger
from projections import CaseDirectory, ReadModels, View
from projections.alerts.projection import BreakGlassAlerts
from projections.case_reviews.projection import CaseReviews
from projections.caseload.projection import Caseload
from projections.disclosures.projection import DisclosureLog
from projections.notary import Notary
from projections.risk.projection import CumulativeRisk
from projections.stats.projection import AnalystStats

V = TypeVar("V", bound=View)

MAX_POSITION = 2**63 - 1
"""The largest position either store can hold (a signed 64-bit integer)."""

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Services:
    """The services a command needs, got in one dependency (each one a request costs)."""

    ledger: CaseLedger
    access: AccessLog
    clock: Clock
    metrics: Metrics


async def get_services(request: Request) -> Services:
    """The ledger, the access log, the clock and the metrics, for running a command."""
    state = request.app.state
    return Services(state.ledger, state.access, state.clock, state.metrics)


async def get_ledger(request: Request) -> CaseLedger:
    """The process's ledger."""
    ledger: CaseLedger = request.app.state.ledger
    return ledger


async def get_access(request: Request) -> AccessLog:
    """Where reads and refusals are recorded."""
    access: AccessLog = request.app.state.access
    return access


async def get_clock(request: Request) -> Clock:
    """The clock commands and access records are stamped with."""
    clock: Clock = request.app.state.clock
    return clock


async def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_read_models(request: Request) -> ReadModels:
    """Every read model of the process (views and, where it runs, the notary)."""
    models: ReadModels = request.app.state.read_models
    return models


def view_of(kind: type[V]) -> Callable[[Request], Awaitable[V]]:
    """A dependency giving the process's view of type ``kind``."""

    async def get_view(request: Request) -> V:
        models: ReadModels = request.app.state.read_models
        return models.get(kind)

    get_view.__name__ = f"get_{kind.name}"
    return get_view


async def get_notary(request: Request) -> Notary | None:
    """The notary's log, where this process has it open."""
    notary: Notary | None = request.app.state.read_models.notary
    return notary


ServicesDep = Annotated[Services, Depends(get_services)]
LedgerDep = Annotated[CaseLedger, Depends(get_ledger)]
AccessDep = Annotated[AccessLog, Depends(get_access)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]
DirectoryDep = Annotated[CaseDirectory, Depends(view_of(CaseDirectory))]
RiskDep = Annotated[CumulativeRisk, Depends(view_of(CumulativeRisk))]
CaseloadDep = Annotated[Caseload, Depends(view_of(Caseload))]
CaseReviewsDep = Annotated[CaseReviews, Depends(view_of(CaseReviews))]
StatsDep = Annotated[AnalystStats, Depends(view_of(AnalystStats))]
DisclosuresDep = Annotated[DisclosureLog, Depends(view_of(DisclosureLog))]
AlertsDep = Annotated[BreakGlassAlerts, Depends(view_of(BreakGlassAlerts))]
NotaryDep = Annotated[Notary | None, Depends(get_notary)]


def checked_min_position(
    ledger: LedgerDep,
    min_position: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_POSITION,
            description="A ledger position (a command receipt's `position`): wait briefly"
            " until this answer includes it (503 `view-behind`, with `Retry-After`, if it"
            " does not yet). A position the ledger has not issued is a 422"
            " (`read.position_not_issued`), answered at once.",
        ),
    ] = None,
) -> int | None:
    """A query's ``min_position``, refused at once when the ledger has not issued it: no view
    will ever reach it by waiting, and waiting would hold a worker for nothing. (A plain
    ``def``: it asks the store, so it runs in the thread pool.)"""
    if min_position and min_position > (ledger.recorder.max_notification_id() or 0):
        raise Problem(
            422,
            "rule-broken",
            "Rule broken",
            f"the ledger has not issued position {min_position} yet; give a position a"
            " command answered with",
            rule="read.position_not_issued",
            errors=[{"field": "query.min_position", "message": "a position not yet issued"}],
        )
    return min_position


MinPositionDep = Annotated[int | None, Depends(checked_min_position)]
"""``min_position`` for every query that waits for a read model (or the notary)."""
