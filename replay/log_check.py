"""Checking the store against the Merkle log: the auditor's ``verify --all``, second half.

The per-case chains (``ledger/verify.py``) show that each case's rows link up. This shows
that the rows, all together and in notification order, are the events the notary logged
and signed: it recomputes every event's hash from the row (never trusting the stored hash),
compares it with the leaf logged at its index, rebuilds the tree and compares its root with
the latest signed checkpoint, and, given a checkpoint pinned earlier (held outside the
database), checks that the signed log extends it. So it catches what a chain cannot: a case
rewritten with its chain recomputed, events cut off the end of a case, the notary's own
tables rewritten, and the whole database rolled back to an older backup.

The first failure is named by case and version where one can be: the row whose hash is not
the leaf (an edit or an insertion), or the logged event that is missing from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from uuid import UUID

from ledger import merkle
from ledger.application import CaseLedger
from ledger.checkpoint import Checkpoint, CheckpointError, VerifierKey, verify
from ledger.errors import IntegrityFailure
from ledger.verify import UNREADABLE
from projections.notary import Leaf, Notary, leaf_digest, logged_topics

PAGE = 1000


@dataclass(frozen=True)
class LogFinding:
    """What the check found wrong: a case and version where it can name one."""

    reason: str
    case_id: UUID | None = None
    version: int | None = None


@dataclass(frozen=True)
class LogReport:
    """How much was checked, and the first finding (``None``: all holds)."""

    events: int
    checkpoint: Checkpoint | None
    finding: LogFinding | None = None
    unsigned: int = 0
    """Events logged or stored after the latest checkpoint (covered by no signature yet)."""


class _Rows:
    """The store's chained events in notification order, each with its recomputed leaf."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger
        self.topics = logged_topics()

    def __iter__(self) -> Iterator[tuple[UUID, int, bytes | None]]:
        """(case id, version, leaf hash or ``None`` if the row cannot be read as an event)."""
        start = 1
        while True:
            notes = self.ledger.recorder.select_notifications(start, PAGE, topics=self.topics)
            for note in notes:
                case_id, version = UUID(str(note.originator_id)), note.originator_version
                try:
                    event = self.ledger.mapper.to_domain_event(note)
                    leaf: bytes | None = merkle.event_leaf_hash(leaf_digest(event))
                except (*UNREADABLE, IntegrityFailure, TypeError, ValueError):
                    leaf = None
                yield case_id, version, leaf
            if len(notes) < PAGE:
                return
            start = notes[-1].id + 1


def _leaves(notary: Notary) -> Iterator[tuple[int, bytes, int, bytes]]:
    start = 0
    while True:
        page = notary.leaf_page(start, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        start = page[-1][0] + 1


def _leaf(row: tuple[int, bytes, int, bytes] | None) -> Leaf | None:
    if row is None:
        return None
    index, originator, version, leaf_hash = row
    return Leaf(index, 0, UUID(bytes=originator), version, "", leaf_hash)


class LogCheck:
    """The store held to the Merkle log, fed one stored event at a time in log order."""

    def __init__(
        self, ledger: CaseLedger, notary: Notary, key: VerifierKey, since: str | None = None
    ) -> None:
        self.ledger = ledger
        self.notary = notary
        self.key = key
        self.since = since
        self.signed: Checkpoint | None = None
        self.index = 0
        self._tree = merkle.CompactRange()
        self._logged = _leaves(notary)

    def start(self) -> LogFinding | None:
        """Checks the latest checkpoint's signature, and that the log extends ``since``."""
        latest = self.notary.latest_checkpoint()
        if latest is not None:
            try:
                self.signed = verify(latest.note, self.key.public_key, self.key.name)
            except CheckpointError as error:
                return LogFinding(f"the latest checkpoint fails: {error}")
            if (self.signed.size, self.signed.root) != (latest.size, latest.root):
                return LogFinding("the stored checkpoint's columns were altered")
        elif self.notary.tree_size() > 0:
            # The first page the notary commits always signs: leaves with no checkpoint
            # mean the checkpoints were removed.
            return LogFinding(
                "events were logged but no checkpoint is signed: the checkpoints were removed"
            )
        if self.since is not None:
            return _extends(self.notary, self.key, self.since, self.signed)
        return None

    def feed(self, case_id: UUID | bytes, version: int, leaf: bytes | None) -> LogFinding | None:
        """The next stored event (its recomputed leaf hash, ``None`` if unreadable)."""
        index, signed = self.index, self.signed
        originator = case_id if isinstance(case_id, bytes) else case_id.bytes
        stored = next(self._logged, None)
        if stored is None or leaf is None or stored[1:] != (originator, version, leaf):
            row = (UUID(bytes=originator), version, leaf)
            finding = _compare(self.ledger, self.notary, index, row, _leaf(stored))
            if finding is not None:
                return finding
        assert leaf is not None
        if signed is not None and index < signed.size:
            self._tree.append(leaf)
            if self._tree.size == signed.size and self._tree.root() != signed.root:
                return LogFinding(
                    f"the tree of the first {signed.size} events does not give the root signed"
                    " in the latest checkpoint: the notary's tables were rewritten"
                )
        self.index += 1
        return None

    def finish(self) -> LogFinding | None:
        """After the last stored event: what the log holds beyond it is missing."""
        leaf = _leaf(next(self._logged, None))
        if leaf is not None:
            return _compare(self.ledger, self.notary, self.index, None, leaf)
        if self.signed is not None and self.index < self.signed.size:
            return LogFinding(
                f"the store holds {self.index} events but the latest checkpoint signed"
                f" {self.signed.size}"
            )
        return None

    @property
    def unsigned(self) -> int:
        """Events checked beyond the latest checkpoint (covered by no signature yet)."""
        return self.index - (self.signed.size if self.signed else 0)


def check_log(
    ledger: CaseLedger,
    notary: Notary,
    key: VerifierKey,
    *,
    since: str | None = None,
    advance: Callable[[int], None] = lambda _: None,
) -> LogReport:
    """The log check alone, reading the stored events itself (``verify --all`` feeds
    ``LogCheck`` from its one pass instead: ``replay/ledger_check.py``)."""
    check = LogCheck(ledger, notary, key, since)
    finding = check.start()
    if finding is None:
        for case_id, version, leaf in _Rows(ledger):
            finding = check.feed(case_id, version, leaf)
            if finding is not None:
                break
            advance(1)
        else:
            finding = check.finish()
    return LogReport(check.index, check.signed, finding, check.unsigned)


def _compare(
    ledger: CaseLedger,
    notary: Notary,
    index: int,
    row: tuple[UUID, int, bytes | None] | None,
    leaf: Leaf | None,
) -> LogFinding | None:
    """Why the row and the leaf at ``index`` are not the same event, if they are not."""
    if row is None:
        assert leaf is not None
        return LogFinding(
            f"logged at leaf {index} but missing from the store", leaf.case_id, leaf.version
        )
    case_id, version, hashed = row
    if hashed is None:
        return LogFinding("stored event cannot be read as a chained event", case_id, version)
    if leaf is None:
        return None  # stored after the notary's last page: only the chain covers it yet
    if hashed == leaf.leaf_hash and (case_id, version) == (leaf.case_id, leaf.version):
        return None
    if (case_id, version) == (leaf.case_id, leaf.version):
        return LogFinding(
            f"the stored event is not the one logged at leaf {index}: altered", case_id, version
        )
    if not _stored(ledger, leaf.case_id, leaf.version):
        return LogFinding(
            f"logged at leaf {index} but missing from the store", leaf.case_id, leaf.version
        )
    if notary.leaf_of(case_id, version) is None:
        return LogFinding(
            f"stored where leaf {index} logged another event: inserted", case_id, version
        )
    return LogFinding(
        f"stored out of the logged order (leaf {index} is case {leaf.case_id}"
        f" version {leaf.version})",
        case_id,
        version,
    )


def _stored(ledger: CaseLedger, case_id: UUID, version: int) -> bool:
    rows = ledger.recorder.select_events(case_id, gt=version - 1, lte=version)
    return bool(rows)


def _extends(
    notary: Notary, key: VerifierKey, pinned: str, latest: Checkpoint | None
) -> LogFinding | None:
    """Why the signed log does not extend the pinned checkpoint, if it does not."""
    try:
        old = verify(pinned, key.public_key, key.name)
    except CheckpointError as error:
        return LogFinding(f"the pinned checkpoint fails: {error}")
    if latest is None:
        return LogFinding(
            f"the pinned checkpoint covers {old.size} events but none is signed in the store:"
            " the store was rolled back or replaced"
        )
    if old.size > latest.size:
        return LogFinding(
            f"the latest checkpoint covers {latest.size} events, fewer than the {old.size} of the"
            " pinned one: the store was rolled back"
        )
    try:
        proof = notary.consistency_proof(old.size, latest.size)
        merkle.verify_consistency(old.size, latest.size, old.root, latest.root, proof)
    except (merkle.InvalidProof, LookupError) as error:
        return LogFinding(
            f"the log at {latest.size} does not extend the pinned checkpoint at {old.size}:"
            f" the store was rolled back or rewritten ({error})"
        )
    return None
