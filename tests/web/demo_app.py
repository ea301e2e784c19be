"""The app with the demo loaded, for the TestClient tests of the DPO's and the auditor's pages:
a fixed clock, the views settled, bearer tokens to ask the API the same question, the access
records the ledger holds, and the rows of a page's table read back as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import mint_token
from api.demo import load_demo
from api.settings import ApiSettings
from ledger.access import Accessed
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import Role
from tests.web.test_frame import csrf, sign_in

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The app's clock: a Monday morning (GMT, so UK time is UTC)."""
DEMO_AT = NOW - timedelta(days=1)
"""When the demo was loaded: its reads and disclosures all happened by then."""


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Demo:
    client: TestClient
    cases: list[Case]
    clock: Clock
    settings: ApiSettings

    @property
    def ledger(self) -> CaseLedger:
        ledger: CaseLedger = self.client.app.state.ledger  # type: ignore[attr-defined]
        return ledger

    def bearer(self, role: str, user: str | None = None, team: str | None = None) -> dict[str, str]:
        """A bearer token for the API (the pages' answers are checked against it)."""
        token = mint_token(
            self.settings, user=user or f"{role}-api", role=Role(role), org="council", team=team
        )
        return {"Authorization": f"Bearer {token}"}

    def settle(self) -> None:
        """Every view (and the notary) has processed everything the ledger holds."""
        head = self.ledger.recorder.max_notification_id() or 0
        models = self.client.app.state.read_models  # type: ignore[attr-defined]
        for view in [*models.views.values(), *([models.notary] if models.notary else [])]:
            assert view.wait_for(head, 20), f"{view.view_name} never reached {head}"

    def sign_in(self, user: str) -> None:
        self.client.cookies.clear()
        sign_in(self.client, user)

    def csrf(self, path: str) -> str:
        return csrf(self.client, path)

    def accesses(self) -> list[Accessed]:
        """Every access record in the ledger, oldest first."""
        found = []
        for note in self.ledger.recorder.select_notifications(1, 100_000):
            if ".access.Accessed." in note.topic:
                event = self.ledger.mapper.to_domain_event(note)
                assert isinstance(event, Accessed)
                found.append(event)
        return found


@contextmanager
def demo(tmp_path: Path, **settings: Any) -> Iterator[Demo]:
    """The app on SQLite with the demo loaded a day before its clock, every view settled."""
    clock = Clock()
    api_settings = ApiSettings(data_dir=tmp_path, read_wait_seconds=5.0, **settings)
    app = create_app(api_settings, clock=clock)
    with TestClient(app, base_url="https://testserver") as client:
        ledger: CaseLedger = client.app.state.ledger  # type: ignore[attr-defined]
        found = Demo(client, load_demo(ledger, DEMO_AT), clock, api_settings)
        found.settle()
        yield found


class _Tables(HTMLParser):
    """The text of each cell of each row of the table with a given id."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.depth = 1
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.depth and self.in_body and tag == "tr":
            self.rows.append([])
        elif self.depth and self.in_body and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", " ".join(self.cell)).strip())
            self.cell = None
        elif self.depth and tag == "table":
            self.depth = 0

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    """The body rows of the table ``table_id`` on a page, each a list of its cells' text."""
    parser = _Tables(table_id)
    parser.feed(html)
    return parser.rows


def links(html: str, pattern: str) -> list[str]:
    """Every link on the page whose address matches ``pattern``, in order, unescaped."""
    found = re.findall(r'href="([^"]*)"', html)
    return [h.replace("&amp;", "&") for h in found if re.search(pattern, h)]
