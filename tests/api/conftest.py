"""API fixtures: the app on each store, a TestClient, and tokens for each kind of caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import mint_token
from api.settings import ApiSettings
from ledger.application import CaseLedger
from ledger.enums import Agency, Role
from ledger.organisations import DEFAULT_PROTOCOL
from ledger.values import Actor
from tests.conftest import PG_URL


class Clock:
    """The app's clock, which a test may move."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api_settings(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> ApiSettings:
    if store == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    else:
        url = f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"
    return ApiSettings(data_dir=tmp_path, database_url=url, read_wait_seconds=5.0)


PARTNERS: dict[str, tuple[str, Agency]] = {
    "staffordshire-police": ("Staffordshire Police", Agency.POLICE),
    "test-police": ("Test Police", Agency.POLICE),
    "example-homes": ("Example Homes", Agency.HOUSING_PROVIDER),
    "other-housing": ("Other Housing Ltd", Agency.HOUSING_PROVIDER),
    "unshared-trust": ("Unshared Trust", Agency.HOUSING_PROVIDER),
    "victims-gateway": ("Staffordshire Victims Gateway", Agency.VICTIM_SUPPORT),
}
"""The protocol's signatories every API test's store has registered (by id)."""
FORMER = ("Former Partner Trust", Agency.HOUSING_PROVIDER)
"""Registered too, and retired on 1 January 2021: no longer a signatory."""

ADMIN = Actor(user_id="admin-1", display_name="Admin", role=Role.ADMIN, organisation="council")


def register_partners(ledger: CaseLedger) -> None:
    for org_id, (name, agency) in {**PARTNERS, "former-partner": FORMER}.items():
        ledger.organisations.register(
            actor=ADMIN,
            occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
            org_id=org_id,
            name=name,
            agency=agency,
            protocol_reference=DEFAULT_PROTOCOL,
            joined=date(2020, 1, 1),
        )
    ledger.organisations.retire(
        actor=ADMIN,
        occurred_at=datetime(2021, 1, 1, tzinfo=UTC),
        org_id="former-partner",
        left=date(2021, 1, 1),
    )


@pytest.fixture
def bare_client(api_settings: ApiSettings, clock: Clock) -> Iterator[TestClient]:
    """The app on a store with nothing in it, not even the partners' registrations."""
    with TestClient(create_app(api_settings, clock=clock), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def client(api_settings: ApiSettings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings, clock=clock), raise_server_exceptions=False) as c:
        register_partners(c.app.state.ledger)  # type: ignore[attr-defined]
        yield c


class Tokens:
    """Mints bearer headers for the app's development key."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings

    def __call__(
        self,
        role: str = "caseworker",
        *,
        user: str | None = None,
        org: str | None = None,
        team: str | None = "north",
        teams: list[str] | None = None,
    ) -> dict[str, str]:
        """``org`` defaults to the council's id, or for a partner to ``example-homes``."""
        token = mint_token(
            self.settings,
            user=user or f"{role}-1",
            role=Role(role),
            org=org or ("example-homes" if role == "partner" else "council"),
            team=team,
            teams=teams,
        )
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(api_settings: ApiSettings) -> Tokens:
    return Tokens(api_settings)


def complaint(**overrides: Any) -> dict[str, Any]:
    """A complete, valid complaint body."""
    body: dict[str, Any] = {
        "channel": "phone",
        "category": "personal",
        "description": "Loud music most nights after midnight.",
        "location": "Flat 2, 10 Example Road",
        "lead_department": "community_safety",
        "complainant": {"name": "Cathy Complainant"},
        "preferred_contact": "phone",
        "ward": "Forebridge",
    }
    body.update(overrides)
    return body
