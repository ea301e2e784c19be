"""People as a caller may see them: candidates from the register's search, and one person
with their cases and cumulative risk. Shared by the people routes and the duplicate
warning that intake commands answer with (``person.possible_duplicate``).

A caller is told that a candidate exists, with which kinds of detail matched, whatever
their cases: a duplicate is only avoided if it is seen. Names, contact details and the
cases themselves are shown only where the caller may see at least one of the person's
cases; the number of cases they may not see is given.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from api.policy import CaseFacts, sees
from api.principal import Principal
from api.schemas.people import CandidateOut, PersonCaseOut
from ledger.application import CaseLedger
from ledger.person_register import Candidate
from projections.risk.model import LinkedCase, PersonCase
from projections.risk.projection import CumulativeRisk

RowT = TypeVar("RowT", PersonCase, LinkedCase)


def split_visible(principal: Principal, cases: list[RowT]) -> tuple[list[RowT], int]:
    """The cases of a view's rows that ``principal`` may see (the policy's ``sees`` on the
    row's team and officer), and how many others there are. Partners use none of these
    staff views, so no share is consulted."""
    shown = [c for c in cases if sees(principal, CaseFacts(c.team, c.officer, frozenset()))]
    return shown, len(cases) - len(shown)


class PeopleReader:
    """Reads the register and the risk view for one caller."""

    def __init__(self, ledger: CaseLedger, risk: CumulativeRisk, principal: Principal) -> None:
        self.ledger = ledger
        self.risk = risk
        self.principal = principal

    def cases_after(
        self, person_ref: UUID, min_position: int | None
    ) -> tuple[list[PersonCase], int]:
        """The person's cases the caller may see, and how many others there are, once the
        view has reached ``min_position`` (read-your-writes; None: as it is)."""
        return split_visible(
            self.principal, self.risk.person_cases(person_ref, min_position=min_position)
        )

    def entitled(self, shown: list[PersonCase]) -> bool:
        """Whether the caller may see who the person is: only through a case of theirs that
        they may see (a view not yet caught up with a case shows less, never more)."""
        return bool(shown)

    def candidate(self, found: Candidate, min_position: int | None = None) -> CandidateOut:
        shown, hidden = self.cases_after(found.person_ref, min_position)
        name = None
        if self.entitled(shown):
            record = self.ledger.people.get(found.person_ref)
            if record is not None:
                name = self.ledger.people.details(record)["name"]
        return CandidateOut(
            person_ref=found.person_ref,
            matched=[kind.value for kind in found.matched],
            score=found.score,
            strong=found.strong,
            name=name,
            cases=[PersonCaseOut.of(case) for case in shown],
            other_cases=hidden,
        )

    def candidates(
        self, found: list[Candidate], min_position: int | None = None
    ) -> list[CandidateOut]:
        return [self.candidate(c, min_position) for c in found]
