"""API fixtures: the app on each store, a TestClient, and tokens for each kind of caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import mint_token
from api.settings import ApiSettings
from ledger.enums import Role
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


@pytest.fixture
def client(api_settings: ApiSettings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings, clock=clock), raise_server_exceptions=False) as c:
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
        org: str = "council",
        team: str | None = "north",
        teams: list[str] | None = None,
    ) -> dict[str, str]:
        token = mint_token(
            self.settings,
            user=user or f"{role}-1",
            role=Role(role),
            org=org,
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
        "complainant": {"name": "Cathy Complainant", "contact": "07700 900123"},
        "preferred_contact": "phone",
        "ward": "Forebridge",
    }
    body.update(overrides)
    return body
