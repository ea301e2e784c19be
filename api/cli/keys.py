"""``asb-ledger keys``: the master key and the data keys it wraps (``ledger/rotation.py``).

Exit 0 when the rotation is done, 1 when it could not finish (run it again to resume),
2 on bad usage. It prints counts only, never a key."""

from __future__ import annotations

import sqlite3
from typing import Annotated

import psycopg
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.common import err, open_ledger
from ledger.errors import MasterKeyError
from ledger.rotation import KeyRotation, RotationCount

keys_app = typer.Typer(no_args_is_help=True, help="The master key and the data keys it wraps.")


@keys_app.command()
def rotate(
    batch: Annotated[
        int,
        typer.Option("--batch", min=1, max=100_000, help="Data keys rewrapped per transaction."),
    ] = 1000,
) -> None:
    """Rewrap every data key under a new master key; run again to resume one that stopped.

    No event is rewritten, so every chain and checkpoint still verifies. The new key waits
    beside the master key (MASTER.next, 0600) until every data key is wrapped under it, then
    replaces it; the old key is refused from then on. Servers may keep running: they take
    up the new key as they meet it. A backup taken before the rotation needs the old key:
    copy it away first if such backups are kept."""
    ledger = open_ledger(must_exist=True)
    try:
        if ledger.store_config.kind == "memory":
            err.print("keys rotate: the in-memory store keeps no master key")
            raise typer.Exit(2)
        rotation = KeyRotation(ledger.keys.table, ledger.settings.master_key_path, batch=batch)
        if rotation.resuming:
            err.print("keys rotate: resuming the rotation that stopped")
        with Progress(
            TextColumn("rewrapping data keys"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("rotate", total=None)

            def advance(count: RotationCount) -> None:
                bar.update(task, total=max(count.total, count.done), completed=count.done)

            count = rotation.run(on_batch=advance)
    except (MasterKeyError, ValueError, OSError, sqlite3.Error, psycopg.Error) as error:
        err.print(f"keys rotate: {error}".splitlines()[0], markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        ledger.close()
    typer.echo(
        f"rotated: {count.rewrapped:,} data keys rewrapped, {count.already:,} already under"
        f" the new key, {count.changed:,} destroyed or rewrapped meanwhile"
    )
