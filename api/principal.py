"""Who is calling: the verified identity a bearer token carries."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.enums import Role
from ledger.values import Actor


@dataclass(frozen=True, kw_only=True)
class Principal:
    """A verified caller. ``teams`` are the teams whose cases they work on (a supervisor
    may lead several); ``team`` is their own, recorded on the events they cause."""

    user_id: str
    display_name: str
    role: Role
    organisation: str
    team: str | None = None
    teams: frozenset[str] = frozenset()

    @property
    def all_teams(self) -> frozenset[str]:
        return self.teams | ({self.team} if self.team else set())

    def actor(self) -> Actor:
        return Actor(
            user_id=self.user_id,
            display_name=self.display_name,
            role=self.role,
            organisation=self.organisation,
            team=self.team,
        )
