"""The notary's answers from committed rows: checkpoints, leaves, alarms, and proofs that are
checked against the signed note before anyone is given them.

Mixed into ``Notary`` (``projections/notary/log.py``), which names the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from ledger import merkle
from ledger.checkpoint import Checkpoint
from ledger.checkpoint import parse as parse_note
from projections.notary.model import Leaf, NotaryAlarm, SignedCheckpoint, signed_row
from projections.store import ViewStore
from projections.tables import Tables, table

Fetch = Callable[[str, tuple[object, ...]], Any]
"""Reads one row (or None) for a statement and its parameters."""


class NotaryTables(Tables):
    leaves: str = table("asb_notary_leaves", key="leaf_index")
    subtrees: str = table("asb_notary_subtrees", key="start, size")
    checkpoints: str = table("asb_notary_checkpoints", key="tree_size")
    alarms: str = table("asb_notary_alarms", key="position")


class ProofFailed(RuntimeError):
    """The notary's own rows do not prove what its signature says: never serve the proof."""


class TableHashes:
    """The notary's tables as a ``merkle.HashStore``, read through ``fetch``."""

    def __init__(self, tables: NotaryTables, fetch: Fetch) -> None:
        self._tables = tables
        self._fetch = fetch

    def leaf(self, index: int) -> bytes:
        row = self._fetch(
            f"SELECT leaf_hash FROM {self._tables.leaves} WHERE leaf_index = ?",  # noqa: S608
            (index,),
        )
        if row is None:
            raise LookupError(f"leaf {index} is not in the notary's tables")
        return bytes.fromhex(str(row[0]))

    def subtree(self, start: int, size: int) -> bytes:
        row = self._fetch(
            f"SELECT hash FROM {self._tables.subtrees} WHERE start = ? AND size = ?",  # noqa: S608
            (start, size),
        )
        if row is None:
            raise LookupError(f"subtree [{start}, {start + size}) is not in the notary's tables")
        return bytes.fromhex(str(row[0]))


class _Prefetched:
    """A proof's hashes, read beforehand, as a ``merkle.HashStore``."""

    def __init__(self, found: dict[tuple[int, int], bytes]) -> None:
        self._found = found

    def leaf(self, index: int) -> bytes:
        return self._get(index, 1)

    def subtree(self, start: int, size: int) -> bytes:
        return self._get(start, size)

    def _get(self, start: int, size: int) -> bytes:
        try:
            return self._found[(start, size)]
        except KeyError:
            raise LookupError(f"[{start}, {start + size}) is not in the notary's tables") from None


class NotaryQueries:
    """Reads of the notary's ``tables`` on ``store``."""

    store: ViewStore
    tables: NotaryTables

    def position(self) -> int:
        raise NotImplementedError  # the view's own (``View.position``) comes first

    def hashes(self) -> merkle.HashStore:
        """The committed tree as a ``merkle.HashStore``."""

        def fetch(statement: str, params: tuple[object, ...]) -> Any:
            rows = self.store.select(self.store.sql(statement), params)
            return rows[0] if rows else None

        return TableHashes(self.tables, fetch)

    def tree_size(self) -> int:
        rows = self.store.select(f"SELECT max(leaf_index) FROM {self.tables.leaves}")  # noqa: S608
        return 0 if not rows or rows[0][0] is None else int(rows[0][0]) + 1

    def latest_checkpoint(self) -> SignedCheckpoint | None:
        rows = self.store.select(
            f"SELECT tree_size, root, note, signed_at FROM {self.tables.checkpoints}"  # noqa: S608
            " ORDER BY tree_size DESC LIMIT 1"
        )
        return signed_row(rows[0]) if rows else None

    def checkpoint_at(self, size: int) -> SignedCheckpoint | None:
        rows = self.store.select(
            self.store.sql(
                f"SELECT tree_size, root, note, signed_at FROM {self.tables.checkpoints}"  # noqa: S608
                " WHERE tree_size = ?"
            ),
            (size,),
        )
        return signed_row(rows[0]) if rows else None

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every signed checkpoint, oldest first."""
        rows = self.store.select(
            f"SELECT tree_size, root, note, signed_at FROM {self.tables.checkpoints}"  # noqa: S608
            " ORDER BY tree_size"
        )
        return [signed_row(row) for row in rows]

    def _leaf_rows(self, where: str, params: tuple[object, ...]) -> list[Leaf]:
        rows = self.store.select(
            self.store.sql(
                "SELECT leaf_index, position, originator_id, version, event_hash, leaf_hash"  # noqa: S608
                f" FROM {self.tables.leaves} WHERE {where}"
            ),
            params,
        )
        return [
            Leaf(
                int(r[0]),
                int(r[1]),
                self.store.uuid_value(r[2]),
                int(r[3]),
                str(r[4]),
                bytes.fromhex(str(r[5])),
            )
            for r in rows
        ]

    def leaf_at(self, index: int) -> Leaf | None:
        found = self._leaf_rows("leaf_index = ?", (index,))
        return found[0] if found else None

    def leaf_of(self, case_id: UUID, version: int) -> Leaf | None:
        found = self._leaf_rows(
            "originator_id = ? AND version = ?", (self.store.uuid_param(case_id), version)
        )
        return found[0] if found else None

    def leaf_by_hash(self, event_hash: str) -> Leaf | None:
        found = self._leaf_rows("event_hash = ? ORDER BY leaf_index LIMIT 1", (event_hash,))
        return found[0] if found else None

    def leaves_of(self, case_id: UUID) -> list[Leaf]:
        """The logged events of one case (or access record), by version."""
        return self._leaf_rows(
            "originator_id = ? ORDER BY version", (self.store.uuid_param(case_id),)
        )

    def leaf_page(self, start: int, limit: int) -> list[tuple[int, bytes, int, bytes]]:
        """Up to ``limit`` leaves from ``start`` as (index, case id bytes, version, leaf
        hash): what a check of every leaf compares, with nothing else built."""
        rows = self.store.select(
            self.store.sql(
                "SELECT leaf_index, originator_id, version, leaf_hash"  # noqa: S608
                f" FROM {self.tables.leaves} WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?"
            ),
            (start, limit),
        )
        return [
            (int(r[0]), self.store.uuid_value(r[1]).bytes, int(r[2]), bytes.fromhex(str(r[3])))
            for r in rows
        ]

    def leaves(self, start: int, limit: int) -> list[Leaf]:
        """Up to ``limit`` leaves from index ``start``, in order."""
        return self._leaf_rows("leaf_index >= ? ORDER BY leaf_index LIMIT ?", (start, limit))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` at ``size``: its hashes read in one query."""
        plan = merkle.inclusion_plan(index, size)
        return merkle.inclusion_proof(self._prefetched(plan), index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The proof from ``old_size`` to ``new_size``: its hashes read in one query."""
        plan = merkle.consistency_plan(old_size, new_size)
        return merkle.consistency_proof(self._prefetched(plan), old_size, new_size)

    def _prefetched(self, plan: list[tuple[int, int]]) -> _Prefetched:
        """The leaves and perfect subtrees a proof's ranges read, fetched together (the
        plan is known before any read: at most ``2·⌈log2 n⌉`` rows)."""
        parts = [part for start, end in plan for part in merkle.perfect_subtrees(start, end)]
        leaves = sorted({start for start, size in parts if size == 1})
        nodes = sorted({(start, size) for start, size in parts if size > 1})
        selects, params = [], []
        if leaves:
            places = ", ".join("?" * len(leaves))
            selects.append(
                f"SELECT leaf_index, 1, leaf_hash FROM {self.tables.leaves}"  # noqa: S608
                f" WHERE leaf_index IN ({places})"
            )
            params += leaves
        if nodes:
            pairs = " OR ".join(["(start = ? AND size = ?)"] * len(nodes))
            selects.append(
                f"SELECT start, size, hash FROM {self.tables.subtrees} WHERE {pairs}"  # noqa: S608
            )
            params += [value for node in nodes for value in node]
        found: dict[tuple[int, int], bytes] = {}
        if selects:
            rows = self.store.select(self.store.sql(" UNION ALL ".join(selects)), params)
            found = {(int(r[0]), int(r[1])): bytes.fromhex(str(r[2])) for r in rows}
        return _Prefetched(found)

    def active_alarms(self) -> list[NotaryAlarm]:
        """The alarms the notary has not got past: it is still stopped at or before them."""
        position = self.position()
        return [alarm for alarm in self.alarms() if alarm.position > position]

    def alarms(self) -> list[NotaryAlarm]:
        rows = self.store.select(
            f"SELECT position, case_id, version, reason FROM {self.tables.alarms}"  # noqa: S608
            " ORDER BY position"
        )
        return [
            NotaryAlarm(
                int(r[0]),
                None if r[1] is None else self.store.uuid_value(r[1]),
                None if r[2] is None else int(r[2]),
                str(r[3]),
            )
            for r in rows
        ]

    # -------------------------------------------------------------- proofs, checked

    def checked_inclusion(
        self, leaf: Leaf, signed: SignedCheckpoint
    ) -> tuple[Checkpoint, list[bytes]]:
        """The audit path of ``leaf`` to the root that ``signed``'s note names (size and root
        from the note, never from elsewhere), verified before it is returned."""
        head = parse_note(signed.note)[0]
        try:
            path = self.inclusion_proof(leaf.index, head.size)
            if merkle.event_leaf_hash(leaf.event_hash) != leaf.leaf_hash:
                raise merkle.InvalidProof(f"leaf {leaf.index} is not the hash of its event hash")
            merkle.verify_inclusion(leaf.leaf_hash, leaf.index, head.size, path, head.root)
        except (LookupError, ValueError) as error:
            raise ProofFailed(f"inclusion: {error}") from error
        return head, path

    def checked_consistency(
        self, older: SignedCheckpoint, newer: SignedCheckpoint
    ) -> tuple[Checkpoint, Checkpoint, list[bytes]]:
        """The proof that ``newer``'s tree extends ``older``'s, verified against both notes."""
        old, new = parse_note(older.note)[0], parse_note(newer.note)[0]
        try:
            proof = self.consistency_proof(old.size, new.size)
            merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
        except (LookupError, ValueError) as error:
            raise ProofFailed(f"consistency: {error}") from error
        return old, new, proof
