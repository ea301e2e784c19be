"""CaseLedger: the eventsourcing Application holding Case aggregates on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import structlog
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    JSONTranscoder,
    Mapper,
)
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment, EnvType

from ledger.access import AccessRecord
from ledger.break_glass_register import BreakGlassRegister
from ledger.case import Case
from ledger.enums import ErasureReason
from ledger.erasure import (
    CaseReferenceIndex,
    KeyErasure,
    ReferenceRegistered,
    erasure_id,
    reference_index_id,
)
from ledger.errors import (
    CaseNotFound,
    ConcurrentWrite,
    IntegrityFailure,
    NothingToSave,
    StaleVersion,
)
from ledger.events import CASE_EVENT_TYPES
from ledger.hold_register import HoldRegister
from ledger.idempotency import IdempotencyClaim, IdempotencyRecord
from ledger.keystore import KeyStore, KeyTable, MasterKeys, MemoryKeyTable
from ledger.masterkey import master_keys, open_master_key
from ledger.organisation_register import OrganisationRegister
from ledger.person_register import PersonRegister
from ledger.pgrecorder import FastPostgresApplicationRecorder, fast_application_recorder
from ledger.places import Places
from ledger.positions import position_of
from ledger.retention import CaseErasure, retention_erasure_id
from ledger.sar_register import SarRegister
from ledger.sealing import Sealer, case_scope, person_scope
from ledger.settings import Settings, StoreConfig
from ledger.sqliterecorder import LeanSQLiteApplicationRecorder, lean_application_recorder
from ledger.stores import (
    PostgresSidecar,
    SQLiteSidecar,
)
from ledger.thresholds import RiskThresholds
from ledger.transcodings import register_all
from ledger.type_names import type_name
from ledger.values import Actor, Receipt
from ledger.verify import UNREADABLE, ChainMapper, Verdict, verify_rows

INDEX_TOPIC = type_name(ReferenceRegistered)
CASE_LISTING_TOPICS = [
    *(type_name(cls) for cls in CASE_EVENT_TYPES),
    INDEX_TOPIC,
]
log = structlog.get_logger("ledger")


class CaseLedger(Application[UUID]):
    """The ledger of ASB cases. Build one per process; it is safe to share across threads."""

    name = "CaseLedger"

    def __init__(self, settings: Settings | None = None, env: dict[str, str] | None = None):
        self.settings = settings or Settings()
        self.store_config: StoreConfig = self.settings.store()
        if self.store_config.sqlite_path is not None:
            Path(self.store_config.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        table = self._sidecar(self.store_config)
        cache = {}
        if self.settings.case_cache_size > 0:
            cache = {
                "AGGREGATE_CACHE_MAXSIZE": str(self.settings.case_cache_size),
                "AGGREGATE_CACHE_FASTFORWARD": "y",
            }
        super().__init__(env={**self.store_config.library_env, **cache, **(env or {})})
        self._sidecar_tables = table
        path = self.settings.master_key_path
        if self.store_config.kind == "memory":
            masters = MasterKeys(AESGCM.generate_key(bit_length=256))
            self.keys = KeyStore(table, masters, self.settings.key_cache_seconds)
        else:
            masters = open_master_key(path, table)
            self.keys = KeyStore(
                table,
                masters,
                self.settings.key_cache_seconds,
                reload=lambda: master_keys(path, table),
            )
        Case.clock_skew = timedelta(seconds=self.settings.clock_skew_seconds)
        self.vocabulary = self.settings.vocabulary()
        """The council's wards and the force's reference format (``ASB_WARDS``, ...)."""
        self.organisations = OrganisationRegister(self)
        """The information sharing protocol's signatories (``ledger/organisations.py``)."""
        self.places = Places(self.keys)
        """Places as events hold them: UPRNs, or blind-indexed addresses."""
        self.people = PersonRegister(self)
        """The people behind the cases, and their blind index (``ledger/person_register.py``)."""
        self.sars = SarRegister(self)
        """Subject access requests, and the holds they place (``ledger/sar_register.py``)."""
        self.break_glass = BreakGlassRegister(self)
        """Supervisors' break-glass grants and their review (``ledger/break_glass.py``)."""
        self.holds = HoldRegister(self)
        """Legal holds, and whether one covers a case, person or category (``ledger/holds.py``)."""
        self.risk_thresholds = RiskThresholds()
        """The cumulative-harm thresholds (``ASB_RISK_*``) the closure rule judges by."""
        self.sealer = Sealer(self.keys)
        # Kept in the key table (first derived from the master key, as they were before),
        # so a rotation of the master key changes neither a stored idempotency fingerprint
        # nor the pseudonyms of an analyst's dataset.
        self._fingerprint_key = self.keys.kept_key(
            "asb:fingerprint-key", _derive(masters.wrapping, b"asb-ledger/fingerprint/v1")
        )
        self._pseudonym_root = self.keys.kept_key(
            "asb:pseudonym-root", _derive(masters.wrapping, b"asb-ledger/pseudonym/v1")
        )

    @staticmethod
    def _sidecar(config: StoreConfig) -> KeyTable:
        """The key table (and reference counters) beside the events, on the same store."""
        if config.sqlite_path is not None:
            return SQLiteSidecar(config.sqlite_path)
        if config.postgres_conninfo is not None:
            return PostgresSidecar(config.postgres_conninfo, config.postgres_schema)
        return MemoryKeyTable()

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

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the settings translated from ``ASB_*`` reach the library: a stray
        ``PERSISTENCE_MODULE`` or ``CASELEDGER_*`` in the environment is ignored."""
        return Environment(name, dict(env or {}))

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

    def prepare_opening(
        self, case_id: UUID, person_refs: Iterable[UUID], received_at: datetime
    ) -> str:
        """The reference for a new case, with the data keys for the case and its people made
        in the same transaction: an opening then commits twice (this, and the events)."""
        scopes = [case_scope(case_id), *(person_scope(ref) for ref in person_refs)]
        year = received_at.astimezone(UTC).year
        return f"ASB-{year}-{self.keys.reserve_opening(year, scopes):06d}"

    def update(
        self,
        case_id: UUID,
        expected_version: int | None,
        decide: Callable[[Case], None],
        *,
        claim: IdempotencyClaim | None = None,
        admit: Callable[[Case], None] | None = None,
        others: Iterable[Any] = (),
    ) -> Receipt:
        """One command on one case, as one unit of work.

        The case is loaded once (its chain checked); ``admit``, the caller's check on the
        case as loaded (the API's policy), may refuse it; ``expected_version`` (If-Match) is
        checked; ``decide`` calls the aggregate, whose rules refuse or trigger events; and
        the new events are saved with ``claim``'s idempotency record (and ``others``, such
        as the person register's record of someone linked) in one transaction."""
        case = self.get_case(case_id)
        if admit is not None:
            admit(case)
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion(case_id, expected_version, case.version)
        decide(case)
        return self.save_case(case, *others, claim=claim)

    def save_new_case(
        self, case: Case, *others: Any, claim: IdempotencyClaim | None = None
    ) -> Receipt:
        """Saves a newly opened case with its reference index (and ``claim``, and
        ``others``: the register's record of the complainant), atomically."""
        return self._save(
            case,
            CaseReferenceIndex(reference=case.reference, case_id=case.id),
            *others,
            claim=claim,
        )

    def save_case(self, case: Case, *others: Any, claim: IdempotencyClaim | None = None) -> Receipt:
        """Saves a case's new events (with ``claim``'s record, if given, and ``others``, in
        the same transaction); if another writer saved first, this records nothing."""
        return self._save(case, *others, claim=claim)

    def _save(self, case: Case, *others: Any, claim: IdempotencyClaim | None) -> Receipt:
        kinds = [type(e).__name__ for e in case.pending_events]
        if not kinds:
            # Nothing new: most likely a retry of a save that lost a conflict, whose events
            # were dropped with it. Saying "saved" here would hide that loss.
            raise NothingToSave(case.id)
        if claim is not None:
            others = (*others, claim.record(case.id, case.version))
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
        return self.destroy_keys([scope], actor=actor, occurred_at=occurred_at, reason=reason)[0]

    def destroy_keys(
        self, scopes: list[str], *, actor: Actor, occurred_at: datetime, reason: ErasureReason
    ) -> list[bool]:
        """Records the erasure of every scope not yet recorded, in one transaction, then
        destroys the keys in order; whether each was there to destroy. Safe to repeat."""
        missing = [scope for scope in scopes if not self._erasure_recorded(scope)]

        def record(scope: str) -> KeyErasure:
            return KeyErasure(actor=actor, occurred_at=occurred_at, scope=scope, reason=reason)

        try:
            if missing:
                self.save(*(record(scope) for scope in missing))
        except IntegrityError:  # a concurrent eraser recorded some: record the others alone
            for scope in missing:
                with contextlib.suppress(IntegrityError):
                    self.save(record(scope))
        return [self._destroy(scope, reason) for scope in scopes]

    def _erasure_recorded(self, scope: str) -> bool:
        try:
            self.repository.get(erasure_id(scope))
        except AggregateNotFoundError:
            return False
        return True

    def _destroy(self, scope: str, reason: ErasureReason) -> bool:
        destroyed = self.keys.destroy(scope)
        log.info(
            "key.destroyed",
            erasure_id=str(erasure_id(scope)),
            scope_kind=scope.split(":", 1)[0],
            reason=reason.value,
            newly=destroyed,
        )
        return destroyed

    def erase_person(
        self, person_ref: UUID, *, actor: Actor, occurred_at: datetime, reason: ErasureReason
    ) -> list[str]:
        """Erases a person: the keys of every record found to be them (a merge joins two
        records, so erasing either erases both), and with each key its index tokens."""
        scopes = [person_scope(ref) for ref in self.people.same_person(person_ref)]
        for scope in scopes:
            self.destroy_key(scope, actor=actor, occurred_at=occurred_at, reason=reason)
        return scopes

    def case_erasure(self, case_id: UUID) -> CaseErasure | None:
        """The record that a case was erased for retention, if it was."""
        try:
            found: Any = self.repository.get(retention_erasure_id(case_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, CaseErasure) else None

    def record_access(self, record: AccessRecord) -> int:
        """Appends an access record (its own stream); returns its position."""
        recordings = self.save(record)
        return recordings[-1].notification.id

    def fingerprint(self, data: bytes) -> str:
        """A keyed digest of a request, so a stored fingerprint reveals nothing of it."""
        return hmac.new(self._fingerprint_key, data, hashlib.sha256).hexdigest()

    def pseudonym_key(self, dataset: str) -> bytes:
        """A key for the keyed pseudonyms of one dataset (an analyst's export): derived from
        the master key, never stored, and different for every dataset label."""
        return _derive(
            self._pseudonym_root, b"asb-ledger/pseudonym/v1/dataset\x00" + dataset.encode("utf-8")
        )

    # ------------------------------------------------------------- reading

    def find_idempotent(self, user_id: str, key: str) -> IdempotencyRecord | None:
        """The record of an earlier command by this caller with this key, if any."""
        try:
            record: Any = self.repository.get(IdempotencyRecord.id_for(user_id, key))
        except AggregateNotFoundError:
            return None
        return record if isinstance(record, IdempotencyRecord) else None

    def current_version(self, case_id: UUID) -> int | None:
        """A case's latest version from its last stored row (nothing decoded), if any."""
        rows = self.recorder.select_events(case_id, desc=True, limit=1)
        return rows[0].originator_version if rows else None

    def position_of(self, case_id: UUID, version: int) -> int | None:
        """The notification position of a case's event at a version."""
        return position_of(self.recorder, case_id, version)

    def get_case(self, case_id: UUID, expected_version: int | None = None) -> Case:
        """Loads a case, verifying its chain; raises StaleVersion if it moved on."""
        try:
            case: Any = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
        except (IntegrityFailure, *UNREADABLE):
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
        """Every case that any row speaks of: its own events, or its reference index (so a
        case whose opening, or every event, was removed is still listed, to be checked)."""
        seen: set[UUID] = set()
        start = 1
        while True:
            notes = self.recorder.select_notifications(start, page, topics=CASE_LISTING_TOPICS)
            for note in notes:
                case_id = UUID(str(note.originator_id))
                if note.topic == INDEX_TOPIC:
                    try:
                        index = self.mapper.to_domain_event(note)
                        case_id = getattr(index, "case_id", case_id)
                    except UNREADABLE:
                        pass  # listed by its own id: checking it names the unreadable row
                if case_id not in seen:
                    seen.add(case_id)
                    yield case_id
            if len(notes) < page:
                return
            start = notes[-1].id + 1

    # ------------------------------------------------------------- verifying

    def verify_case(self, case_id: UUID, *, known: bool = False) -> Verdict:
        """Checks a case's chain from the stored rows; names the first failing version.

        A case with no rows is unknown (``CaseNotFound``) unless ``known`` says something,
        such as its reference index, shows it existed: then its rows were removed."""
        rows = self.recorder.select_events(case_id)
        if not rows and not known:
            raise CaseNotFound(case_id)
        return verify_rows(case_id, rows, self.mapper)

    def verify_all(self) -> Iterator[Verdict]:
        for case_id in self.case_ids():
            yield self.verify_case(case_id, known=True)


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)
