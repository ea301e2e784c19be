"""The base of every view: its tables and tracking on the events' store, written a page at a time.

A ``View`` is the library's ``TrackingRecorder`` (a materialised view that records tracking
atomically with its rows). The library's SQLite and PostgreSQL tracking recorders commit each
``insert_tracking`` on its own, one transaction per event; here ``page()`` opens one
transaction, every handler writes its rows and calls ``insert_tracking`` inside it (the
ignored events too), and the page's last position is written once, just before the commit.
So a page of events costs one transaction and still counts each event exactly once.

A view built with no ``suffix`` *follows* its active generation (``projections/generations``):
it reads which set of tables serves when it starts, whenever it reads its position, at the
start of every page it writes (after locking its tracking row), and when ``refresh()`` is
called; after a rebuild's switch-over it re-binds to the new tables in place, so code holding
the view object carries on. A view built with a ``suffix`` is pinned to those tables.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import structlog
from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder

from projections.generations import Generations
from projections.store import ViewStore, Writer
from projections.tables import Tables

if TYPE_CHECKING:
    from projections.projection import PagedProjection

TRACKING_TABLE = "asb_projection_tracking"
LEDGER_NAME = "CaseLedger"
"""The application whose notifications views follow (``CaseLedger.name``)."""

log = structlog.get_logger("projections")


class ViewBehind(RuntimeError):
    """A view had not reached a position within the time a query may wait for it."""

    def __init__(self, view: str, wanted: int, reached: int) -> None:
        super().__init__(f"view {view} is at position {reached}, not yet {wanted}")
        self.view = view
        self.wanted = wanted
        self.reached = reached


@dataclass
class _Page:
    writer: Writer
    start: int
    position: int


class View(TrackingRecorder, ABC):
    """A read model's tables and its tracking row, on the same store as the events.

    ``suffix`` names a separate set of tables and tracking (``<name><suffix>``), so a view
    can be rebuilt from position 0 beside the live one and then switched over. Without a
    suffix the view follows whichever set is active, and re-binds when that changes.

    For subclasses: ``tables_type`` is the view's own ``Tables``; this constructor names
    them for ``suffix`` and keeps them as ``self.tables`` (annotate it with the type), and
    every statement reads its table names from there when it runs. A switch-over replaces
    ``self.tables`` (with ``suffix`` and ``view_name``) and nothing else, so the object the
    app holds carries on.
    """

    name: ClassVar[str]
    tables_type: ClassVar[type[Tables]]
    """The view's ``Tables``: one field per table."""
    projection_type: ClassVar[type[PagedProjection[Any]]]
    """The projection that processes events into this view."""
    tables: Tables
    poll_interval: ClassVar[float] = 0.02
    read_timeout: float = 2.0
    """How long a query given ``min_position`` waits for the view to reach it."""

    def __init__(
        self, store: ViewStore, *, suffix: str = "", application_name: str = LEDGER_NAME
    ) -> None:
        self.store = store
        self.suffix = suffix
        self.view_name = self.name + suffix
        self.application_name = application_name
        self.tables = self.tables_named(store, suffix)
        self.follows = suffix == ""
        self._tracking = store.table(TRACKING_TABLE)
        self._generations = Generations(store)
        self._page_lock = threading.RLock()
        self._local = threading.local()
        self._advanced = threading.Condition()
        self._known = 0
        self._wakers: list[Callable[[], None]] = []
        self._opened = False
        self._create_shared()
        if self.follows:
            self.refresh()
        self.create_table()
        self._opened = True

    # -------------------------------------------------------------- tables

    def table(self, base: str) -> str:
        """One of this view's tables (with the suffix), quoted for SQL."""
        return self.store.table(base + self.suffix)

    @classmethod
    def tables_named(cls, store: ViewStore, suffix: str) -> Tables:
        """The view's tables for ``suffix``, named without touching the database."""
        return cls.tables_type.named(store, suffix)

    @abstractmethod
    def table_statements(self) -> list[str]:
        """``CREATE ... IF NOT EXISTS`` statements for the view's own tables."""

    def projection(self) -> PagedProjection[Any]:
        """The projection that processes events into this view (``projection_type``)."""
        return self.projection_type(self)

    def switched(self) -> None:
        """Called once this object names another set of tables: override it to forget
        anything cached from the old ones (attributes a switch does not replace)."""

    def owned_tables(self) -> list[str]:
        """The view's own tables, quoted."""
        return self.tables.owned()

    def _create_shared(self) -> None:
        bigint = self.store.types["bigint"]
        self.store.create(
            [
                f"CREATE TABLE IF NOT EXISTS {self._tracking} ("
                " view_name TEXT NOT NULL, application_name TEXT NOT NULL,"
                f" notification_id {bigint} NOT NULL,"
                " PRIMARY KEY (view_name, application_name))",
                *self._generations.statements(),
            ]
        )
        if self.follows:
            with self.store.transaction() as tx:
                self._generations.ensure_first(tx, self.name)

    def create_table(self) -> None:
        """Creates this set of tables and its tracking row, if they are not there yet."""
        self.store.create(self.table_statements())
        with self.store.transaction() as tx:
            tx.execute(
                self.store.sql(
                    f"INSERT INTO {self._tracking} VALUES (?, ?, 0)"  # noqa: S608 - names from code
                    " ON CONFLICT (view_name, application_name) DO NOTHING"
                ),
                (self.view_name, self.application_name),
            )
        self.position()

    # -------------------------------------------------------------- writing

    @contextmanager
    def page(self, writer: Writer | None = None) -> Iterator[int]:
        """One transaction for a page of events; yields the position already tracked.

        The tracking row is read (and on PostgreSQL locked) inside the transaction, so a
        second runner of the same view, in this process or another, waits and then sees
        the page as done. Rows and tracking commit together or not at all. A following
        view then checks which tables are active: if a rebuild has switched over, it
        re-binds and starts the page again on the new tables, from their position.

        With ``writer`` the page joins the caller's open transaction (a rebuild's
        switch-over) instead: no re-binding, and ``position()`` is read after the commit.
        """
        with self._page_lock:
            if getattr(self._local, "page", None) is not None:
                raise RuntimeError(f"view {self.view_name}: a page is already open")
            if writer is not None:
                with self._open_page(writer, self._lock_tracking(writer)) as joined:
                    yield joined.start
                return
            while True:
                with self.store.transaction() as tx:
                    start = self._lock_tracking(tx)
                    moved = self._moved(tx) if self.follows else None
                    if moved is None:
                        with self._open_page(tx, start) as page:
                            yield start
                if moved is None:
                    break
                self._rebind(*moved)
            self._advance(page.position)

    def _lock_tracking(self, writer: Writer) -> int:
        row = writer.fetchone(
            self.store.sql(
                f"SELECT notification_id FROM {self._tracking}"  # noqa: S608
                " WHERE view_name = ? AND application_name = ?" + self.store.lock_row
            ),
            (self.view_name, self.application_name),
        )
        return int(row[0]) if row is not None else 0

    @contextmanager
    def _open_page(self, writer: Writer, start: int) -> Iterator[_Page]:
        page = self._local.page = _Page(writer, start, start)
        try:
            yield page
            if page.position > start:
                writer.execute(
                    self.store.sql(
                        f"INSERT INTO {self._tracking} VALUES (?, ?, ?)"  # noqa: S608
                        " ON CONFLICT (view_name, application_name)"
                        " DO UPDATE SET notification_id = excluded.notification_id"
                    ),
                    (self.view_name, self.application_name, page.position),
                )
        finally:
            self._local.page = None

    def _moved(self, writer: Writer) -> tuple[str, int] | None:
        """The active suffix and its position, if not the tables this view is bound to.

        Read after the tracking row is locked: a switch-over holds that lock too, so once
        it has committed every page of the old tables sees it, and none writes there."""
        row = writer.fetchone(self._active_sql(), (self.application_name, self.name))
        if row is None or row[0] == self.suffix:
            return None
        return str(row[0]), int(row[1] or 0)

    def _writer(self) -> Writer:
        page: _Page | None = getattr(self._local, "page", None)
        if page is None:
            raise RuntimeError(f"view {self.view_name}: rows are written only inside a page")
        return page.writer

    def execute(self, statement: str, params: Sequence[object] = ()) -> None:
        """Writes inside the open page (``statement`` uses ``?`` placeholders)."""
        self._writer().execute(self.store.sql(statement), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[object]]) -> None:
        """One statement for each of ``rows``, inside the open page (a single call to the
        driver: far cheaper per row than ``execute`` for each)."""
        if rows:
            self._writer().executemany(self.store.sql(statement), rows)

    def insert_tracking(self, tracking: Tracking) -> None:
        """Records that an event was processed, in the open page's transaction.

        Outside a page it opens one for itself. A position at or before one already
        recorded is refused, as the library's recorders do, and the page rolls back.
        """
        if tracking.application_name != self.application_name:
            raise ValueError(f"view {self.view_name} follows {self.application_name!r} only")
        page: _Page | None = getattr(self._local, "page", None)
        if page is None:
            with self.page():
                self.insert_tracking(tracking)
            return
        if tracking.notification_id <= page.position:
            raise IntegrityError(
                f"view {self.view_name}: position {tracking.notification_id} already processed"
            )
        page.position = tracking.notification_id

    # -------------------------------------------------------------- positions

    def max_tracking_id(self, application_name: str) -> int | None:
        rows = self.store.select(
            self.store.sql(
                f"SELECT notification_id FROM {self._tracking}"  # noqa: S608
                " WHERE view_name = ? AND application_name = ?"
            ),
            (self.view_name, application_name),
        )
        return int(rows[0][0]) if rows else None

    def position(self) -> int:
        """The last notification position this view has processed, read from the store.

        A following view reads it from the active tables, re-binding if they changed."""
        if self.follows:
            rows = self.store.select(self._active_sql(), (self.application_name, self.name))
            if rows:
                suffix, found = str(rows[0][0]), int(rows[0][1] or 0)
                if suffix != self.suffix:
                    self._rebind(suffix, found)
                self._advance(found)
                return found
        found = self.max_tracking_id(self.application_name) or 0
        self._advance(found)
        return found

    def refresh(self) -> None:
        """Re-binds a following view to its active tables if a rebuild switched them."""
        if self.follows:
            self.position()

    def _active_sql(self) -> str:
        return self.store.sql(
            f"SELECT g.suffix, t.notification_id FROM {self._generations.table} g"  # noqa: S608
            f" LEFT JOIN {self._tracking} t ON t.view_name = g.view_name || g.suffix"
            " AND t.application_name = ? WHERE g.view_name = ? AND g.state = 'active'"
        )

    def _rebind(self, suffix: str, position: int) -> None:
        """Points this object at another set of tables, between pages, never inside one;
        ``known_position`` becomes theirs."""
        with self._page_lock:
            if suffix == self.suffix:
                return
            tables = self.tables_named(self.store, suffix)
            with self._advanced:
                self.tables, self.suffix, self.view_name = tables, suffix, self.name + suffix
                self._known = position
                self._advanced.notify_all()
            self.switched()
        if self._opened:
            log.info("view.switched", view=self.name, tables=suffix or "(first)", position=position)

    @property
    def known_position(self) -> int:
        """The last position this process has seen the view reach (no database read)."""
        return self._known

    def _advance(self, position: int) -> None:
        with self._advanced:
            if position > self._known:
                self._known = position
                self._advanced.notify_all()

    def on_wait(self, wake: Callable[[], None]) -> None:
        """Registers a runner to be woken when a query waits for this view."""
        self._wakers.append(wake)

    def wait_for(self, position: int, timeout: float) -> bool:
        """True once the view has processed ``position``; False if ``timeout`` runs out first.

        A runner in this process is woken to process at once, and wakes the wait as soon
        as it commits; otherwise the tracking row is polled every ``poll_interval`` seconds.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        woken = False
        while True:
            if self._known >= position or self.position() >= position:
                return True
            if not woken:
                woken = True
                for wake in self._wakers:
                    wake()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._advanced:
                if self._known < position:
                    self._advanced.wait(min(remaining, self.poll_interval))

    def require(self, position: int | None, timeout: float | None = None) -> None:
        """Waits (bounded) for ``position``; raises ``ViewBehind`` if the view is still short."""
        if position is None or position <= 0:
            return
        wait = self.read_timeout if timeout is None else timeout
        if not self.wait_for(position, wait):
            raise ViewBehind(self.view_name, position, self._known)
