"""Who may see which cases: the visibility every listing view filters by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Visibility:
    """Which cases a caller may see: everything, or by team, assigned officer or share.

    A caseworker sees their teams' cases and those assigned to them personally; a partner
    sees the cases shared with their organisation. The empty visibility sees nothing.
    """

    everything: bool = False
    teams: frozenset[str] = frozenset()
    officer: str | None = None
    organisation: str | None = None

    @classmethod
    def all(cls) -> Visibility:
        return cls(everything=True)

    @property
    def sees_nothing(self) -> bool:
        return not (self.everything or self.teams or self.officer or self.organisation)

    def sees_case(self, team: str | None, officer: str | None) -> bool:
        """The rule of ``projections.paging.visible`` for one case's team and officer (a
        visibility by organisation alone sees none: shares are not in these views)."""
        return (
            self.everything
            or (team is not None and team in self.teams)
            or (officer is not None and officer == self.officer)
        )
