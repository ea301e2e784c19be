"""The base of every view: its tables and tracking on the events' store, written a page at a time.

A ``View`` is the library's ``TrackingRecorder`` (a materialised view that records tracking
atomically with its rows). The library's SQLite and PostgreSQL tracking recorders commit each
``insert_tracking`` on its own, one transaction per event; here ``page()`` opens one
transaction, every handler writes its rows and calls ``insert_tracking`` inside it (the
ignored events too), and the page's last position is written once, just before the commit.
So a page of events costs one transaction and still counts each event exactly once.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder

from projections.store import ViewStore, Writer

if TYPE_CHECKING:
    from projections.projection import PagedProjection

TRACKING_TABLE = "asb_projection_tracking"
LEDGER_NAME = "CaseLedger"
"""The application whose notifications views follow (``CaseLedger.name``)."""


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
    position: int


class View(TrackingRecorder, ABC):
    """A read model's tables and its tracking row, on the same store as the events.

    ``suffix`` names a separate set of tables and tracking (``<name><suffix>``), so a view
    can be rebuilt from position 0 beside the live one and then switched over.
    """

    name: ClassVar[str]
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
        self._tracking = store.table(TRACKING_TABLE)
        self._page_lock = threading.RLock()
        self._local = threading.local()
        self._advanced = threading.Condition()
        self._known = 0
        self._wakers: list[Callable[[], None]] = []
        self.create_table()

    # -------------------------------------------------------------- tables

    def table(self, base: str) -> str:
        """One of this view's tables (with the suffix), quoted for SQL."""
        return self.store.table(base + self.suffix)

    @abstractmethod
    def table_statements(self) -> list[str]:
        """``CREATE ... IF NOT EXISTS`` statements for the view's own tables."""

    @abstractmethod
    def projection(self) -> PagedProjection[Any]:
        """The projection that processes events into this view."""

    def create_table(self) -> None:
        bigint = self.store.types["bigint"]
        self.store.create(
            [
                f"CREATE TABLE IF NOT EXISTS {self._tracking} ("
                " view_name TEXT NOT NULL, application_name TEXT NOT NULL,"
                f" notification_id {bigint} NOT NULL,"
                " PRIMARY KEY (view_name, application_name))",
                *self.table_statements(),
            ]
        )
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
    def page(self) -> Iterator[int]:
        """One transaction for a page of events; yields the position already tracked.

        The tracking row is read (and on PostgreSQL locked) inside the transaction, so a
        second runner of the same view, in this process or another, waits and then sees
        the page as done. Rows and tracking commit together or not at all.
        """
        with self._page_lock:
            if getattr(self._local, "page", None) is not None:
                raise RuntimeError(f"view {self.view_name}: a page is already open")
            with self.store.transaction() as writer:
                row = writer.fetchone(
                    self.store.sql(
                        f"SELECT notification_id FROM {self._tracking}"  # noqa: S608
                        " WHERE view_name = ? AND application_name = ?" + self.store.lock_row
                    ),
                    (self.view_name, self.application_name),
                )
                start = int(row[0]) if row is not None else 0
                page = self._local.page = _Page(writer, start)
                try:
                    yield start
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
            self._advance(page.position)

    def _writer(self) -> Writer:
        page: _Page | None = getattr(self._local, "page", None)
        if page is None:
            raise RuntimeError(f"view {self.view_name}: rows are written only inside a page")
        return page.writer

    def execute(self, statement: str, params: Sequence[object] = ()) -> None:
        """Writes inside the open page (``statement`` uses ``?`` placeholders)."""
        self._writer().execute(self.store.sql(statement), params)

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
        """The last notification position this view has processed, read from the store."""
        found = self.max_tracking_id(self.application_name) or 0
        self._advance(found)
        return found

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
