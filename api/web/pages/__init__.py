"""The pages' routers, one per area."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import caseload, oidc_sign_in, signin

PAGES: tuple[APIRouter, ...] = (
    signin.router,
    caseload.router,
    oidc_sign_in.router,
)
"""Every router of pages the app includes, in order."""
