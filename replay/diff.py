"""The difference between two views of a case, field by field, each change at a dotted path.

It compares plain data (the JSON form of what a caller may see), never the aggregate, so a
diff holds no more than the two views it was given. How values compare:

- two objects: key by key; a key null or absent on one side is ``added`` or ``removed``,
  with the whole value (a closure that appears is one change, not one per field);
- two lists of objects whose items carry an identity field (``keyed``: the list's name to
  the field, e.g. ``people`` to ``person_ref``): item by item under that identity; other lists
  of objects item by item under their index (the case's lists only ever grow at the end);
- anything else (numbers, strings, lists of values such as ``harms``): ``changed``, whole.

Each change carries its path twice: ``path`` joins the segments with dots for people to
read; ``segments`` is exact, for an identity that itself holds a dot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Op = Literal["added", "removed", "changed"]
Segment = str | int


@dataclass(frozen=True, kw_only=True)
class Change:
    """One field that differs: added (only ``after``), removed (only ``before``) or changed."""

    segments: tuple[Segment, ...]
    op: Op
    before: Any = None
    after: Any = None

    @property
    def path(self) -> str:
        return ".".join(str(segment) for segment in self.segments)


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, keyed: Mapping[str, str] | None = None
) -> list[Change]:
    """The changes that turn ``before`` into ``after``, in the order the fields appear."""
    changes: list[Change] = []
    _objects((), before, after, keyed or {}, changes)
    return changes


def _compare(
    at: tuple[Segment, ...], old: Any, new: Any, keyed: Mapping[str, str], out: list[Change]
) -> None:
    if old == new and type(old) is type(new):
        return
    if old is None:
        out.append(Change(segments=at, op="added", after=new))
    elif new is None:
        out.append(Change(segments=at, op="removed", before=old))
    elif isinstance(old, Mapping) and isinstance(new, Mapping):
        _objects(at, old, new, keyed, out)
    elif _records(old) and _records(new):
        name = at[-1] if at else None
        field = keyed.get(name) if isinstance(name, str) else None
        _lists(at, old, new, field, keyed, out)
    else:
        out.append(Change(segments=at, op="changed", before=old, after=new))


def _objects(
    at: tuple[Segment, ...],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    keyed: Mapping[str, str],
    out: list[Change],
) -> None:
    for key in [*old, *(k for k in new if k not in old)]:
        _compare((*at, key), old.get(key), new.get(key), keyed, out)


def _lists(
    at: tuple[Segment, ...],
    old: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, Any]],
    field: str | None,
    keyed: Mapping[str, str],
    out: list[Change],
) -> None:
    old_items = _by_identity(old, field)
    new_items = _by_identity(new, field)
    if old_items is None or new_items is None:
        old_items, new_items = dict(enumerate(old)), dict(enumerate(new))
    for key in [*old_items, *(k for k in new_items if k not in old_items)]:
        _compare((*at, key), old_items.get(key), new_items.get(key), keyed, out)


def _by_identity(
    items: Sequence[Mapping[str, Any]], field: str | None
) -> dict[Segment, Mapping[str, Any]] | None:
    """The items under their identity, or None when they have none (or not a unique one)."""
    if field is None:
        return None
    found: dict[Segment, Mapping[str, Any]] = {}
    for item in items:
        identity = item.get(field)
        if not isinstance(identity, str | int) or identity in found:
            return None
        found[identity] = item
    return found


def _records(value: Any) -> bool:
    """A list of objects (an empty list counts: it may be about to hold some)."""
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)
