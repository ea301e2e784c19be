"""The read models of one process: the view store, every view, and their runner, opened together."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.application import CaseLedger
from projections.catalog import VIEW_TYPES
from projections.directory import CaseDirectory
from projections.runner import ViewRunner
from projections.store import ViewStore, open_view_store
from projections.view import View


@dataclass
class ReadModels:
    """What an app's lifespan holds: ``open()`` at start-up, ``close()`` at shutdown."""

    store: ViewStore
    views: dict[str, View]
    runner: ViewRunner

    @property
    def directory(self) -> CaseDirectory:
        view = self.views[CaseDirectory.name]
        assert isinstance(view, CaseDirectory)
        return view

    def view(self, name: str) -> View:
        """A view by its name (``KeyError`` if there is none)."""
        return self.views[name]

    @classmethod
    def open(
        cls, ledger: CaseLedger, *, run: bool = True, interval: float = 0.1, page_size: int = 500
    ) -> ReadModels:
        """Opens the views on the ledger's store; with ``run``, catches up in a background
        thread (the service itself answers at once, saying when a view is behind)."""
        store = open_view_store(ledger.store_config)
        try:
            views = {kind.name: kind(store, application_name=ledger.name) for kind in VIEW_TYPES}
            runner = ViewRunner(
                ledger, list(views.values()), interval=interval, page_size=page_size
            )
        except BaseException:
            store.close()
            raise
        models = cls(store=store, views=views, runner=runner)
        if run:
            runner.start()
        return models

    def close(self) -> None:
        """Stops the runner, then closes the views' connections (before the ledger closes)."""
        self.runner.stop()
        self.store.close()
