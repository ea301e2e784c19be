"""The API's routers, one per resource."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    break_glass,
    case_reviews,
    caseload,
    cases,
    dpo,
    holds,
    ledger,
    lifecycle,
    links,
    ops,
    organisations,
    partnership,
    people,
    plan,
    reference,
    risk,
    sars,
    stats,
    timeline,
)

ROUTERS: tuple[APIRouter, ...] = (
    cases.router,
    timeline.router,
    plan.router,
    partnership.router,
    lifecycle.router,
    dpo.router,
    sars.router,
    break_glass.router,
    holds.router,
    stats.router,
    caseload.router,
    risk.router,
    case_reviews.router,
    ledger.router,
    reference.router,
    organisations.router,
    people.router,
    links.router,
    ops.router,
)
"""Every router the app includes, in order."""
