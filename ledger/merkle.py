"""RFC 9162 Merkle tree hashing for the ledger-wide log: tree heads, proofs and their checks.

Standard library only, so the offline verifier can depend on it. A leaf is
``SHA-256(0x00 ‖ data)``, an interior node ``SHA-256(0x01 ‖ left ‖ right)``, the
empty tree's head ``SHA-256()``; the ledger's leaf data is the 32 raw bytes of an
event's hex ``event_hash`` (``event_leaf_hash``).

Storage keeps every *perfect* subtree: ``size`` (a power of two) leaves from
``start`` (a multiple of ``size``). They never change once their last leaf arrives
(``completed_by``, ``CompactRange.append``), so proofs for any past tree size can be
read from them. Every proof element is the head of a range ``[start, end)``; a
range that is not itself perfect always ends at the tree's right edge and is split
into perfect subtrees by the binary digits of its length, largest first
(``perfect_subtrees``), its head being the right-to-left fold of theirs. A proof thus
costs at most ``2·⌈log2 n⌉`` reads (``inclusion_plan``, ``consistency_plan``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_HEX = frozenset("0123456789abcdef")


class InvalidProof(ValueError):
    """A proof or tree head that does not verify or is not well formed; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf_data(event_hash: str) -> bytes:
    """The leaf data for an event: the 32 raw bytes of its lowercase hex ``event_hash``."""
    if len(event_hash) != 2 * HASH_SIZE or not _HEX.issuperset(event_hash):
        raise ValueError(f"event hash {event_hash!r} is not 64 lowercase hex digits")
    return bytes.fromhex(event_hash)


def event_leaf_hash(event_hash: str) -> bytes:
    """The leaf hash the log holds for an event."""
    return leaf_hash(event_leaf_data(event_hash))


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (at least 2): where RFC 9162 splits."""
    return 1 << ((size - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidProof(f"{what} is not a {HASH_SIZE}-byte hash")


def _fold(heads: Sequence[bytes]) -> bytes:
    """The head of adjacent perfect subtrees, largest first: the RFC's split, right to left."""
    node = heads[-1]
    for left in reversed(heads[:-1]):
        node = node_hash(left, node)
    return node


@dataclass(frozen=True, slots=True)
class Subtree:
    """A perfect subtree: ``size`` leaves (a power of two) from ``start`` (a multiple of it)."""

    start: int
    size: int
    hash: bytes


class HashStore(Protocol):
    """Where a log keeps its leaf hashes and the heads of its perfect subtrees."""

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        ...

    def subtree(self, start: int, size: int) -> bytes:
        """The head of the perfect subtree of ``size`` (≥ 2) leaves from ``start``."""
        ...


def completed_by(index: int) -> list[tuple[int, int]]:
    """(start, size) of each perfect subtree of 2 or more leaves that leaf ``index`` completes."""
    done = []
    size = 2
    while (index + 1) % size == 0:
        done.append((index + 1 - size, size))
        size *= 2
    return done


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into aligned perfect subtrees (start, size), largest first."""
    parts = []
    remaining = end - start
    while remaining > 0:
        size = 1 << (remaining.bit_length() - 1)
        if start % size:
            raise ValueError(f"[{start}, {end}) does not split into aligned perfect subtrees")
        parts.append((start, size))
        start += size
        remaining -= size
    return parts


def _read(store: HashStore, start: int, size: int) -> bytes:
    return store.leaf(start) if size == 1 else store.subtree(start, size)


def range_hash(store: HashStore, start: int, end: int) -> bytes:
    """The RFC 9162 head of leaves ``[start, end)``, read as perfect subtrees."""
    return _fold([_read(store, s, n) for s, n in perfect_subtrees(start, end)])


def tree_head(store: HashStore, size: int) -> bytes:
    """The root of the first ``size`` leaves (MTH), in at most log2(size) + 1 reads."""
    return EMPTY_ROOT if size == 0 else range_hash(store, 0, size)


class CompactRange:
    """A growing tree kept as the heads of its O(log n) largest perfect subtrees."""

    def __init__(self, size: int = 0, heads: Sequence[bytes] = ()) -> None:
        if size < 0 or len(heads) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} perfect heads")
        for head in heads:
            _check_hash(head, "a subtree head")
        self._size = size
        self._heads = list(heads)

    @classmethod
    def resume(cls, store: HashStore, size: int) -> CompactRange:
        """Pick up a stored tree of ``size`` leaves in at most log2(size) + 1 reads."""
        return cls(size, [_read(store, s, n) for s, n in perfect_subtrees(0, size)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def heads(self) -> tuple[bytes, ...]:
        return tuple(self._heads)

    def append(self, leaf: bytes) -> list[Subtree]:
        """Add a leaf hash; returns the perfect subtrees it completes, smallest first."""
        _check_hash(leaf, "a leaf hash")
        end = self._size + 1
        node, size, done = leaf, 1, []
        while self._size & size:
            node = node_hash(self._heads.pop(), node)
            size <<= 1
            done.append(Subtree(end - size, size, node))
        self._heads.append(node)
        self._size = end
        return done

    def root(self) -> bytes:
        """The tree head (MTH) of the leaves so far."""
        return _fold(self._heads) if self._heads else EMPTY_ROOT


def tree_root(leaves: Iterable[bytes]) -> bytes:
    """The tree head of a sequence of leaf hashes, in O(log n) memory."""
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


class MemoryHashStore:
    """A ``HashStore`` in memory: what a storage layer keeps, as leaves arrive."""

    def __init__(self) -> None:
        self._leaves: list[bytes] = []
        self._subtrees: dict[tuple[int, int], bytes] = {}
        self._tree = CompactRange()

    def append(self, leaf: bytes) -> None:
        for done in self._tree.append(leaf):
            self._subtrees[(done.start, done.size)] = done.hash
        self._leaves.append(leaf)

    @property
    def size(self) -> int:
        return len(self._leaves)

    def leaf(self, index: int) -> bytes:
        return self._leaves[index]

    def subtree(self, start: int, size: int) -> bytes:
        return self._subtrees[(start, size)]


def inclusion_plan(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges [start, end) whose heads form PATH(index, D[size]), leaf level first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    plan = []
    start, end = 0, size
    while end - start > 1:
        mid = start + split_point(end - start)
        if index < mid:
            plan.append((mid, end))
            end = mid
        else:
            plan.append((start, mid))
            start = mid
    plan.reverse()
    return plan


def consistency_plan(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The ranges whose heads form PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} leaves to {new_size}")
    if old_size in (0, new_size):
        return []
    plan = []
    start, end, whole = 0, new_size, True
    while old_size != end:
        mid = start + split_point(end - start)
        if old_size <= mid:
            plan.append((mid, end))
            end = mid
        else:
            plan.append((start, mid))
            start, whole = mid, False
    if not whole:
        plan.append((start, end))
    plan.reverse()
    return plan


def inclusion_proof(store: HashStore, index: int, size: int) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of ``size`` leaves."""
    return [range_hash(store, start, end) for start, end in inclusion_plan(index, size)]


def consistency_proof(store: HashStore, old_size: int, new_size: int) -> list[bytes]:
    """The proof that the tree of ``old_size`` leaves is a prefix of that of ``new_size``."""
    return [range_hash(store, s, e) for s, e in consistency_plan(old_size, new_size)]


def _shift_to_odd(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ``InvalidProof`` unless ``leaf`` is at ``index`` under ``root``."""
    _check_hash(leaf, "the leaf hash")
    _check_hash(root, "the root")
    for element in proof:
        _check_hash(element, "a proof element")
    if not 0 <= index < size:
        raise InvalidProof(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn, node = index, size - 1, leaf
    for element in proof:
        if sn == 0:
            raise InvalidProof("the inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            node = node_hash(element, node)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            node = node_hash(node, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("the inclusion proof is shorter than the path to the root")
    if node != root:
        raise InvalidProof(f"the inclusion proof for leaf {index} does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ``InvalidProof`` unless the old tree is a prefix of the new.

    Beyond the RFC's 0 < old < new: equal sizes need equal roots and an empty proof, and
    the empty tree (whose root must be ``EMPTY_ROOT``) is a prefix of every tree.
    """
    _check_hash(old_root, "the old root")
    _check_hash(new_root, "the new root")
    for element in proof:
        _check_hash(element, "a proof element")
    if not 0 <= old_size <= new_size:
        raise InvalidProof(f"a tree of {old_size} leaves cannot grow into one of {new_size}")
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise InvalidProof("the old root is not the root of the empty tree")
    if old_size in (0, new_size):
        if proof:
            raise InvalidProof("the consistency proof should be empty")
        if old_size == new_size and old_root != new_root:
            raise InvalidProof(f"two different roots for a tree of {old_size} leaves")
        return
    if not proof:
        raise InvalidProof("the consistency proof is empty")
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_node = new_node = path[0]
    for element in path[1:]:
        if sn == 0:
            raise InvalidProof("the consistency proof is too long")
        if fn & 1 or fn == sn:
            old_node = node_hash(element, old_node)
            new_node = node_hash(element, new_node)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            new_node = node_hash(new_node, element)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("the consistency proof is too short")
    if old_node != old_root:
        raise InvalidProof(f"the consistency proof does not lead to the root at {old_size}")
    if new_node != new_root:
        raise InvalidProof(f"the consistency proof does not lead to the root at {new_size}")
