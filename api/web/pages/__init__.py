"""The pages' routers, one per area."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import (
    alerts,
    audit,
    audit_checks,
    case,
    case_commands,
    case_commands_partners,
    case_commands_plan,
    caseload,
    complaints,
    disclosures,
    oidc_sign_in,
    partner,
    people,
    sars,
    signin,
)

PAGES: tuple[APIRouter, ...] = (
    signin.router,
    oidc_sign_in.router,
    caseload.router,
    complaints.router,
    people.router,
    case_commands.router,
    case_commands_plan.router,
    case_commands_partners.router,
    disclosures.router,
    sars.router,
    alerts.router,
    audit.router,
    audit_checks.router,
    case.router,
    partner.router,
)
"""Every router of pages the app includes, in order."""
