"""Runs views: reads the ledger's notifications a page at a time and feeds every view in order.

Why not the library's ``ProjectionRunner``: it subscribes to the application's recorder,
which a SQLite application cannot do (``subscribe()`` raises ``NotImplementedError``), and
it commits once per event. This runner polls ``recorder.select_notifications`` (no topic
filter, so tracking reaches the head of the log even when the last events are ones a view
ignores) and gives each view a whole page in one transaction (``View.page``). Each
notification is decoded once for all the runner's views, and only as far as they read it
(``PagedProjection.reads``, ``FieldDecoder``). It works on both stores, in the service
process (``start()``/``stop()``) or in a process of its own (``catch_up()`` in a loop, or
``start()`` then wait).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification, Tracking

from ledger.application import CaseLedger
from projections.projection import FieldDecoder, PagedProjection
from projections.store import Writer
from projections.view import View

log = structlog.get_logger("projections")


@dataclass(frozen=True)
class ViewStatus:
    """How far a view has got, for ``asb-ledger projections status``."""

    name: str
    position: int
    head: int
    tables: str = ""
    """The suffix of the tables that serve (empty for the first set)."""

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class ViewRunner:
    """Keeps views up to date with a ledger: ``catch_up()`` now, or a background thread."""

    def __init__(
        self,
        ledger: CaseLedger,
        views: Sequence[View],
        *,
        page_size: int = 500,
        interval: float = 0.1,
        max_backoff: float = 5.0,
    ) -> None:
        names = [view.view_name for view in views]
        if not views or len(set(names)) != len(names):
            raise ValueError(f"a runner needs one or more distinct views, not {names}")
        if page_size < 1 or interval <= 0:
            raise ValueError("page_size must be at least 1 and interval positive")
        self.views = tuple(views)
        self.page_size = page_size
        self.interval = interval
        self.max_backoff = max_backoff
        self._recorder = ledger.recorder
        self._mapper = ledger.mapper
        self._application = ledger.name
        # By object, not name: a following view's tables (and tracking name) change when a
        # rebuild switches over, and it carries on with the same projection.
        self._projections: dict[int, PagedProjection[Any]] = {
            id(view): view.projection() for view in views
        }
        self._topics = {
            key: frozenset(projection.topics) for key, projection in self._projections.items()
        }
        self._decoders = _decoders(self._mapper, self._projections.values())
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        for view in self.views:
            view.on_wait(self._wake.set)

    # -------------------------------------------------------------- positions

    @property
    def recorder(self) -> ApplicationRecorder:
        """The ledger's recorder, whose notifications the views follow."""
        return self._recorder

    def head(self) -> int:
        """The ledger's last notification position (0 when it is empty)."""
        return self._recorder.max_notification_id() or 0

    def status(self) -> list[ViewStatus]:
        head = self.head()
        return [
            ViewStatus(
                view.name if view.follows else view.view_name, view.position(), head, view.suffix
            )
            for view in self.views
        ]

    # -------------------------------------------------------------- processing

    def catch_up(self) -> int:
        """Processes everything up to the head, now, in this thread; errors are raised.

        Returns how many notifications were processed, summed over the views.
        """
        total = 0
        while True:
            read, processed = self.run_page(self.views)
            total += processed
            if read < self.page_size:
                return total

    def run_page(self, views: Sequence[View]) -> tuple[int, int]:
        """Reads one page after the furthest-behind view and delivers it to each view.

        Returns (notifications read, notifications processed summed over the views).
        """
        start = min(view.known_position for view in views) + 1
        notes = self._recorder.select_notifications(start, self.page_size)
        decoded: dict[int, Any] = {}
        return len(notes), sum(self.deliver(view, notes, decoded) for view in views)

    def deliver(
        self,
        view: View,
        notes: Sequence[Notification],
        decoded: dict[int, Any] | None = None,
        *,
        writer: Writer | None = None,
    ) -> int:
        """Processes a page of notifications into one view, in one transaction (the
        caller's, with ``writer``).

        Notifications the view has already processed are passed over, so delivering the
        same page again changes nothing. Returns how many were processed.
        """
        before = view.known_position
        if not notes or notes[-1].id <= before:
            return 0
        cache = {} if decoded is None else decoded
        projection = self._projections[id(view)]
        topics = self._topics[id(view)]
        count = 0
        process, decoders = projection.process_event, self._decoders
        with view.page(writer) as done:
            if done < before:
                # Re-bound to tables behind the page's start (a switch-over guarantees it
                # never happens): nothing is skipped; the next page starts from ``done``.
                log.warning("projection.moved_back", view=view.name, position=done)
                return 0
            for note in notes:
                if note.id <= done:
                    continue
                tracking = Tracking(self._application, note.id)
                if note.topic in topics:
                    event = cache.get(note.id)
                    if event is None:
                        event = cache[note.id] = decoders[note.topic](note)
                    process(event, tracking)
                else:
                    projection.skip(tracking)
                count += 1
        return count

    # -------------------------------------------------------------- the thread

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Starts polling in a daemon thread, every ``interval`` seconds when idle, and at
        once when a query waits for one of its views."""
        if self.running:
            raise RuntimeError("the runner is already running")
        self._stop.clear()
        self._wake.clear()
        self._thread = threading.Thread(target=self._run, name="asb-projections", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the thread after the page in hand (which commits or rolls back whole)."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("projections.stop_timed_out", timeout=timeout)

    def __enter__(self) -> ViewRunner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        log.info("projections.started", views=[view.view_name for view in self.views])
        failures: dict[str, int] = {}
        retry_at: dict[str, float] = {}
        while not self._stop.is_set():
            self._wake.clear()
            now = time.monotonic()
            ready = [v for v in self.views if retry_at.get(v.view_name, 0.0) <= now]
            busy = False
            try:
                head = self.head() if ready else 0
                behind = [v for v in ready if v.known_position < head]
                if behind:
                    start = min(v.known_position for v in behind) + 1
                    notes = self._recorder.select_notifications(start, self.page_size)
                    busy = len(notes) == self.page_size
                    decoded: dict[int, Any] = {}
                    for view in behind:
                        if self._stop.is_set():
                            break
                        self._deliver_or_back_off(view, notes, decoded, failures, retry_at)
            except Exception as error:  # reading the log failed: back off, all views alike
                attempt = failures.get("", 0) + 1
                failures[""] = attempt
                delay = self._backoff(attempt)
                log.warning(
                    "projections.read_failed",
                    error=type(error).__name__,
                    sqlstate=getattr(error, "sqlstate", None),
                    attempt=attempt,
                    retry_in=round(delay, 3),
                )
                self._stop.wait(delay)
                continue
            failures.pop("", None)
            if not busy:
                self._wake.wait(self.interval)  # a waiting query, or stop(), cuts this short
        log.info("projections.stopped")

    def _deliver_or_back_off(
        self,
        view: View,
        notes: Sequence[Notification],
        decoded: dict[int, Any],
        failures: dict[str, int],
        retry_at: dict[str, float],
    ) -> None:
        name = view.view_name
        try:
            self.deliver(view, notes, decoded)
        except Exception as error:
            # Logged without the message or traceback: those could quote an event's fields.
            attempt = failures.get(name, 0) + 1
            failures[name] = attempt
            delay = self._backoff(attempt)
            retry_at[name] = time.monotonic() + delay
            log.warning(
                "projection.failed",
                view=name,
                position=view.known_position,
                error=type(error).__name__,
                sqlstate=getattr(error, "sqlstate", None),
                attempt=attempt,
                retry_in=round(delay, 3),
            )
            return
        if failures.pop(name, None) is not None:
            retry_at.pop(name, None)
            log.info("projection.recovered", view=name, position=view.known_position)

    def _backoff(self, attempt: int) -> float:
        return float(min(self.interval * 2**attempt, self.max_backoff))


def _decoders(
    mapper: Mapper[UUID], projections: Iterable[PagedProjection[Any]]
) -> dict[str, Callable[[Notification], Any]]:
    """How to decode each topic that the views read: by the ledger's mapper if any view
    reads every field (``reads`` is None), else only the fields the views read between them,
    so each notification is decoded once for all the views of a runner."""
    reads: dict[str, frozenset[str] | None] = {}
    for projection in projections:
        for topic in projection.topics:
            before = reads.get(topic, frozenset())
            wanted = projection.reads
            reads[topic] = None if before is None or wanted is None else before | wanted
    partial: dict[frozenset[str], FieldDecoder] = {}
    return {
        topic: mapper.to_domain_event
        if fields is None
        else partial.setdefault(fields, FieldDecoder(mapper, fields)).to_domain_event
        for topic, fields in reads.items()
    }
