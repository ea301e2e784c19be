"""``asb-ledger people``: the person register on the command line.

Exit 0 on success, 1 when some people's sealed details do not open, 2 on bad usage. Prints
counts only, never a person's details.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from api.cli.common import err, open_ledger
from commands import register_people
from ledger.enums import Role
from ledger.values import Actor

people_app = typer.Typer(no_args_is_help=True, help="The person register.")

BACKFILL = Actor(
    user_id="people-backfill",
    display_name="asb-ledger people backfill",
    role=Role.SYSTEM,
    organisation="council",
)


@people_app.command()
def backfill(
    apply: Annotated[
        bool, typer.Option("--apply", help="Register and index them (default: only count).")
    ] = False,
) -> None:
    """Register the people that cases recorded before the person register existed (from the
    details their cases hold), so that intake's duplicate check finds them, and recompute
    every registered person's index tokens. Erased people stay erased. Safe to repeat."""
    ledger = open_ledger(must_exist=True)
    try:
        done = register_people.run(ledger, BACKFILL, datetime.now(UTC), apply=apply)
    finally:
        ledger.close()
    verb = "registered" if apply else "to register (--apply)"
    err.print(
        f"people: {done.registered} {verb}, {done.already} registered already,"
        f" {done.erased} erased (left so), {done.reindexed} indexed"
    )
    if done.unreadable:
        err.print(f"people: {done.unreadable} unreadable: run `asb-ledger verify --all`")
        raise typer.Exit(1)
