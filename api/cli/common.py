"""What the command line's commands share: the error console, opening the configured ledger,
finding a case by id or reference, and reporting a failed check."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ledger.application import CaseLedger
from ledger.errors import CaseNotFound, LedgerError
from ledger.settings import Settings
from ledger.verify import Verdict

err = Console(stderr=True)


def progress_bar(what: str) -> Progress:
    """A progress bar on standard error, gone once done: what, a bar, n of m, time left."""
    return Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def open_ledger(*, must_exist: bool = False) -> CaseLedger:
    """The configured ledger; a setting or store that is unusable is bad usage (exit 2)."""
    try:
        settings = Settings()
        config = settings.store()
        if must_exist and config.sqlite_path is not None and not Path(config.sqlite_path).exists():
            raise LedgerError(f"no ledger at {config.sqlite_path}: nothing to check")
        return CaseLedger(settings)
    except (ValueError, LedgerError, PersistenceError, psycopg.Error) as error:
        err.print(f"asb-ledger: {error}".splitlines()[0])
        raise typer.Exit(2) from None


def resolve_case(ledger: CaseLedger, given: str) -> tuple[UUID, bool]:
    """The case id, and whether the store shows the case existed (by reference or listing)."""
    try:
        case_id = UUID(given)
    except ValueError:
        found = ledger.find_case_id(given)
        if found is None:
            raise CaseNotFound(given) from None
        return found, True
    return case_id, case_id in set(ledger.case_ids())


def report_failure(verdict: Verdict) -> None:
    typer.echo(f"FAILED case {verdict.case_id} version {verdict.version}: {verdict.reason}")
