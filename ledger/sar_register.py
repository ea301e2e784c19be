"""Subject access requests through the ledger's store: opened, changed, listed, and the
holds they place (an open request holds its person's data, DPA 2018 s173)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from ledger.enums import SarPart, SarRequester
from ledger.errors import ConcurrentWrite
from ledger.holds import ActiveHolds
from ledger.sar import (
    SarRequested,
    SubjectAccessRequest,
    SubjectRequestOpened,
    SubjectRequests,
    subject_requests_stream,
)
from ledger.type_names import type_name
from ledger.values import Actor

if TYPE_CHECKING:
    from ledger.application import CaseLedger

REQUESTED_TOPIC = type_name(SarRequested)


class SarRegister:
    """Every read goes to the store: a request opened or issued a moment ago holds (or stops
    holding) its person's data on the very next erasure or retention sweep."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger

    def request(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        sar_id: UUID,
        person_ref: UUID,
        requester: SarRequester,
        representative_ref: UUID | None,
        received_on: date,
        identity_checked_on: date | None,
        asks_for: tuple[SarPart, ...],
    ) -> tuple[SubjectAccessRequest, int]:
        """Opens a request, and its hold on the person, in one transaction."""
        sar = SubjectAccessRequest.request(
            actor=actor,
            occurred_at=occurred_at,
            sar_id=sar_id,
            person_ref=person_ref,
            requester=requester,
            representative_ref=representative_ref,
            received_on=received_on,
            identity_checked_on=identity_checked_on,
            asks_for=asks_for,
        )
        holds = self._holds(person_ref)
        if holds is None:
            holds = SubjectRequests.start(
                actor=actor, occurred_at=occurred_at, person_ref=person_ref
            )
        holds.opened(actor=actor, occurred_at=occurred_at, sar_id=sar_id)
        index = self.ledger.holds.index() or ActiveHolds.start(actor=actor, occurred_at=occurred_at)
        index.hold_for_request(sar_id, person_ref, actor=actor, occurred_at=occurred_at)
        return sar, self._save(sar, holds, index)

    def change(
        self, sar_id: UUID, change: Callable[[SubjectAccessRequest], None]
    ) -> tuple[SubjectAccessRequest, int]:
        """Applies ``change`` to the request and saves it; a request that ends with the
        change (issued or closed) releases its hold in the same transaction."""
        sar = self.require(sar_id)
        change(sar)
        if sar.open:
            return sar, self._save(sar)
        holds = self._holds(sar.person_ref)
        assert holds is not None  # opened with the request
        actor, moment = _last_actor(sar), _last_time(sar)
        holds.ended(actor=actor, occurred_at=moment, sar_id=sar.id)
        index = self.ledger.holds.index()
        if index is None or sar.id not in index.active:  # a request from before the index
            return sar, self._save(sar, holds)
        index.deactivate(sar.id, actor=actor, occurred_at=moment)
        return sar, self._save(sar, holds, index)

    def get(self, sar_id: UUID) -> SubjectAccessRequest | None:
        try:
            found: object = self.ledger.repository.get(sar_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, SubjectAccessRequest) else None

    def require(self, sar_id: UUID) -> SubjectAccessRequest:
        sar = self.get(sar_id)
        if sar is None:
            raise SarNotFound(sar_id)
        return sar

    def all(self, page: int = 500) -> list[SubjectAccessRequest]:
        """Every request ever received, oldest first."""
        found: list[SubjectAccessRequest] = []
        start = 1
        while True:
            notes = self.ledger.recorder.select_notifications(start, page, topics=[REQUESTED_TOPIC])
            found.extend(self.require(UUID(str(note.originator_id))) for note in notes)
            if len(notes) < page:
                return found
            start = notes[-1].id + 1

    def open_for(self, person_refs: Iterable[UUID]) -> list[UUID]:
        """The open requests about any of ``person_refs`` (each merged record's included)."""
        found: list[UUID] = []
        for ref in self._everyone(person_refs):
            holds = self._holds(ref)
            if holds is not None:
                found.extend(holds.open_requests)
        return list(dict.fromkeys(found))

    def about(self, person_refs: Iterable[UUID]) -> list[UUID]:
        """Every request ever opened about any of ``person_refs`` (each merged record's
        included), open or ended: those whose issued responses an erasure must reach."""
        found: list[UUID] = []
        for ref in self._everyone(person_refs):
            for event in self.ledger.repository.event_store.get(subject_requests_stream(ref)):
                if isinstance(event, SubjectRequestOpened):
                    found.append(event.sar_id)
        return list(dict.fromkeys(found))

    def _everyone(self, person_refs: Iterable[UUID]) -> list[UUID]:
        return list(
            dict.fromkeys(r for given in person_refs for r in self.ledger.people.same_person(given))
        )

    def _holds(self, person_ref: UUID) -> SubjectRequests | None:
        try:
            found: object = self.ledger.repository.get(subject_requests_stream(person_ref))
        except AggregateNotFoundError:
            return None
        assert isinstance(found, SubjectRequests)
        return found

    def _save(self, *aggregates: SubjectAccessRequest | SubjectRequests | ActiveHolds) -> int:
        try:
            recordings = self.ledger.save(*aggregates)
        except IntegrityError:
            raise ConcurrentWrite(aggregates[0].id) from None
        return recordings[-1].notification.id


class SarNotFound(LookupError):
    def __init__(self, sar_id: UUID) -> None:
        super().__init__(f"no subject access request {sar_id}")
        self.sar_id = sar_id


def _last_actor(sar: SubjectAccessRequest) -> Actor:
    pending = sar.pending_events
    actor: Actor = getattr(pending[-1], "actor")  # noqa: B009
    return actor


def _last_time(sar: SubjectAccessRequest) -> datetime:
    moment: datetime = getattr(sar.pending_events[-1], "occurred_at")  # noqa: B009
    return moment
