"""The Merkle log's hashing and proofs agree with RFC 9162's recursive definitions."""

from __future__ import annotations

import base64
import functools
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity import commitment, hash_commitment
from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    InvalidProof,
    MemoryHashStore,
    completed_by,
    consistency_plan,
    consistency_proof,
    event_leaf_data,
    event_leaf_hash,
    inclusion_plan,
    inclusion_proof,
    leaf_hash,
    perfect_subtrees,
    tree_head,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

MAX_N = 64


# The reference: RFC 9162 §2.1 transcribed literally, recursive and slicing.
def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _k(n: int) -> int:
    k = 1
    while 2 * k < n:
        k *= 2
    return k


def naive_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return _leaf(d[0])
    k = _k(len(d))
    return _node(naive_mth(d[:k]), naive_mth(d[k:]))


def naive_path(m: int, d: list[bytes]) -> list[tuple[bytes, bool]]:
    """PATH(m, D[n]), each element with whether it is a left sibling."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*naive_path(m, d[:k]), (naive_mth(d[k:]), False)]
    return [*naive_path(m - k, d[k:]), (naive_mth(d[:k]), True)]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[tuple[bytes, str]]:
    """SUBPROOF(m, D[n], b), each element with its role: "seed", "left" or "right" sibling."""
    n = len(d)
    if m == n:
        return [] if b else [(naive_mth(d), "seed")]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), (naive_mth(d[k:]), "right")]
    return [*naive_subproof(m - k, d[k:], False), (naive_mth(d[:k]), "left")]


def naive_proof(m: int, d: list[bytes]) -> list[tuple[bytes, str]]:
    return naive_subproof(m, d, True) if 0 < m < len(d) else []


@functools.cache
def path_sides(m: int, n: int) -> tuple[bool, ...]:
    """The shape of PATH(m, D[n]): whether each element is a left sibling."""
    if n == 1:
        return ()
    k = _k(n)
    return (*path_sides(m, k), False) if m < k else (*path_sides(m - k, n - k), True)


@functools.cache
def proof_roles(m: int, n: int, b: bool = True) -> tuple[str, ...]:
    """The shape of SUBPROOF(m, D[n], b): the role of each element."""
    if m == n:
        return () if b else ("seed",)
    k = _k(n)
    if m <= k:
        return (*proof_roles(m, k, b), "right")
    return (*proof_roles(m - k, n - k, False), "left")


class CountingStore:
    """A HashStore that counts its reads."""

    def __init__(self, inner: MemoryHashStore) -> None:
        self.inner = inner
        self.reads = 0

    def leaf(self, index: int) -> bytes:
        self.reads += 1
        return self.inner.leaf(index)

    def subtree(self, start: int, size: int) -> bytes:
        self.reads += 1
        return self.inner.subtree(start, size)


def store_of(data: list[bytes]) -> MemoryHashStore:
    store = MemoryHashStore()
    for item in data:
        store.append(_leaf(item))
    return store


FIXED = [hashlib.sha256(i.to_bytes(2, "big")).digest() for i in range(MAX_N)]
FIXED_STORE = store_of(FIXED)
event_hashes = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=MAX_N)


def flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def inclusion_ok(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except InvalidProof:
        return False
    return True


def consistency_ok(m: int, n: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    try:
        verify_consistency(m, n, old_root, new_root, proof)
    except InvalidProof:
        return False
    return True


# Known answers: the RFC 6962 vectors of github.com/transparency-dev/merkle (testonly/,
# testdata/), the same hashing as RFC 9162.
KAT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243"]] + [
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
KAT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
KAT_INCLUSION = [  # (index, size, proof)
    (0, 1, []),
    (0, 8, ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="]),
    (5, 8, ["vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
            "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="]),
    (2, 3, ["+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU="]),
    (1, 5, ["bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="]),
]  # fmt: skip
KAT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
            "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="]),
    (6, 8, ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
            "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="]),
    (2, 5, ["Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
            "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="]),
    (6, 7, ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=",
            "sIaT7C5yFZcTBkHoIR5+7cy0wmQTlj7ubB4u0W/7Gl8=",
            "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="]),
]  # fmt: skip
KAT_STORE = store_of(KAT_LEAVES)


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == KAT_ROOTS[0]
    assert tree_root([]) == CompactRange().root() == tree_head(KAT_STORE, 0) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(len(KAT_ROOTS)))
def test_known_roots(size: int) -> None:
    assert tree_root(leaf_hash(d) for d in KAT_LEAVES[:size]).hex() == KAT_ROOTS[size]
    assert tree_head(KAT_STORE, size).hex() == KAT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), KAT_INCLUSION)
def test_known_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    expected = [base64.b64decode(p) for p in proof]
    assert inclusion_proof(KAT_STORE, index, size) == expected
    root = bytes.fromhex(KAT_ROOTS[size])
    verify_inclusion(leaf_hash(KAT_LEAVES[index]), index, size, expected, root)


@pytest.mark.parametrize(("old", "new", "proof"), KAT_CONSISTENCY)
def test_known_consistency_proofs(old: int, new: int, proof: list[str]) -> None:
    expected = [base64.b64decode(p) for p in proof]
    assert consistency_proof(KAT_STORE, old, new) == expected
    old_root, new_root = bytes.fromhex(KAT_ROOTS[old]), bytes.fromhex(KAT_ROOTS[new])
    verify_consistency(old, new, old_root, new_root, expected)


@pytest.mark.parametrize("n", range(MAX_N + 1))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_incremental_root_equals_the_recursive_root(n: int, data: st.DataObject) -> None:
    leaves = data.draw(st.lists(st.binary(min_size=32, max_size=32), min_size=n, max_size=n))
    tree = CompactRange()
    for i, item in enumerate(leaves):
        tree.append(leaf_hash(item))
        assert tree.size == i + 1
        assert len(tree.heads) == (i + 1).bit_count()
    assert tree.root() == tree_root(map(leaf_hash, leaves)) == naive_mth(leaves)
    assert tree_head(store_of(leaves), n) == naive_mth(leaves)


@pytest.mark.parametrize("n", range(1, MAX_N + 1))
def test_every_inclusion_proof_equals_the_rfc_path_and_verifies(n: int) -> None:
    root, smaller_root = naive_mth(FIXED[:n]), naive_mth(FIXED[: n - 1])
    for index in range(n):
        path = naive_path(index, FIXED[:n])
        proof = inclusion_proof(FIXED_STORE, index, n)
        assert proof == [h for h, _ in path]
        assert tuple(left for _, left in path) == path_sides(index, n)
        leaf = _leaf(FIXED[index])
        verify_inclusion(leaf, index, n, proof, root)
        for i, element in enumerate(proof):
            for bit in (0, 7 * i + 3, 255):
                bad = [*proof[:i], flip(element, bit), *proof[i + 1 :]]
                assert not inclusion_ok(leaf, index, n, bad, root)
        assert not inclusion_ok(flip(leaf, 0), index, n, proof, root)
        assert not inclusion_ok(leaf, index, n, proof, flip(root, 255))
        assert not inclusion_ok(leaf, index, n, proof, smaller_root)
        if proof:
            assert not inclusion_ok(leaf, index, n, proof[:-1], root)
            assert not inclusion_ok(leaf, index, n, proof[1:], root)
        assert not inclusion_ok(leaf, index, n, [*proof, root], root)
        assert not inclusion_ok(leaf, index, n, [root, *proof], root)
        for other in range(n + 1):
            if other != index:
                assert not inclusion_ok(leaf, other, n, proof, root)
        for size in range(1, MAX_N + 1):
            # A path proves a leaf under a root, not the tree's size: a proof is good for
            # another size exactly when that size gives the leaf the same path shape.
            same_shape = index < size and path_sides(index, size) == path_sides(index, n)
            accepted = inclusion_ok(leaf, index, size, proof, root)
            assert accepted == same_shape


@pytest.mark.parametrize("n", range(MAX_N + 1))
def test_every_consistency_proof_equals_the_rfc_proof_and_verifies(n: int) -> None:
    new_root = naive_mth(FIXED[:n])
    for m in range(n + 1):
        old_root = naive_mth(FIXED[:m])
        proof = consistency_proof(FIXED_STORE, m, n)
        expected = naive_proof(m, FIXED[:n])
        assert proof == [h for h, _ in expected]
        if 0 < m < n:
            assert tuple(role for _, role in expected) == proof_roles(m, n)
        verify_consistency(m, n, old_root, new_root, proof)
        for i, element in enumerate(proof):
            for bit in (0, 7 * i + 3, 255):
                bad = [*proof[:i], flip(element, bit), *proof[i + 1 :]]
                assert not consistency_ok(m, n, old_root, new_root, bad)
        assert not consistency_ok(m, n, flip(old_root, 0), new_root, proof)
        if m > 0:  # the empty tree is a prefix of any tree, whatever its root
            assert not consistency_ok(m, n, old_root, flip(new_root, 9), proof)
        if m != n:
            assert not consistency_ok(m, n, new_root, old_root, proof)
        if proof:
            assert not consistency_ok(m, n, old_root, new_root, proof[:-1])
            assert not consistency_ok(m, n, old_root, new_root, proof[1:])
        extended = [*proof, new_root]
        assert not consistency_ok(m, n, old_root, new_root, extended)
        for size in range(MAX_N + 1):
            if size != m:
                assert not consistency_ok(size, n, old_root, new_root, proof)
            # As with inclusion, the new size is bound by the signed checkpoint, not the
            # proof: another new size passes exactly when it gives the proof the same shape
            # (and the empty tree is a prefix of every tree).
            if m == 0:
                same_shape = size > 0 or n == 0
            elif m in (n, size):
                same_shape = m == n == size
            else:
                same_shape = m < size and proof_roles(m, size) == proof_roles(m, n)
            accepted = consistency_ok(m, size, old_root, new_root, proof)
            assert accepted == same_shape


@settings(max_examples=300, deadline=None)
@given(leaves=event_hashes, data=st.data())
def test_any_flipped_bit_in_a_proof_fails(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    store = store_of(leaves)
    root = tree_head(store, n)
    index = data.draw(st.integers(0, n - 1))
    m = data.draw(st.integers(1, n))
    old_root = tree_head(store, m)
    inclusion = inclusion_proof(store, index, n)
    consistency = consistency_proof(store, m, n)
    assert inclusion_ok(_leaf(leaves[index]), index, n, inclusion, root)
    assert consistency_ok(m, n, old_root, root, consistency)
    if inclusion:
        i, bit = data.draw(st.integers(0, len(inclusion) - 1)), data.draw(st.integers(0, 255))
        bad = [*inclusion[:i], flip(inclusion[i], bit), *inclusion[i + 1 :]]
        assert not inclusion_ok(_leaf(leaves[index]), index, n, bad, root)
    if consistency:
        i, bit = data.draw(st.integers(0, len(consistency) - 1)), data.draw(st.integers(0, 255))
        bad = [*consistency[:i], flip(consistency[i], bit), *consistency[i + 1 :]]
        assert not consistency_ok(m, n, old_root, root, bad)


def test_malformed_inputs_are_refused() -> None:
    leaf, root = _leaf(b"x"), _leaf(b"x")
    assert not inclusion_ok(leaf, 0, 0, [], EMPTY_ROOT)
    assert not inclusion_ok(leaf[:31], 0, 1, [], root)
    assert not inclusion_ok(leaf, 0, 2, [b"short"], root)
    assert not consistency_ok(2, 1, root, root, [])
    assert not consistency_ok(0, 1, root, root, [])  # not the empty root
    assert not consistency_ok(0, 0, root, root, [])
    assert not consistency_ok(1, 2, root, root, [])
    assert not consistency_ok(1, 1, root, root, [root])
    verify_consistency(0, 5, EMPTY_ROOT, root, [])  # the empty tree is a prefix of any
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(FIXED_STORE, 3, 3)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(FIXED_STORE, 4, 3)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 63, 64, 1000, 2**17 + 12345])
def test_proofs_read_o_log_n_stored_hashes(n: int) -> None:
    store = FIXED_STORE if n <= MAX_N else store_of([i.to_bytes(4, "big") for i in range(n)])
    bound = 2 * (n - 1).bit_length()  # 2·⌈log2 n⌉
    samples = sorted({0, 1, n // 3, n // 2, n - 2, n - 1} & set(range(n)))
    for i in samples:
        counting = CountingStore(store)
        proof = inclusion_proof(counting, i, n)
        assert counting.reads <= bound
        verify_inclusion(store.leaf(i), i, n, proof, tree_head(store, n))
    for m in {*samples, n}:
        counting = CountingStore(store)
        proof = consistency_proof(counting, m, n)
        assert counting.reads <= bound
        verify_consistency(m, n, tree_head(store, m), tree_head(store, n), proof)
    counting = CountingStore(store)
    resumed = CompactRange.resume(counting, n)
    assert counting.reads == n.bit_count()
    assert resumed.root() == tree_head(store, n)


@pytest.mark.parametrize("n", range(1, MAX_N + 1))
def test_plans_read_only_aligned_perfect_subtrees_inside_the_tree(n: int) -> None:
    plans = [inclusion_plan(i, n) for i in range(n)] + [consistency_plan(m, n) for m in range(n)]
    for plan in plans:
        for start, end in plan:
            assert 0 <= start < end <= n
            for s, size in perfect_subtrees(start, end):
                assert size & (size - 1) == 0
                assert s % size == 0
                assert s + size <= n


def test_each_append_completes_the_perfect_subtrees_it_closes() -> None:
    tree, seen = CompactRange(), set()
    for i, item in enumerate(FIXED):
        done = tree.append(_leaf(item))
        assert [(s.start, s.size) for s in done] == completed_by(i)
        for s in done:
            assert s.hash == naive_mth(FIXED[s.start : s.start + s.size])
            seen.add((s.start, s.size))
    aligned = {(s, w) for w in (2, 4, 8, 16, 32, 64) for s in range(0, MAX_N - w + 1, w)}
    assert seen == aligned
    assert completed_by(0) == []
    assert completed_by(6) == []
    assert completed_by(7) == [(6, 2), (4, 4), (0, 8)]


def test_a_compact_range_round_trips_through_its_heads() -> None:
    tree = CompactRange()
    for item in FIXED[:45]:
        tree.append(_leaf(item))
    again = CompactRange(tree.size, tree.heads)
    for item in FIXED[45:]:
        tree.append(_leaf(item))
        again.append(_leaf(item))
    assert again.root() == tree.root() == naive_mth(FIXED)
    with pytest.raises(ValueError, match="perfect heads"):
        CompactRange(45, tree.heads)
    with pytest.raises(InvalidProof):
        tree.append(b"not a hash")


def test_the_leaf_data_is_the_raw_bytes_of_the_event_hash() -> None:
    event_hash = hash_commitment(
        commitment(
            case_id="c",
            version=1,
            topic="t",
            recorded_at="2026-01-01T00:00:00+00:00",
            actor={"id": "a"},
            fields={},
            prev_hash="0" * 64,
        )
    )
    raw = bytes.fromhex(event_hash)
    assert event_leaf_data(event_hash) == raw
    assert event_leaf_hash(event_hash) == hashlib.sha256(b"\x00" + raw).digest()
    for bad in [event_hash.upper(), event_hash[:-1], event_hash + "0", "g" * 64]:
        with pytest.raises(ValueError, match="64 lowercase hex"):
            event_leaf_data(bad)
