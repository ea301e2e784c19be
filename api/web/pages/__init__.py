"""The pages' routers, one per area."""

from __future__ import annotations

from fastapi import APIRouter

from api.web.pages import caseload, complaints, people, signin

PAGES: tuple[APIRouter, ...] = (
    signin.router,
    caseload.router,
    complaints.router,
    people.router,
)
"""Every router of pages the app includes, in order."""
