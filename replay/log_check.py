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

from ledger.application import CaseLedger
from ledger.errors import IntegrityFailure
from ledger.verify import UNREADABLE
from projections.notary import Leaf, Notary, leaf_digest, logged_topics
from replay import merkle
from replay.checkpoint import Checkpoint, CheckpointError, VerifierKey, verify

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


def _leaves(notary: Notary) -> Iterator[Leaf]:
    start = 0
    while True:
        page = notary.leaves(start, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        start = page[-1].index + 1


def check_log(
    ledger: CaseLedger,
    notary: Notary,
    key: VerifierKey,
    *,
    since: str | None = None,
    advance: Callable[[int], None] = lambda _: None,
) -> LogReport:
    """Rebuilds the tree from the store and holds it to the notary's leaves, its latest
    signed checkpoint, and ``since`` (a checkpoint note pinned earlier), in that order of
    events; ``advance(n)`` is called as rows are checked."""
    latest = notary.latest_checkpoint()
    signed: Checkpoint | None = None
    if latest is not None:
        try:
            signed = verify(latest.note, key.public_key, key.name)
        except CheckpointError as error:
            return LogReport(0, None, LogFinding(f"the latest checkpoint fails: {error}"))
        if (signed.size, signed.root) != (latest.size, latest.root):
            return LogReport(0, signed, LogFinding("the stored checkpoint's columns were altered"))
    elif notary.tree_size() > 0:
        # The first page the notary commits always signs: leaves with no checkpoint mean
        # the checkpoints were removed.
        reason = "events were logged but no checkpoint is signed: the checkpoints were removed"
        return LogReport(0, None, LogFinding(reason))
    if since is not None:
        finding = _extends(notary, key, since, signed)
        if finding is not None:
            return LogReport(0, signed, finding)

    tree = merkle.CompactRange()
    rows, logged = iter(_Rows(ledger)), _leaves(notary)
    index = 0
    while True:
        row, leaf = next(rows, None), next(logged, None)
        if row is None and leaf is None:
            break
        finding = _compare(ledger, notary, index, row, leaf)
        if finding is not None:
            return LogReport(index, signed, finding)
        assert row is not None
        assert row[2] is not None
        if signed is not None and index < signed.size:
            tree.append(row[2])
            if tree.size == signed.size and tree.root() != signed.root:
                reason = (
                    f"the tree of the first {signed.size} events does not give the root signed"
                    " in the latest checkpoint: the notary's tables were rewritten"
                )
                return LogReport(index + 1, signed, LogFinding(reason))
        index += 1
        advance(1)
    if signed is not None and index < signed.size:
        reason = f"the store holds {index} events but the latest checkpoint signed {signed.size}"
        return LogReport(index, signed, LogFinding(reason))
    return LogReport(index, signed, None, index - (signed.size if signed else 0))


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
