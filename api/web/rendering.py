"""Rendering the pages: the Jinja2 environment, its filters, and a page response.

Every page extends ``layout.html`` (skip link, the Generic header, the service navigation
for the person's role, breadcrumbs, an error summary, the footer). Dates are shown in UK
format in the council's time zone; a time overdue in working days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.principal import Principal
from api.web.legal_words import LEGAL_WORDS
from api.web.session import Sessions
from ledger.calendar import working_days_between
from ledger.enums import Role

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES)
"""The pages' templates: autoescaped (``.html``), so nothing given can become markup."""


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str


NAVIGATION: dict[Role, tuple[NavItem, ...]] = {
    Role.CASEWORKER: (
        NavItem("My caseload", "/app/caseload"),
        NavItem("New complaint", "/app/complaints/new"),
        NavItem("People", "/app/people"),
    ),
    Role.SUPERVISOR: (
        NavItem("Team caseload", "/app/caseload"),
        NavItem("New complaint", "/app/complaints/new"),
        NavItem("People", "/app/people"),
    ),
    Role.PARTNER: (NavItem("Shared with us", "/app/partner"),),
    Role.DPO: (
        NavItem("Disclosure log", "/app/dpo/disclosures"),
        NavItem("Subject access", "/app/dpo/sars"),
        NavItem("Alerts", "/app/dpo/alerts"),
        NavItem("People", "/app/people"),
    ),
    Role.AUDITOR: (
        NavItem("Audit", "/app/audit"),
        NavItem("Caseload", "/app/caseload"),
        NavItem("Disclosure log", "/app/dpo/disclosures"),
        NavItem("Subject access", "/app/dpo/sars"),
        NavItem("Alerts", "/app/dpo/alerts"),
    ),
}
"""The service navigation each role sees (a role with no pages yet sees only sign-out)."""

HOME: dict[Role, str] = {role: items[0].href for role, items in NAVIGATION.items()}


def home_for(principal: Principal) -> str:
    return HOME.get(principal.role, "/app/signed-in")


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def uk_date(value: date | datetime | None, zone: ZoneInfo | None = None) -> str:
    """``8 December 2026``: GOV.UK's date style, in the council's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone or ZoneInfo("Europe/London")).date()
    return f"{value.day} {value:%B %Y}"


def uk_datetime(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """``8 December 2026, 2:05pm``: GOV.UK's style for a time, in the council's zone."""
    if value is None:
        return ""
    local = _local(value, zone or ZoneInfo("Europe/London"))
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{uk_date(local.date())}, {hour}:{local.minute:02d}{suffix}"


def working_days_late(due: date, today: date) -> int:
    return working_days_between(due, today)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def humanise(code: str | None) -> str:
    """``first_contact`` as ``First contact``: codes shown as words."""
    if not code:
        return ""
    words = str(code).replace("_", " ").replace(".", ": ")
    return words[:1].upper() + words[1:]


def legal(code: str | None) -> str:
    """A lawful basis, legal gateway or condition for processing in the words the share
    form offers it in (``public_task`` as ``Public task (UK GDPR Article 6(1)(e))``)."""
    if not code:
        return ""
    return LEGAL_WORDS.get(str(code)) or humanise(code)


def query(base: dict[str, Any], **changes: Any) -> str:
    """A query string from ``base`` with ``changes`` (a ``None`` drops a parameter)."""
    merged = {**base, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


templates.env.filters.update(
    plural=plural,
    humanise=humanise,
    legal=legal,
)
templates.env.globals.update(query=query)


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A page: the template with what the layout needs (who is signed in, their navigation,
    the CSRF token for forms, the date filters in the council's zone)."""
    sessions: Sessions = request.app.state.web_sessions
    seed, fresh = sessions.csrf_for(request)
    zone = _zone(request)
    values: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "navigation": NAVIGATION.get(principal.role, ()) if principal else (),
        "csrf_token": sessions.csrf_token(seed),
        "uk_date": lambda v: uk_date(v, zone),
        "uk_datetime": lambda v: uk_datetime(v, zone),
        "current_path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, values, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # pages may hold personal data
    if fresh:
        sessions.set_csrf(request, response, seed)
    session = getattr(request.state, "web_session", None)
    if session is not None:
        sessions.keep(request, response, session)
    return response
