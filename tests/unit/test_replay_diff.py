"""The field-by-field diff of two case views: examples of each kind of change, and a property
that the changes, applied to the earlier view, give exactly the later one."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from replay.diff import Change, diff

KEYED = {"people": "person_ref", "actions": "action_id"}
REF_A = "0b6c4f2e-7f0a-4c55-9d0e-2b8a1e1f4a10"
REF_B = "5d1f9a3c-2e4b-4a7d-8c6f-1a2b3c4d5e6f"


def paths(changes: list[Change]) -> list[tuple[str, str]]:
    return [(change.path, change.op) for change in changes]


def test_the_same_view_has_no_changes() -> None:
    view = {"status": "open", "people": [{"person_ref": REF_A, "name": "A"}], "closure": None}
    assert diff(view, view, keyed=KEYED) == []


def test_a_value_that_appears_is_added_one_that_goes_is_removed_and_others_change() -> None:
    before = {"status": "open", "team": None, "officer": "cw-1", "reopen_count": 0}
    after = {"status": "closed", "team": "north", "officer": None, "reopen_count": 0}
    changes = diff(before, after)
    assert changes == [
        Change(segments=("status",), op="changed", before="open", after="closed"),
        Change(segments=("team",), op="added", after="north"),
        Change(segments=("officer",), op="removed", before="cw-1"),
    ]


def test_an_object_that_appears_is_one_change_and_one_that_changes_is_one_per_field() -> None:
    closure = {"reason": "resolved", "closed_by": "cw-1"}
    assert paths(diff({"closure": None}, {"closure": closure})) == [("closure", "added")]
    assert diff({"closure": closure}, {"closure": {**closure, "reason": "not_asb"}}) == [
        Change(segments=("closure", "reason"), op="changed", before="resolved", after="not_asb")
    ]


def test_items_with_an_identity_are_named_by_it() -> None:
    before = {"people": [{"person_ref": REF_A, "name": "A", "roles": ["victim"]}]}
    after = {
        "people": [
            {"person_ref": REF_B, "name": "B", "roles": ["witness"]},
            {"person_ref": REF_A, "name": "A", "roles": ["victim", "witness"]},
        ]
    }
    changes = diff(before, after, keyed=KEYED)
    assert paths(changes) == [
        (f"people.{REF_A}.roles", "changed"),  # a list of values changes whole
        (f"people.{REF_B}", "added"),
    ]
    assert changes[0].before == ["victim"]
    assert changes[0].after == ["victim", "witness"]
    assert changes[1].after == after["people"][0]


def test_an_identity_with_a_dot_is_exact_in_the_segments() -> None:
    before = {"actions": [{"action_id": "visit.1", "status": "open"}]}
    after = {"actions": [{"action_id": "visit.1", "status": "completed"}]}
    (change,) = diff(before, after, keyed=KEYED)
    assert change.segments == ("actions", "visit.1", "status")
    assert change.path == "actions.visit.1.status"


def test_items_without_an_identity_are_named_by_their_place() -> None:
    before = {"contacts": [{"method": "phone"}], "people": [{"name": "no ref"}]}
    after = {
        "contacts": [{"method": "phone"}, {"method": "letter"}],
        "people": [{"name": "renamed"}],
    }
    assert paths(diff(before, after, keyed=KEYED)) == [
        ("contacts.1", "added"),
        ("people.0.name", "changed"),
    ]


def test_items_whose_identities_repeat_are_named_by_their_place() -> None:
    twice = [{"person_ref": REF_A, "name": "A"}, {"person_ref": REF_A, "name": "B"}]
    after = [{"person_ref": REF_A, "name": "A"}, {"person_ref": REF_A, "name": "C"}]
    assert paths(diff({"people": twice}, {"people": after}, keyed=KEYED)) == [
        ("people.1.name", "changed")
    ]


def test_an_empty_list_of_items_gains_items_and_a_list_of_values_changes_whole() -> None:
    assert paths(diff({"contacts": []}, {"contacts": [{"method": "phone"}]})) == [
        ("contacts.0", "added")
    ]
    assert diff({"harms": []}, {"harms": ["targeted"]}) == [
        Change(segments=("harms",), op="changed", before=[], after=["targeted"])
    ]


# ------------------------------------------------------------------ the property


def normal(value: Any, name: str | None = None) -> Any:
    """A view with every list of items turned into an object under each item's identity (or
    place), empty lists as empty objects and nulls dropped: the shape a diff's paths name."""
    if isinstance(value, dict):
        return {k: normal(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        field = KEYED.get(name or "")
        keys: list[Any] = [item[field] for item in value] if field else list(range(len(value)))
        return {key: normal(item) for key, item in zip(keys, value, strict=True)}
    return value


def patched(view: Any, changes: list[Change]) -> Any:
    """``view`` (normalised) with the changes applied at their segments."""
    result = normal(view)
    for change in changes:
        *parents, last = change.segments
        node = result
        for segment in parents:
            node = node[segment]
        if change.op == "removed":
            del node[last]
        else:
            node[last] = normal(change.after, last if isinstance(last, str) else None)
    return result


text = st.sampled_from(["a", "b", "c"])
people = st.lists(
    st.fixed_dictionaries(
        {
            "person_ref": st.sampled_from([REF_A, REF_B, "c", "d.e"]),
            "name": st.none() | text,
            "roles": st.lists(text, max_size=2),
        }
    ),
    max_size=3,
    unique_by=lambda person: str(person["person_ref"]),
)
views = st.fixed_dictionaries(
    {
        "status": text,
        "team": st.none() | text,
        "people": people,
        "contacts": st.lists(st.fixed_dictionaries({"method": text}), max_size=3),
        "closure": st.none() | st.fixed_dictionaries({"reason": text, "by": st.none() | text}),
        "harms": st.lists(text, max_size=2),
    }
)


@given(before=views, after=views)
def test_the_changes_turn_the_earlier_view_into_the_later(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    changes = diff(before, after, keyed=KEYED)
    assert patched(before, changes) == normal(after)
    assert (changes == []) == (normal(before) == normal(after))
    for change in changes:
        assert (change.before is None) == (change.op == "added")
        assert (change.after is None) == (change.op == "removed")
    named = [change.segments for change in changes]
    assert len(set(named)) == len(named)
    assert not any(a != b and b[: len(a)] == a for a in named for b in named)
