"""The pages' routers, one per area."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import alerts, audit, audit_checks, caseload, disclosures, sars, signin

PAGES: tuple[APIRouter, ...] = (
    signin.router,
    caseload.router,
    disclosures.router,
    sars.router,
    alerts.router,
    audit.router,
    audit_checks.router,
)
"""Every router of pages the app includes, in order."""
