"""canonical_json is byte-for-byte RFC 8785 (the rfc8785 package) on the commitment domain."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.integrity import NotCanonicalisable, canonical_json

SAFE = 2**53 - 1

# Any code point except lone surrogates (which UTF-8 cannot encode).
unicode_text = st.text(st.characters(codec="utf-8"), max_size=12)
ascii_keys = st.text(st.characters(max_codepoint=0x7F), max_size=8)

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-SAFE, max_value=SAFE),
    st.sampled_from([0, 1, -1, SAFE, -SAFE, 2**31, -(2**31), 10**15]),
    unicode_text,
)

values: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(ascii_keys, inner, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=400)
@given(values)
@example({"b": 1, "a": [True, None, 'é\u2028\x7f\x1f"\\'], "": {"A": -SAFE, "_": SAFE}})
@example(["\U0001f600", "\ufeff", "\x00\x08\t\n\x0b\x0c\r", "</script>"])
def test_canonical_json_is_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(st.dictionaries(ascii_keys, values, max_size=8))
def test_object_keys_come_out_sorted_like_jcs(value: dict[str, Any]) -> None:
    # A commitment is always an object at the top level: the case the ledger hashes.
    assert canonical_json(value) == rfc8785.dumps(value)


def _in_list(parts: tuple[Any, list[Any], int]) -> list[Any]:
    bad, siblings, at = parts
    return [*siblings[:at], bad, *siblings[at:]]


def _in_dict(parts: tuple[Any, str, dict[str, Any]]) -> dict[str, Any]:
    bad, key, siblings = parts
    return {**siblings, key: bad}


def buried(bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value of the domain with one bad part somewhere inside it (or at the top)."""
    return st.recursive(
        bad,
        lambda inner: st.one_of(
            st.tuples(inner, st.lists(values, max_size=3), st.integers(0, 3)).map(_in_list),
            st.tuples(inner, ascii_keys, st.dictionaries(ascii_keys, values, max_size=3)).map(
                _in_dict
            ),
        ),
        max_leaves=6,
    )


floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 2.0**52, 1e300]),
)
out_of_range = st.one_of(
    st.integers(min_value=SAFE + 1),
    st.integers(max_value=-SAFE - 1),
    st.sampled_from([SAFE + 1, -SAFE - 1, 2**64]),
)
non_string_keys: st.SearchStrategy[Any] = st.one_of(
    st.integers(-5, 5), st.booleans(), st.none(), st.tuples(st.integers(0, 3))
).map(lambda key: {key: "value"})
non_ascii_keys = st.text(st.characters(min_codepoint=0x80, codec="utf-8"), min_size=1).map(
    lambda key: {key: 1}
)


@given(buried(floats))
def test_floats_are_refused_anywhere(value: Any) -> None:
    with pytest.raises(NotCanonicalisable):
        canonical_json(value)


@given(buried(out_of_range))
def test_integers_outside_the_safe_range_are_refused_anywhere(value: Any) -> None:
    with pytest.raises(NotCanonicalisable):
        canonical_json(value)


@given(buried(non_string_keys))
def test_non_string_keys_are_refused_anywhere(value: Any) -> None:
    with pytest.raises(NotCanonicalisable):
        canonical_json(value)


@given(buried(non_ascii_keys))
def test_non_ascii_keys_are_refused_anywhere(value: Any) -> None:
    # JCS sorts keys by UTF-16 code units, Python by code points: outside ASCII they differ,
    # so the ledger keeps such keys out of commitments rather than risk a wrong order.
    with pytest.raises(NotCanonicalisable):
        canonical_json(value)


def test_the_domain_boundaries_are_exact() -> None:
    assert canonical_json([SAFE, -SAFE]) == b"[9007199254740991,-9007199254740991]"
    for bad in (SAFE + 1, -SAFE - 1, 1.0, float("nan"), {1: "a"}, {"é": 1}):
        with pytest.raises(NotCanonicalisable):
            canonical_json({"x": [bad]})
