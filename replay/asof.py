"""A case as it stood: as of a version, or of a moment in recorded or in world time, folded
by the aggregate's own code (``CaseEvent.mutate``, which checks the hash chain as it goes).

What each basis means:

- **version** N: the state after versions 1..N (the library's ``get(id, version=N)``).
- **recorded** time T: the state after the longest prefix of versions each *recorded* (the
  event's ``timestamp``) at or before T. A case's events are recorded in version order, so
  this is every event recorded by T.
- **occurred** (world) time T: the state after the longest prefix of versions each of which
  had *happened* (``occurred_at``; for the opening, when the complaint was received) by T.
  Every state shown is one the case really had at a
  version, so the ``ETag``, the access record and a later ``as_of_version`` all name it.
  An event that happened by T but was recorded after one that happened later (an incident
  reported late) is not folded in: folding a non-prefix would break the hash chain, make a
  state the case never had, and could meet an event whose precondition was left out. Such
  versions are named in ``AsOf.left_out`` so the reader knows what the prefix leaves out.

The time bases fold the whole chain (verifying it, as the plain read does) and keep a copy
of the state at the boundary. A version the case has not reached, or a time before its first
event, is an error (``VersionBeyondCase``, ``BeforeCaseExisted``), never an empty state.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.errors import CaseNotFound, IntegrityFailure, LedgerError
from ledger.events import CaseEvent, CaseOpened
from ledger.verify import UNREADABLE

Basis = Literal["version", "recorded", "occurred"]


class NotInCase(LedgerError):
    """An as-of that names no state the case had. ``code`` is stable, like a rule code."""

    code: ClassVar[str] = "replay.not_in_case"


class VersionBeyondCase(NotInCase):
    """The version asked for is beyond the case's current version."""

    code = "replay.version_beyond_case"

    def __init__(self, case_id: UUID, version: int, current: int) -> None:
        super().__init__(f"case {case_id} has no version {version}: it is at version {current}")
        self.case_id = case_id
        self.version = version
        self.current = current


class BeforeCaseExisted(NotInCase):
    """The moment asked for is before the case's first event (in that basis of time)."""

    code = "replay.before_case_existed"

    def __init__(self, case_id: UUID, basis: Basis, first: datetime) -> None:
        super().__init__(f"case {case_id} did not exist then ({basis} time): it begins {first}")
        self.case_id = case_id
        self.basis = basis
        self.first = first


@dataclass(frozen=True, kw_only=True)
class AsOf:
    """A case as it stood, and how that state was chosen."""

    case: Case
    basis: Basis
    at: datetime | None = None
    left_out: tuple[int, ...] = ()
    """Occurred basis: later versions that had happened by ``at`` but follow one that had
    not, so the prefix shown leaves them out. Recorded basis: the same for recorded time
    (only a clock that stepped back makes any)."""

    @property
    def version(self) -> int:
        return self.case.version

    @property
    def recorded_at(self) -> datetime:
        """When the version shown was recorded."""
        recorded: datetime = self.case.modified_on
        return recorded


def at_version(ledger: CaseLedger, case_id: UUID, version: int) -> AsOf:
    """The case after versions 1..``version``."""
    if version < 1:
        raise ValueError("case versions start at 1")
    with _checked(ledger, case_id):
        try:
            found: Any = ledger.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
    case = _a_case(case_id, found)
    if case.version < version:
        raise VersionBeyondCase(case_id, version, case.version)
    return AsOf(case=case, basis="version")


def at_recorded(ledger: CaseLedger, case_id: UUID, at: datetime) -> AsOf:
    """The case as recorded at ``at``: every version recorded at or before it."""
    return _at_time(ledger, case_id, at, "recorded", lambda event: event.timestamp)


def at_occurred(ledger: CaseLedger, case_id: UUID, at: datetime) -> AsOf:
    """The case as of world time ``at``: the longest prefix of versions that had all
    happened (``occurred_at``) by then."""
    return _at_time(ledger, case_id, at, "occurred", world_time)


def world_time(event: Any) -> datetime:
    """When an event happened in the world: for the opening, when the complaint was
    received (a case opened on 7 December for a complaint of 20 October existed, in the
    world, from 20 October); for any other event, its ``occurred_at``."""
    if isinstance(event, CaseOpened):
        received: datetime = event.received_at
        return received
    occurred: datetime = event.occurred_at
    return occurred


def as_of(
    ledger: CaseLedger,
    case_id: UUID,
    *,
    version: int | None = None,
    at: datetime | None = None,
    basis: Basis = "recorded",
) -> AsOf:
    """One of the above, chosen by what is given: a version, or a time and its basis."""
    if (version is None) == (at is None):
        raise ValueError("give a version or a time, not both")
    if version is not None:
        return at_version(ledger, case_id, version)
    assert at is not None
    if basis == "occurred":
        return at_occurred(ledger, case_id, at)
    if basis == "recorded":
        return at_recorded(ledger, case_id, at)
    raise ValueError(f"a time is recorded or occurred, not {basis}")


def _at_time(
    ledger: CaseLedger,
    case_id: UUID,
    at: datetime,
    basis: Basis,
    moment: Callable[[CaseEvent], datetime],
) -> AsOf:
    if at.utcoffset() is None:
        raise ValueError("an as-of time needs a timezone")
    case: Any = None
    shown: Case | None = None
    left_out: list[int] = []
    with _checked(ledger, case_id):
        stored: Iterator[Any] = iter(ledger.repository.event_store.get(case_id))
        for event in stored:
            if case is None and not isinstance(event, CaseOpened):
                raise CaseNotFound(case_id)  # another kind of stream, such as an access record
            within = moment(event) <= at
            if shown is None and not within:
                if case is None:
                    raise BeforeCaseExisted(case_id, basis, moment(event))
                shown = copy.deepcopy(case)  # the state at the boundary; the fold goes on
            elif shown is not None and within:
                left_out.append(event.originator_version)
            case = event.mutate(case)
    if case is None:
        raise CaseNotFound(case_id)
    final = _a_case(case_id, case)
    return AsOf(
        case=final if shown is None else shown, basis=basis, at=at, left_out=tuple(left_out)
    )


def _a_case(case_id: UUID, found: Any) -> Case:
    if not isinstance(found, Case):
        raise CaseNotFound(case_id)
    return found


@contextlib.contextmanager
def _checked(ledger: CaseLedger, case_id: UUID) -> Iterator[None]:
    """As ``CaseLedger.get_case``: a fold that fails on a stored row is named by the
    verifier, which reads the raw rows, as the first failing version."""
    try:
        yield
    except (IntegrityFailure, *UNREADABLE):
        verdict = ledger.verify_case(case_id, known=True)
        if verdict.intact:
            raise
        raise IntegrityFailure(case_id, verdict.version or 0, verdict.reason or "") from None
