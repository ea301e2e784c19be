"""``asb-ledger projections``: the views' runner as a process of its own, their lag, rebuilds."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Annotated

import structlog
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from api.cli.common import err, open_ledger
from ledger.application import CaseLedger
from projections import ReadModels, UnsupportedStore, open_view_store
from projections.catalog import VIEW_TYPES
from projections.notary import NotaryAlarm, NotaryKeyError, notary_settings
from projections.rebuild import RebuildRunning, leftovers, rebuild

projections_app = typer.Typer(
    no_args_is_help=True,
    help="Read models: run their runner as a process, show how far behind they are, rebuild one.",
)
log = structlog.get_logger("projections")


def _models(
    ledger: CaseLedger,
    *,
    run: bool,
    sign: bool | None = None,
    interval: float = 0.1,
    page_size: int = 500,
) -> ReadModels:
    """The read models; a process that runs or settles them also feeds the notary (``sign``,
    by default when it runs), with its key."""
    try:
        notary = notary_settings(ledger.settings) if (run if sign is None else sign) else None
        return ReadModels.open(
            ledger, run=run, interval=interval, page_size=page_size, notary=notary
        )
    except NotaryKeyError as error:
        ledger.close()
        err.print(f"projections: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except UnsupportedStore as error:
        ledger.close()
        err.print(f"projections: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


@projections_app.command("run")
def run(
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.01, help="Seconds between polls of the log when idle."),
    ] = 0.1,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="Notifications per transaction.")
    ] = 500,
    until_caught_up: Annotated[
        bool,
        typer.Option(
            "--until-caught-up",
            help="Process everything the log holds into every view and the notary, sign a"
            " checkpoint covering it, print each view's position and exit.",
        ),
    ] = False,
) -> None:
    """Keep every view up to date in this process until SIGINT or SIGTERM.

    Run the service with ASB_RUN_PROJECTIONS=false so that it runs none itself (two
    runners would be safe, only wasteful). With --until-caught-up, bring every view and
    the notary to the head of the log once, have the notary sign a checkpoint covering
    it (whatever ASB_CHECKPOINT_SECONDS says), print each view's name and position
    (tab-separated, one a line) and exit 0; a view that fails, or a notary alarm, exits 1."""
    if until_caught_up:
        _settle(page_size)
        return
    ledger = open_ledger(must_exist=False)
    models = _models(ledger, run=True, interval=interval, page_size=page_size)
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info(
        "projections.run_started",
        pid=os.getpid(),
        views={status.name: status.position for status in models.runner.status()},
        page_size=page_size,
        interval=interval,
    )
    try:
        while not stop.wait(0.5):
            pass
        log.info("projections.run_stopping", signal=received[0] if received else None)
    finally:
        models.close()
        ledger.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("projections.run_stopped")


def _settle(page_size: int) -> None:
    """``run --until-caught-up``: every view and the notary to the head, a checkpoint, exit."""
    ledger = open_ledger(must_exist=True)
    models = _models(ledger, run=False, sign=True, page_size=page_size)
    failure: str | None = None
    try:
        statuses = models.settle()
        latest = None if models.notary is None else models.notary.latest_checkpoint()
    except NotaryAlarm as alarm:
        failure = str(alarm)
    except Exception as error:  # a view failed: named by type only (a message may quote data)
        log.warning(
            "projections.catch_up_failed",
            error=type(error).__name__,
            sqlstate=getattr(error, "sqlstate", None),
        )
        failure = (
            f"catching up failed ({type(error).__name__});"
            " `asb-ledger projections status` shows which view is behind"
        )
    finally:
        models.close()
        ledger.close()
    if failure is not None:
        err.print(f"projections: {failure}", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    for state in statuses:
        typer.echo(f"{state.name}\t{state.position}")
    reached = min((state.position for state in statuses), default=0)
    signed = (
        "no checkpoint: the log is empty"
        if latest is None
        else (f"checkpoint signed at tree size {latest.size:,}")
    )
    err.print(f"caught up to position {reached:,}; {signed}", markup=False, soft_wrap=True)


@projections_app.command("status")
def status() -> None:
    """Show each view's position against the head of the log, and its lag."""
    ledger = open_ledger(must_exist=True)
    models = _models(ledger, run=False)
    try:
        statuses = models.runner.status()
        head = statuses[0].head if statuses else 0
        table = Table(title=f"views against the log (head: position {head:,})")
        table.add_column("view", no_wrap=True)
        table.add_column("tables", no_wrap=True)
        table.add_column("position", justify="right", no_wrap=True)
        table.add_column("head", justify="right", no_wrap=True)
        table.add_column("lag", justify="right", no_wrap=True)
        table.add_column("not serving")
        for view, state in zip(models.views.values(), statuses, strict=True):
            others = [
                f"{generation.suffix or '(first)'} {generation.state} at {position:,}"
                for generation, position in leftovers(models.store, view.name, ledger.name)
            ]
            table.add_row(
                state.name,
                state.tables or "(first)",
                f"{state.position:,}",
                f"{state.head:,}",
                f"{state.lag:,}",
                "; ".join(others) or "-",
            )
        notary = _notary_lines(models, head)
    finally:
        models.close()
        ledger.close()
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(table)
    for line in notary:
        console.print(line, markup=False, soft_wrap=True)


def _notary_lines(models: ReadModels, head: int) -> list[str]:
    """The Merkle log's position, size, last checkpoint and any alarm."""
    notary = models.notary
    if notary is None:
        return []
    position = notary.position()
    latest = notary.latest_checkpoint()
    signed = (
        "no checkpoint signed yet"
        if latest is None
        else f"last checkpoint: tree size {latest.size:,}"
        f" signed {latest.signed_at:%Y-%m-%d %H:%M:%S}Z"
    )
    lines = [
        f"notary: position {position:,} (lag {max(head - position, 0):,}),"
        f" tree size {notary.tree_size():,}; {signed}"
    ]
    active = notary.active_alarms()
    lines += [f"NOTARY ALARM: {alarm}" for alarm in active]
    past = len(notary.alarms()) - len(active)
    if past:
        lines.append(f"notary: {past} earlier alarm(s), since got past (asb_notary_alarms)")
    return lines


class _RateColumn(ProgressColumn):
    """Events per second, as rich estimates it over the last half minute."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("- events/s" if speed is None else f"{speed:,.0f} events/s")


@projections_app.command("rebuild")
def rebuild_view(
    name: Annotated[str, typer.Argument(help="The view to rebuild (see `projections status`).")],
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="Notifications per transaction.")
    ] = 500,
    keep_old: Annotated[
        float,
        typer.Option(
            "--keep-old",
            min=0,
            help="Seconds to keep the old tables after the switch-over, for queries still"
            " on them and processes yet to notice (they look every second).",
        ),
    ] = 10.0,
) -> None:
    """Replay the whole log into new tables beside the serving ones, then switch over.

    Queries keep answering from the old tables until the switch, in every process; an
    interrupted rebuild leaves them serving and can simply be run again."""
    kinds = {kind.name: kind for kind in VIEW_TYPES}
    if name not in kinds:
        err.print(
            f"rebuild: no view {name!r}; known views: {', '.join(kinds)}",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    ledger = open_ledger(must_exist=True)
    try:
        store = open_view_store(ledger.store_config)
    except UnsupportedStore as error:
        ledger.close()
        err.print(f"rebuild: {error}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None

    def wait(seconds: float) -> None:
        err.print(f"switched over; dropping the old tables in {seconds:g} s")
        time.sleep(seconds)

    try:
        with Progress(
            TextColumn(f"rebuilding {name}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeRemainingColumn(),
            console=err,
        ) as bar:
            task = bar.add_task(name, total=None)
            report = rebuild(
                ledger,
                store,
                kinds[name],
                page_size=page_size,
                keep_seconds=keep_old,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                sleep=wait,
            )
    except RebuildRunning as running:
        err.print(f"rebuild: {running}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("rebuild interrupted: the old tables still serve; run it again to start over")
        raise typer.Exit(130) from None
    finally:
        store.close()
        ledger.close()
    rate = report.events / report.seconds if report.seconds > 0 else 0.0
    typer.echo(
        f"{name}: {report.events:,} events into {report.tables} in {report.seconds:.1f} s"
        f" ({rate:,.0f}/s), at position {report.position:,}; serving from {report.tables},"
        f" old tables {report.replaced or '(first)'} dropped"
    )
