"""The read models of one process: the view store, every view, and their runner, opened together."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TypeVar

import structlog

from ledger.application import CaseLedger
from projections.catalog import VIEW_TYPES
from projections.directory.projection import CaseDirectory
from projections.notary import Notary, NotarySettings, SignedCheckpoint
from projections.rebuild import Progress, RebuildReport, rebuild
from projections.runner import ViewRunner, ViewStatus
from projections.store import ViewStore, open_view_store
from projections.view import View

log = structlog.get_logger("projections")


class Periodic:
    """Calls ``each()`` about once per ``interval`` seconds in a daemon thread, until stopped;
    a failure is logged as ``failed`` (without its message) and the next round goes on."""

    name: str = "asb-periodic"
    failed: str = "periodic.failed"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def each(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.each()
            except Exception as error:  # the store may be briefly unreachable
                log.warning(
                    self.failed,
                    error=type(error).__name__,
                    sqlstate=getattr(error, "sqlstate", None),
                )


class SwitchWatcher(Periodic):
    """Re-binds views to their active tables about once per ``interval`` seconds, so that a
    rebuild's switch-over in another process reaches queries that never read a position
    (one small query per view each time)."""

    name = "asb-view-switches"
    failed = "view.refresh_failed"

    def __init__(self, views: list[View], interval: float = 1.0) -> None:
        super().__init__(interval)
        self.views = views

    def each(self) -> None:
        for view in self.views:  # one view's failure does not hold up the others
            try:
                view.refresh()
            except Exception as error:
                log.warning(
                    self.failed,
                    view=view.name,
                    error=type(error).__name__,
                    sqlstate=getattr(error, "sqlstate", None),
                )


class NotaryTicker(Periodic):
    """Gives the notary a chance to sign a due checkpoint about once per ``interval`` seconds
    when no events arrive (the runner only wakes it for new events); an alarm is logged by
    the notary itself."""

    name = "asb-notary-ticks"
    failed = "notary.tick_failed"

    def __init__(self, notary: Notary, interval: float) -> None:
        super().__init__(interval)
        self.notary = notary

    def each(self) -> None:
        self.notary.tick()


V = TypeVar("V", bound=View)


@dataclass
class ReadModels:
    """What an app's lifespan holds: ``open()`` at start-up, ``close()`` at shutdown."""

    store: ViewStore
    views: dict[str, View]
    runner: ViewRunner
    ledger: CaseLedger | None = None
    watcher: SwitchWatcher | None = field(default=None, repr=False)
    notary: Notary | None = None
    """The Merkle log: it ingests and signs (in the runner) when opened with its settings,
    and otherwise only answers from its tables."""
    ticker: NotaryTicker | None = field(default=None, repr=False)

    @property
    def directory(self) -> CaseDirectory:
        view = self.views[CaseDirectory.name]
        assert isinstance(view, CaseDirectory)
        return view

    def get(self, kind: type[V]) -> V:
        """The view of type ``kind``."""
        view = self.views[kind.name]
        if not isinstance(view, kind):
            raise TypeError(f"the view named {kind.name} is not a {kind.__name__}")
        return view

    @classmethod
    def open(
        cls,
        ledger: CaseLedger,
        *,
        run: bool = True,
        interval: float = 0.1,
        page_size: int = 500,
        switch_interval: float = 1.0,
        notary: NotarySettings | None = None,
    ) -> ReadModels:
        """Opens the views on the ledger's store; with ``run``, catches up in a background
        thread (the service itself answers at once, saying when a view is behind). Either
        way a second thread follows rebuilds' switch-overs every ``switch_interval`` s.

        With ``notary`` settings the runner also feeds the notary, which signs checkpoints
        (a third thread gives it the chance when the log is quiet); without, the notary's
        tables are only read."""
        store = open_view_store(ledger.store_config)
        try:
            views = {kind.name: kind(store, application_name=ledger.name) for kind in VIEW_TYPES}
            log_view = Notary(store, application_name=ledger.name, settings=notary)
            fed: list[View] = [*views.values(), *([log_view] if notary is not None else [])]
            runner = ViewRunner(ledger, fed, interval=interval, page_size=page_size)
        except BaseException:
            store.close()
            raise
        watcher = SwitchWatcher(list(views.values()), switch_interval)
        ticker = (
            NotaryTicker(log_view, max(min(notary.seconds / 2, 5.0), 0.05))
            if notary is not None and run
            else None
        )
        models = cls(
            store=store,
            views=views,
            runner=runner,
            ledger=ledger,
            watcher=watcher,
            notary=log_view,
            ticker=ticker,
        )
        watcher.start()
        if run:
            runner.start()
            if ticker is not None:
                ticker.start()
        return models

    def settle(self) -> list[ViewStatus]:
        """Processes everything the log holds into every view (and the notary, if opened with
        its settings) in this thread, then has the notary sign a checkpoint covering all it
        logged; each view's position. Raises what a view raised (the notary's ``NotaryAlarm``).
        """
        if self.runner.running:
            raise RuntimeError("the runner is running in the background: it settles by itself")
        self.runner.catch_up()
        if self.notary is not None and self.notary.settings is not None:
            self.notary.tick(force=True)
        return self.runner.status()

    def rebuild(
        self,
        name: str,
        *,
        page_size: int = 500,
        keep_seconds: float | None = 10.0,
        progress: Progress | None = None,
    ) -> RebuildReport:
        """Rebuilds one view (``projections.rebuild.rebuild``); this process's view object
        switches to the new tables at once."""
        view = self.views[name]
        if self.ledger is None:
            raise RuntimeError("these read models were not opened on a ledger")
        return rebuild(
            self.ledger,
            self.store,
            type(view),
            page_size=page_size,
            keep_seconds=keep_seconds,
            progress=progress,
            live=[view],
        )

    def close(self) -> None:
        """Stops the runner, then closes the views' connections (before the ledger closes)."""
        if self.watcher is not None:
            self.watcher.stop()
        if self.ticker is not None:
            self.ticker.stop()
        self.runner.stop()
        self.store.close()


def notarise(ledger: CaseLedger, settings: NotarySettings) -> SignedCheckpoint | None:
    """Logs everything the ledger holds in the notary alone (the other views are left to
    their runner) and signs a checkpoint covering it; the latest checkpoint signed."""
    store = open_view_store(ledger.store_config)
    try:
        notary = Notary(store, application_name=ledger.name, settings=settings)
        ViewRunner(ledger, [notary]).catch_up()
        notary.tick(force=True)
        return notary.latest_checkpoint()
    finally:
        store.close()
