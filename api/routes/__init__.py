"""The API's routers, one per resource."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import cases, lifecycle, ops, partnership, plan

ROUTERS: tuple[APIRouter, ...] = (
    cases.router,
    plan.router,
    partnership.router,
    lifecycle.router,
    ops.router,
)
"""Every router the app includes, in order."""
