"""``asb-ledger dpo retention``: list, then erase, the closed cases past retention (DOMAIN §8).

``--dry-run`` lists them, one a line, tab-separated (reference, closed on, due on, and for
a held one the hold that keeps it), and changes nothing; ``--apply`` erases them one case
at a time (see ``commands/erase_closed_case.py``: each is checked against the ledger
first, held ones are skipped and named, each erasure is recorded as an event). Both bring
the caseload view up to date first, and judge at ``--now`` (default: the time now);
``--apply`` refuses a ``--now`` in the future, which would erase early. A second run finds
nothing more to do; a run that stopped half way is completed by the next. Exit 0 when
every case was handled (erased, already erased, or skipped for a reason named), 1 when a
case could not be checked or the view could not catch up, 2 on bad usage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from api.cli.common import open_ledger, progress_bar
from api.cli.dpo import catch_up, dpo_app, parse_time, usage, view_store
from api.retention import Due, RetentionSweep, counts
from commands.erase_closed_case import Outcome
from ledger.application import CaseLedger
from ledger.enums import Role
from ledger.values import Actor
from projections.caseload.projection import Caseload
from replay.sar_response import erase_reports_about

out = Console(soft_wrap=True)
SKEW = timedelta(minutes=5)
"""How far ahead of this machine's clock ``--now`` may be with ``--apply``."""


def _usage(message: str) -> typer.Exit:
    return usage(message, "dpo retention")


@dpo_app.command("retention")
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the closed cases past retention; erase nothing.")
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Erase them (held ones are skipped and named).")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Judge at this date or ISO 8601 time (default: now)."),
    ] = None,
    actor_id: Annotated[
        str | None,
        typer.Option("--actor-id", help="Your own staff id (the DPO): recorded on each erasure."),
    ] = None,
) -> None:
    """List (--dry-run) or erase (--apply) the closed cases past retention, skipping held ones."""
    if dry_run == apply:
        raise _usage("give exactly one of --dry-run and --apply")
    real = datetime.now(UTC)
    at = parse_time(now, "--now", "dpo retention") or real
    if apply and at > real + SKEW:
        raise _usage("--now may not be in the future with --apply: it would erase early")
    who = (actor_id or "").strip()
    if apply and (not who or not who.isprintable() or len(who) > 200):
        raise _usage("--apply needs --actor-id, your staff id")
    dpo = Actor(user_id=who or "dry-run", display_name=who, role=Role.DPO, organisation="council")
    ledger = open_ledger(must_exist=True)
    try:
        with view_store(ledger, "dpo retention") as store:
            view = Caseload(store, application_name=ledger.name)
            catch_up(
                ledger,
                view,
                label="caseload view",
                command="dpo retention",
                nothing="nothing erased",
            )
            sweep = RetentionSweep(ledger, view, actor=dpo, now=at)
            listed = sweep.due()
            if dry_run:
                _list(listed, sweep)
            else:
                _apply(listed, sweep, ledger)
    finally:
        ledger.close()


def _list(listed: list[Due], sweep: RetentionSweep) -> None:
    if not listed:
        out.print(f"no closed case is past retention on {sweep.today}: nothing to erase")
        return
    out.print("reference\tclosed on\tdue on\theld by", markup=False)
    for due in listed:
        held = "; ".join(h.describe() for h in due.holds)
        row = (due.row.reference, str(due.row.closed_on), str(due.row.due_on), held)
        out.print("\t".join(row), markup=False)
    kept = sum(1 for due in listed if due.holds)
    out.print(
        f"{len(listed)} closed cases past retention on {sweep.today}:"
        f" {len(listed) - kept} to erase, {kept} held (nothing erased: --dry-run)"
    )


def _apply(listed: list[Due], sweep: RetentionSweep, ledger: CaseLedger) -> None:
    if not listed:
        out.print(f"no closed case is past retention on {sweep.today}: nothing to do")
        return
    with progress_bar("erasing") as progress:
        task = progress.add_task("cases", total=len(listed))
        outcomes = sweep.apply([due.row for due in listed], lambda _: progress.advance(task))
    people = [
        UUID(scope.removeprefix("person:"))
        for outcome in outcomes
        if outcome.status in {"erased", "completed"}
        for scope in outcome.scopes
        if scope.startswith("person:")
    ]
    erase_reports_about(ledger, ledger.settings.sar_path, people)  # their issued reports
    for outcome in outcomes:
        if outcome.status in {"held", "refused", "failed"}:
            out.print(_skipped(outcome), markup=False)
    tally = counts(outcomes)
    out.print(
        f"{tally['erased'] + tally['completed']} erased ({tally['completed']} completed from"
        f" a stopped run), {tally['held']} held, {tally['already']} already erased,"
        f" {tally['refused']} not erasable, {tally['failed']} failed"
    )
    if tally["erased"] + tally["completed"] == 0:
        out.print("nothing erased")
    if tally["failed"]:
        raise typer.Exit(1)


def _skipped(outcome: Outcome) -> str:
    why = outcome.detail or "; ".join(h.describe() for h in outcome.holds)
    return f"{outcome.reference or outcome.case_id} {outcome.status}: {why}"
