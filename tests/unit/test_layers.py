"""Each top-level folder owns one layer, and no module imports a layer above its own.

``ledger/`` imports nothing of the project; ``commands/`` imports ``ledger/``;
``projections/`` imports ``ledger/``; ``replay/`` imports ``ledger/`` and ``projections/``;
``api/`` may import all of them; nothing imports ``api/``. Every module's imports are read
from its source (those under ``TYPE_CHECKING`` and inside functions too), so an import that
goes up a layer, or closes a cycle between two top-level packages, fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED: dict[str, frozenset[str]] = {
    "ledger": frozenset(),
    "commands": frozenset({"ledger"}),
    "projections": frozenset({"ledger"}),
    "replay": frozenset({"ledger", "projections"}),
    "api": frozenset({"ledger", "commands", "projections", "replay"}),
}
LAYERS = frozenset(ALLOWED)


def modules() -> Iterator[tuple[str, Path]]:
    for layer in sorted(LAYERS):
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield layer, path


def imported(source: str) -> Iterator[tuple[int, str]]:
    """Every absolute module name ``source`` imports, with its line."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"line {node.lineno}: relative import")
            if node.module is not None:
                yield node.lineno, node.module


def edges() -> dict[tuple[str, str], list[str]]:
    """(importing layer, imported layer) → where, for every import between two layers."""
    found: dict[tuple[str, str], list[str]] = {}
    for layer, path in modules():
        for line, name in imported(path.read_text(encoding="utf-8")):
            target = name.split(".")[0]
            if target in LAYERS and target != layer:
                where = f"{path.relative_to(ROOT)}:{line} imports {name}"
                found.setdefault((layer, target), []).append(where)
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph`` (as the nodes around it), or None."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        trail.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_layer_imports_one_above_it() -> None:
    upward = [
        where
        for (layer, target), places in edges().items()
        if target not in ALLOWED[layer]
        for where in places
    ]
    assert upward == []


def test_no_cycle_between_top_level_packages() -> None:
    graph: dict[str, set[str]] = {}
    for layer, target in edges():
        graph.setdefault(layer, set()).add(target)
    assert cycle(graph) is None
    assert cycle({name: set(allowed) for name, allowed in ALLOWED.items()}) is None


def test_the_walk_sees_the_imports_it_checks() -> None:
    found = edges()
    assert ("api", "commands") in found
    assert ("replay", "projections") in found
    assert sum(1 for _ in modules()) > 100


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_a_cycle_is_found(graph: dict[str, set[str]], expected: list[str] | None) -> None:
    assert cycle(graph) == expected


def test_an_upward_import_is_seen() -> None:
    source = "from __future__ import annotations\nif False:\n    from api.app import create_app\n"
    assert [name for _, name in imported(source)] == ["__future__", "api.app"]
