"""Which set of tables serves each view: its generations, and the one active, for every process.

A view's tables carry a suffix: ``""`` for the first set (generation 0), ``_g<n>`` for the
set the n-th rebuild built. ``asb_projection_generations`` holds one row per set, with its
state: ``building`` (a rebuild is filling it, or was interrupted), ``active`` (the one that
serves; a partial unique index allows only one), ``retired`` (switched away from, tables
kept for a grace period) and ``dropped``. Switching over is one UPDATE pair in the same
transaction that finishes the new set, so every process sees the old set or the new one.
Rows are never deleted, so a generation number (and its table names) is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from projections.store import Row, ViewStore, Writer

GENERATIONS_TABLE = "asb_projection_generations"
BUILDING, ACTIVE, RETIRED, DROPPED = "building", "active", "retired", "dropped"


def suffix_of(number: int) -> str:
    """The table suffix of a generation: none for the first, ``_g<n>`` after."""
    return "" if number == 0 else f"_g{number}"


@dataclass(frozen=True)
class Generation:
    """One set of a view's tables."""

    view_name: str
    number: int
    state: str
    created_at: datetime
    switched_at: datetime | None

    @property
    def suffix(self) -> str:
        return suffix_of(self.number)


class Generations:
    """Reads and moves the generations of views, in ``asb_projection_generations``."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store
        self.table = store.table(GENERATIONS_TABLE)

    def statements(self) -> list[str]:
        bigint, time = self.store.types["bigint"], self.store.types["time"]
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            f" view_name TEXT NOT NULL, generation {bigint} NOT NULL, suffix TEXT NOT NULL,"
            f" state TEXT NOT NULL, created_at {time} NOT NULL, switched_at {time},"
            " PRIMARY KEY (view_name, generation))",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.store.ident(GENERATIONS_TABLE + '_active')}"
            f" ON {self.table} (view_name) WHERE state = 'active'",
        ]

    def ensure_first(self, writer: Writer, view_name: str) -> None:
        """Generation 0 (the unsuffixed tables) is active until a rebuild switches away."""
        writer.execute(
            self.store.sql(
                f"INSERT INTO {self.table} VALUES (?, 0, '', 'active', ?, NULL)"  # noqa: S608
                " ON CONFLICT (view_name, generation) DO NOTHING"
            ),
            (view_name, self.store.time_param(datetime.now(UTC))),
        )

    def active_suffix_sql(self) -> str:
        """One parameter (the view's name); one row: the active generation's suffix."""
        return self.store.sql(
            f"SELECT suffix FROM {self.table}"  # noqa: S608 - names from code
            " WHERE view_name = ? AND state = 'active'"
        )

    def of(self, view_name: str) -> list[Generation]:
        rows = self.store.select(
            self.store.sql(
                f"SELECT view_name, generation, state, created_at, switched_at"  # noqa: S608
                f" FROM {self.table} WHERE view_name = ? ORDER BY generation"
            ),
            (view_name,),
        )
        return [self._generation(row) for row in rows]

    def active(self, view_name: str) -> Generation:
        found = [g for g in self.of(view_name) if g.state == ACTIVE]
        if not found:
            raise LookupError(f"view {view_name} has no active tables")
        return found[0]

    def begin(self, view_name: str) -> Generation:
        """A new generation, in state ``building``, numbered after every earlier one."""
        now = datetime.now(UTC)
        with self.store.transaction() as tx:
            row = tx.fetchone(
                self.store.sql(
                    f"SELECT MAX(generation) FROM {self.table} WHERE view_name = ?"  # noqa: S608
                ),
                (view_name,),
            )
            number = (int(row[0]) if row is not None and row[0] is not None else 0) + 1
            tx.execute(
                self.store.sql(
                    f"INSERT INTO {self.table} VALUES (?, ?, ?, ?, ?, NULL)"  # noqa: S608
                ),
                (view_name, number, suffix_of(number), BUILDING, self.store.time_param(now)),
            )
        return Generation(view_name, number, BUILDING, now, None)

    def switch(self, writer: Writer, view_name: str, number: int) -> None:
        """Inside the caller's transaction: ``number`` becomes active, the active one retired."""
        row = writer.fetchone(
            self.store.sql(
                f"SELECT state FROM {self.table}"  # noqa: S608
                " WHERE view_name = ? AND generation = ?" + self.store.lock_row
            ),
            (view_name, number),
        )
        if row is None or row[0] != BUILDING:
            raise LookupError(f"view {view_name}: generation {number} is not being built")
        now = self.store.time_param(datetime.now(UTC))
        writer.execute(
            self.store.sql(
                f"UPDATE {self.table} SET state = 'retired'"  # noqa: S608
                " WHERE view_name = ? AND state = 'active'"
            ),
            (view_name,),
        )
        writer.execute(
            self.store.sql(
                f"UPDATE {self.table} SET state = 'active', switched_at = ?"  # noqa: S608
                " WHERE view_name = ? AND generation = ? AND state = 'building'"
            ),
            (now, view_name, number),
        )

    def mark(self, view_name: str, number: int, state: str) -> None:
        with self.store.transaction() as tx:
            tx.execute(
                self.store.sql(
                    f"UPDATE {self.table} SET state = ?"  # noqa: S608
                    " WHERE view_name = ? AND generation = ? AND state <> 'active'"
                ),
                (state, view_name, number),
            )

    def _generation(self, row: Row) -> Generation:
        return Generation(
            view_name=str(row[0]),
            number=int(row[1]),
            state=str(row[2]),
            created_at=self.store.time_value(row[3]),
            switched_at=None if row[4] is None else self.store.time_value(row[4]),
        )
