"""``asb-ledger organisations``: the organisation register's migration on the command line.

Exit 0 on success (unmatched names are reported, not an error), 2 on bad usage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from api.cli.common import err, open_ledger
from commands import identify_organisations
from ledger.enums import Role
from ledger.values import Actor

organisations_app = typer.Typer(no_args_is_help=True, help="The organisation register.")

MIGRATION = Actor(
    user_id="organisations-migrate",
    display_name="asb-ledger organisations migrate",
    role=Role.SYSTEM,
    organisation="council",
)


@organisations_app.command()
def migrate(
    apply: Annotated[
        bool, typer.Option("--apply", help="Record the matches (default: only list them).")
    ] = False,
) -> None:
    """List the organisations that cases name by free text from before the register, each
    with the registered id whose name it is exactly, or `unmatched`; with --apply, record
    each match on its case (an OrganisationIdentified event). Unmatched names stay as they
    are: shown to no partner."""
    ledger = open_ledger(must_exist=True)
    try:
        names = identify_organisations.find(ledger)
        for name in names:
            typer.echo(f"{name.reference}\t{name.named}\t{name.organisation or 'unmatched'}")
        matched = sum(1 for name in names if name.organisation is not None)
        if apply:
            done = identify_organisations.apply(ledger, MIGRATION, datetime.now(UTC), names)
            err.print(f"organisations: {done} recorded, {len(names) - matched} unmatched")
        else:
            err.print(
                f"organisations: {matched} would be recorded (--apply),"
                f" {len(names) - matched} unmatched"
            )
    finally:
        ledger.close()
