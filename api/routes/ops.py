"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import LedgerDep, MetricsDep
from api.errors import unavailable
from api.policy import Action, Guard, authorize

router = APIRouter(tags=["operations"])
Public = Annotated[Guard, Depends(authorize(Action.PUBLIC))]


@router.get("/healthz")
def healthz(guard: Public) -> dict[str, str]:
    """Liveness: the process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The store is not reachable"}})
def readyz(guard: Public, ledger: LedgerDep) -> JSONResponse:
    """Readiness: the store answers a query."""
    try:
        head = ledger.recorder.max_notification_id()
    except Exception as error:
        raise unavailable(f"the store is not reachable ({type(error).__name__})") from None
    return JSONResponse({"status": "ready", "position": head or 0})


@router.get("/metrics", response_class=Response)
def metrics(guard: Public, metrics: MetricsDep) -> Response:
    """Prometheus metrics: requests by route and status, latencies, commands by type."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
