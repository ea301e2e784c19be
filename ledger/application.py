"""CaseLedger: the eventsourcing Application holding Case aggregates on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import structlog
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import get_topic

from ledger.case import Case
from ledger.chain import HASH_KEY
from ledger.enums import ErasureReason
from ledger.erasure import CaseReferenceIndex, KeyErasure, erasure_id, reference_index_id
from ledger.errors import CaseNotFound, ConcurrentWrite, IntegrityFailure, StaleVersion
from ledger.events import CaseEvent, CaseOpened
from ledger.integrity import GENESIS
from ledger.keystore import KeyStore, KeyTable, MemoryKeyTable, load_or_create_master_key
from ledger.pgrecorder import FastPostgresApplicationRecorder, fast_application_recorder
from ledger.sealing import Sealer, case_scope, person_scope
from ledger.settings import Settings, StoreConfig
from ledger.sqliterecorder import LeanSQLiteApplicationRecorder, lean_application_recorder
from ledger.stores import (
    PostgresSidecar,
    ReferenceCounter,
    SQLiteSidecar,
)
from ledger.transcodings import register_all
from ledger.values import Actor, Receipt

CASE_OPENED_TOPIC = get_topic(CaseOpened)
log = structlog.get_logger("ledger")


class ChainMapper(Mapper[UUID]):
    """Marks decoded case events that lost their recorded hash, so the chain check fails."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        if isinstance(event, CaseEvent):
            vars(event).setdefault(HASH_KEY, "")
        return event


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one case's chain."""

    case_id: UUID
    intact: bool
    events: int
    head_hash: str
    version: int | None = None
    reason: str | None = None

    def __str__(self) -> str:
        if self.intact:
            return f"{self.case_id}: intact ({self.events} events)"
        return f"{self.case_id}: version {self.version}: {self.reason}"


class CaseLedger(Application[UUID]):
    """The ledger of ASB cases. Build one per process; it is safe to share across threads."""

    name = "CaseLedger"

    def __init__(self, settings: Settings | None = None, env: dict[str, str] | None = None):
        self.settings = settings or Settings()
        self.store_config: StoreConfig = self.settings.store()
        if self.store_config.sqlite_path is not None:
            Path(self.store_config.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        table, counter = self._sidecar(self.store_config)
        super().__init__(env={**self.store_config.library_env, **(env or {})})
        self._sidecar_tables = table
        self.references: ReferenceCounter = counter
        if self.store_config.kind == "memory":
            master = AESGCM.generate_key(bit_length=256)
        else:
            master = load_or_create_master_key(self.settings.master_key_path)
        self.keys = KeyStore(table, master, self.settings.key_cache_seconds)
        self.sealer = Sealer(self.keys)

    def _sidecar(self, config: StoreConfig) -> tuple[KeyTable, ReferenceCounter]:
        if config.kind == "sqlite":
            assert config.sqlite_path is not None
            sqlite = SQLiteSidecar(config.sqlite_path)
            return sqlite, sqlite
        if config.kind == "postgres":
            assert config.postgres_conninfo is not None
            pg = PostgresSidecar(config.postgres_conninfo, config.postgres_schema)
            return pg, pg
        memory = MemoryKeyTable()
        return memory, memory

    def construct_recorder(self) -> ApplicationRecorder:
        if self.store_config.kind == "postgres" and self.settings.pg_fast_recorder:
            assert isinstance(self.factory, PostgresFactory)
            return fast_application_recorder(self.factory)
        if self.store_config.kind == "sqlite":
            assert isinstance(self.factory, SQLiteFactory)
            return lean_application_recorder(
                self.factory.datastore, self.factory.env_create_table()
            )
        return super().construct_recorder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=ChainMapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_all(transcoder)

    def close(self) -> None:
        if isinstance(
            self.recorder, FastPostgresApplicationRecorder | LeanSQLiteApplicationRecorder
        ):
            self.recorder.close()  # its writer connection goes before the pool closes
        super().close()
        closer = getattr(self._sidecar_tables, "close", None)
        if closer is not None:
            closer()

    # ------------------------------------------------------------- writing

    @staticmethod
    def new_case_id() -> UUID:
        return uuid4()

    def allocate_reference(self, received_at: datetime) -> str:
        """``ASB-<year>-<6 digits>``: numbers never repeat, and may skip if an opening fails."""
        year = received_at.year
        return f"ASB-{year}-{self.references.next_number(year):06d}"

    def prepare_opening(
        self, case_id: UUID, person_refs: Iterable[UUID], received_at: datetime
    ) -> str:
        """The reference for a new case, with the data keys for the case and its people made
        in the same transaction: an opening then commits twice (this, and the events)."""
        scopes = [case_scope(case_id), *(person_scope(ref) for ref in person_refs)]
        number = self.keys.reserve_opening(received_at.year, scopes)
        return f"ASB-{received_at.year}-{number:06d}"

    def save_new_case(self, case: Case) -> Receipt:
        """Saves a newly opened case with its reference index, atomically."""
        return self._save(case, CaseReferenceIndex(reference=case.reference, case_id=case.id))

    def save_case(self, case: Case) -> Receipt:
        """Saves a case's new events; if another writer saved first, this records nothing."""
        return self._save(case)

    def _save(self, case: Case, *others: Any) -> Receipt:
        kinds = [type(e).__name__ for e in case.pending_events]
        try:
            recordings = self.save(case, *others)
        except IntegrityError:
            log.info("case.conflict", case_id=str(case.id), events=kinds)
            raise ConcurrentWrite(case.id) from None
        positions = [
            r.notification.id for r in recordings if r.domain_event.originator_id == case.id
        ]
        receipt = Receipt(case_id=case.id, version=case.version, position=max(positions, default=0))
        log.debug(
            "case.saved",
            case_id=str(case.id),
            version=receipt.version,
            position=receipt.position,
            events=kinds,
        )
        return receipt

    def destroy_key(
        self, scope: str, *, actor: Actor, occurred_at: datetime, reason: ErasureReason
    ) -> bool:
        """Records the erasure, then destroys the key. Safe to repeat after a failure."""
        try:
            self.repository.get(erasure_id(scope))
        except AggregateNotFoundError:
            record = KeyErasure(actor=actor, occurred_at=occurred_at, scope=scope, reason=reason)
            with contextlib.suppress(IntegrityError):  # a concurrent eraser recorded it
                self.save(record)
        destroyed = self.keys.destroy(scope)
        log.info(
            "key.destroyed",
            erasure_id=str(erasure_id(scope)),
            scope_kind=scope.split(":", 1)[0],
            reason=reason.value,
            newly=destroyed,
        )
        return destroyed

    # ------------------------------------------------------------- reading

    def get_case(self, case_id: UUID, expected_version: int | None = None) -> Case:
        """Loads a case, verifying its chain; raises StaleVersion if it moved on."""
        try:
            case: Any = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
        except (
            IntegrityFailure,
            OriginatorVersionError,
            MapperDeserialisationError,
            AttributeError,
            KeyError,
            TypeError,
        ):
            # Let the verifier, which reads the raw rows, name the first bad version.
            verdict = self.verify_case(case_id)
            if verdict.intact:
                raise
            log.warning("case.integrity_failure", case_id=str(case_id), version=verdict.version)
            raise IntegrityFailure(case_id, verdict.version or 0, verdict.reason or "") from None
        if not isinstance(case, Case):
            raise CaseNotFound(case_id)
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion(case_id, expected_version, case.version)
        return case

    def find_case_id(self, reference: str) -> UUID | None:
        try:
            index: Any = self.repository.get(reference_index_id(reference))
        except AggregateNotFoundError:
            return None
        return index.case_id if isinstance(index, CaseReferenceIndex) else None

    def case_ids(self, page: int = 500) -> Iterator[UUID]:
        """Every case, in the order opened."""
        start = 1
        while True:
            notes = self.recorder.select_notifications(start, page, topics=[CASE_OPENED_TOPIC])
            for note in notes:
                yield UUID(str(note.originator_id))
            if len(notes) < page:
                return
            start = notes[-1].id + 1

    # ------------------------------------------------------------- verifying

    def verify_case(self, case_id: UUID) -> Verdict:
        """Checks a case's chain from the stored rows; names the first failing version."""
        stored = self.recorder.select_events(case_id)
        if not stored:
            raise CaseNotFound(case_id)
        case: Any = None
        head = GENESIS
        for expected, row in enumerate(stored, start=1):
            version = row.originator_version
            if version != expected:
                what = "is missing" if version > expected else "appears twice"
                return Verdict(
                    case_id, False, expected - 1, head, expected, f"version {expected} {what}"
                )
            try:
                event = self.mapper.to_domain_event(row)
                if not isinstance(event, CaseEvent):
                    return Verdict(
                        case_id,
                        False,
                        expected - 1,
                        head,
                        version,
                        f"{row.topic} is not a case event",
                    )
                case = event.mutate(case)
            except IntegrityFailure as failure:
                return Verdict(case_id, False, expected - 1, head, version, failure.reason)
            except Exception as error:
                return Verdict(
                    case_id,
                    False,
                    expected - 1,
                    head,
                    version,
                    f"stored event cannot be decoded ({type(error).__name__})",
                )
            head = case.head_hash
        return Verdict(case_id, True, len(stored), head)

    def verify_all(self) -> Iterator[Verdict]:
        for case_id in self.case_ids():
            yield self.verify_case(case_id)
