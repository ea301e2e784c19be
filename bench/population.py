"""A realistic ledger for the projection benchmarks, built fast but only through the aggregate.

Every event is made by the real ``Case`` methods (rules checked, hash-chained), and by
``AccessRecord.record``, then stored by ``ledger.save`` several hundred cases at a time.
Two short cuts keep a million events within minutes, and neither changes what is stored:
- personal fields are sealed with real AES-256-GCM (same associated data, same scopes) under
  one benchmark key that is not put in the key table (so they cannot be unsealed; nothing
  here unseals), instead of one key-table transaction per case and per person;
- references come from a counter instead of the key table's year sequence.
Cases are made in worker processes (one per core), each with its own in-memory ledger for
the mapper (the same transcodings, so the same bytes), and their stored events are inserted
by ``recorder.insert_events`` in this process, a few thousand per transaction: what
``ledger.save`` does, without building every aggregate on one core.
Per case: the opening and its reference index, an assignment, victims (a tenth of them seen
before, so there are repeat victims), witnesses and alleged perpetrators, a risk assessment,
1 to 6 incidents, a police referral for criminal ones, contacts, an action planned and done,
sometimes a share, a closure for most, and a recorded read: about 15 notifications.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import StoredEvent

from ledger.access import AccessRecord
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    AccessOutcome,
    AccessPurpose,
    Agency,
    Category,
    Channel,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    Role,
    SharePurpose,
)
from ledger.erasure import CaseReferenceIndex
from ledger.risk import ASB_VRA_V1
from ledger.sealing import associated_data
from ledger.settings import Settings
from ledger.values import (
    Actor,
    Feedback,
    PersonDetails,
    Recipient,
    Sealed,
    case_scope,
    person_scope,
)
from ledger.vocabulary import DEFAULT_WARDS

START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
WARDS = DEFAULT_WARDS
TEAMS = ("north", "south", "east", "west")
CLOSURES = (
    ClosureReason.RESOLVED,
    ClosureReason.RESOLVED,
    ClosureReason.NO_FURTHER_ACTION,
    ClosureReason.NOT_ASB,
    ClosureReason.INSUFFICIENT_EVIDENCE,
    ClosureReason.COMPLAINANT_WITHDREW,
    ClosureReason.REFERRED_TO_OTHER_AGENCY,
)


def _actor(role: Role, user: str, team: str) -> Actor:
    return Actor(
        user_id=user, display_name=f"Bench {user}", role=role, organisation="council", team=team
    )


class Population:
    """Makes cases one at a time (``case()``) and saves them in batches (``fill()``)."""

    def __init__(
        self, ledger: CaseLedger, seed: int = 1, first_case: int = 0, *, places: bool = False
    ) -> None:
        self.ledger = ledger
        self.places = places
        """Cases and incidents name a place (a UPRN of ``PLACES``; v2 events), as openings
        through the command now do; off, the rows are as before issue 12."""
        self.rng = random.Random(seed)
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._victims: list[UUID] = []
        self.cases = first_case

    def seal(self, text: str, case_id: UUID, field: str, scope: str) -> Sealed:
        nonce = os.urandom(12)
        blob = self._aead.encrypt(nonce, text.encode(), associated_data(case_id, field, scope))
        return Sealed(scope, nonce + blob)

    def note(self, case_id: UUID, field: str) -> Sealed:
        return self.seal("Bench text about the case; " * 3, case_id, field, case_scope(case_id))

    def person(self, case_id: UUID, ref: UUID) -> PersonDetails:
        scope = person_scope(ref)
        return PersonDetails(
            name=self.seal("Bench Person", case_id, "name", scope),
            contact=self.seal("07700 900000", case_id, "contact", scope),
            address=self.seal("1 Bench Street, Stafford", case_id, "address", scope),
        )

    def stored(self, cases: int) -> list[StoredEvent]:
        """The stored form of ``cases`` new cases (with their indexes and reads), in order."""
        aggregates: list[Any] = []
        for _ in range(cases):
            aggregates.extend(self.case())
        to_stored = self.ledger.mapper.to_stored_event
        return [to_stored(e) for a in aggregates for e in a.collect_events()]

    def case(self) -> list[Any]:
        """One case worked from complaint to (usually) closure, with its index and a read."""
        rng = self.rng
        self.cases += 1
        team = rng.choice(TEAMS)
        worker = _actor(Role.CASEWORKER, f"cw-{rng.randrange(40)}", team)
        boss = _actor(Role.SUPERVISOR, f"sv-{team}", team)
        case_id, complainant = uuid4(), uuid4()
        when = START + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        case = Case.open(
            case_id=case_id,
            actor=worker,
            occurred_at=when,
            reference=f"ASB-{when.year}-{self.cases:07d}",
            channel=rng.choice(list(Channel)),
            received_at=when,
            category=rng.choice(list(Category)),
            description=self.note(case_id, "description"),
            location=self.note(case_id, "location"),
            lead_department=rng.choice(list(Department)),
            complainant_ref=complainant,
            complainant=self.person(case_id, complainant),
            preferred_contact=ContactMethod.PHONE,
            ward=rng.choice(WARDS),
            place=self._place(),
        )
        at = when
        at += timedelta(hours=rng.randrange(1, 48))
        case.assign(actor=boss, occurred_at=at, team=team, officer=worker.user_id)
        victims = self._link(case, worker, at)
        answers = {q.key: rng.randrange(3) for q in ASB_VRA_V1.questions}
        if rng.random() < 0.8:
            case.assess_risk(
                actor=worker,
                occurred_at=at,
                instrument="asb-vra",
                instrument_version=1,
                answers=answers,
            )
        criminal = []
        for _ in range(rng.randrange(1, 7)):
            at += timedelta(days=rng.randrange(0, 10))
            incident = uuid4()
            harms = tuple(h for h in HarmIndicator if rng.random() < 0.15)
            case.record_incident(
                actor=worker,
                occurred_at=at,
                incident_id=incident,
                incident_type=rng.choice(list(IncidentType)),
                description=self.note(case_id, "incident.description"),
                harms=harms,
                criminal=rng.random() < 0.1,
                victim_refs=tuple(victims),
                place=(case.place if rng.random() < 0.8 else self._place())
                if self.places
                else None,
            )
            if case.incidents[incident].criminal:
                criminal.append(incident)
        if criminal:
            case.refer_to_police(
                actor=worker,
                occurred_at=at,
                incident_ids=tuple(criminal),
                police_reference=f"SP-{self.cases:07d}",
                organisation="test-police",
                disseminated_at=at,
            )
        for person in [complainant, *victims][: rng.randrange(1, 4)]:
            case.record_contact(
                actor=worker,
                occurred_at=when + timedelta(hours=rng.randrange(1, 24 * 15)),
                person_ref=person,
                method=ContactMethod.PHONE,
                direction=ContactDirection.OUTBOUND,
                outcome=rng.choice(list(ContactOutcome)),
                summary=self.note(case_id, "summary"),
            )
        self._plan(case, worker, at)
        if rng.random() < 0.2:
            case.share_information(
                actor=worker,
                occurred_at=at,
                share_id=uuid4(),
                recipient=Recipient(agency=Agency.HOUSING_PROVIDER, organisation="Bench Homes"),
                items=("case_summary",),
                purpose=SharePurpose.PREVENT_CRIME_AND_DISORDER,
                justification=self.note(case_id, "justification"),
                lawful_basis=LawfulBasis.PUBLIC_TASK,
                gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115,
                includes_special_category=False,
                condition=None,
                consent=ConsentStatus.NOT_SOUGHT,
                consent_note=self.note(case_id, "consent_note"),
                authoriser=boss,
            )
        if rng.random() < 0.65:
            self._close(case, boss, at + timedelta(days=rng.randrange(1, 120)))
        read = AccessRecord.record(
            occurred_at=at,
            actor=worker,
            request_id=uuid4().hex,
            case_id=case_id,
            case_version=case.version,
            view="case",
            purpose=AccessPurpose.CASE_MANAGEMENT,
            subjects=(complainant, *victims),
            outcome=AccessOutcome.GRANTED,
            reason=None,
        )
        return [case, CaseReferenceIndex(reference=case.reference, case_id=case_id), read]

    def _place(self) -> str | None:
        return f"uprn:{100_000 + self.rng.randrange(PLACES)}" if self.places else None

    def _link(self, case: Case, worker: Actor, at: datetime) -> list[UUID]:
        rng = self.rng
        victims: list[UUID] = []
        for role, chance in (
            (PersonRole.VICTIM, 0.7),
            (PersonRole.WITNESS, 0.2),
            (PersonRole.ALLEGED_PERPETRATOR, 0.5),
        ):
            if rng.random() >= chance:
                continue
            if role is PersonRole.VICTIM and self._victims and rng.random() < 0.1:
                ref = rng.choice(self._victims)
            else:
                ref = uuid4()
            case.link_person(
                actor=worker,
                occurred_at=at,
                person_ref=ref,
                role=role,
                details=self.person(case.id, ref),
                self_declared_repeat_victim=role is PersonRole.VICTIM and rng.random() < 0.1,
            )
            if role is PersonRole.VICTIM:
                victims.append(ref)
                self._victims.append(ref)
        return victims

    def _plan(self, case: Case, worker: Actor, at: datetime) -> None:
        if self.rng.random() >= 0.4:
            return
        case.plan_action(
            actor=worker,
            occurred_at=at,
            action_id="a1",
            description=self.note(case.id, "action.description"),
            owner_agency=Agency.COUNCIL,
            owner_officer=worker.user_id,
            due=(at + timedelta(days=14)).date(),
        )
        case.complete_action(
            actor=worker,
            occurred_at=at + timedelta(days=7),
            action_id="a1",
            outcome=self.note(case.id, "action.outcome"),
        )

    def _close(self, case: Case, boss: Actor, at: datetime) -> None:
        reason = self.rng.choice(CLOSURES)
        explained = reason.needs_explanation_and_advice
        case.close(
            actor=boss,
            occurred_at=at,
            reason=reason,
            full_reasons=self.note(case.id, "full_reasons"),
            feedback=Feedback(
                method=ContactMethod.PHONE,
                given_at=at,
                given_by=boss.user_id,
                preferred_method_used=True,
            ),
            explanation=self.note(case.id, "explanation") if explained else None,
            advice=self.note(case.id, "advice") if explained else None,
        )


PLACES = 5_000
"""How many places the cases are about (with ``places``): neighbours share them."""
CHUNK = 250
"""Cases per task given to a worker process."""
_worker: dict[str, Any] = {}


def _chunk(task: tuple[int, int, bool]) -> list[StoredEvent]:
    seed, first, places = task
    ledger = _worker.get("ledger")
    if ledger is None:
        ledger = _worker["ledger"] = CaseLedger(Settings(database_url="memory://"))
    return Population(ledger, seed=seed, first_case=first, places=places).stored(CHUNK)


def fill(
    ledgers: Sequence[CaseLedger],
    events: int,
    *,
    seed: int = 1,
    workers: int | None = None,
    places: bool = False,
) -> int:
    """Adds the same cases to every ledger's store until each holds at least ``events``
    notifications (they must start equal); returns how many they hold. ``places``: cases
    and incidents name places (``Population.places``)."""
    heads = {ledger.recorder.max_notification_id() or 0 for ledger in ledgers}
    if len(heads) != 1:
        raise ValueError("the ledgers must hold the same number of notifications to start")
    head = heads.pop()
    task = 0
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        while head < events:
            wanted = max(1, (events - head) // (15 * CHUNK) + 1)
            tasks = [
                (seed * 1_000_003 + task + i, (task + i) * CHUNK, places) for i in range(wanted)
            ]
            task += wanted
            for stored in pool.map(_chunk, tasks):
                for ledger in ledgers:
                    ids = ledger.recorder.insert_events(stored) or [head]
                head = max(ids)
    return head
