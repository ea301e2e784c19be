"""The read models of one process: the view store, every view, and their runner, opened together."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.application import CaseLedger
from projections.directory import CaseDirectory
from projections.runner import ViewRunner
from projections.store import ViewStore, open_view_store


@dataclass
class ReadModels:
    """What an app's lifespan holds: ``open()`` at start-up, ``close()`` at shutdown."""

    store: ViewStore
    directory: CaseDirectory
    runner: ViewRunner

    @classmethod
    def open(
        cls, ledger: CaseLedger, *, run: bool = True, interval: float = 0.1, page_size: int = 500
    ) -> ReadModels:
        """Opens the views on the ledger's store; with ``run``, catches up in a background
        thread (the service itself answers at once, saying when a view is behind)."""
        store = open_view_store(ledger.store_config)
        try:
            directory = CaseDirectory(store, application_name=ledger.name)
            runner = ViewRunner(ledger, [directory], interval=interval, page_size=page_size)
        except BaseException:
            store.close()
            raise
        models = cls(store=store, directory=directory, runner=runner)
        if run:
            runner.start()
        return models

    def close(self) -> None:
        """Stops the runner, then closes the views' connections (before the ledger closes)."""
        self.runner.stop()
        self.store.close()
