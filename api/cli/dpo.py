"""``asb-ledger dpo``: the data protection officer's queries on the command line.

The command line runs with the store's own credentials, so whoever runs it is already
trusted as an operator; it authenticates no one. ``--actor-id`` names the DPO (or, with
``--role auditor``, the auditor) responsible for the export, and the export is recorded as
an access by that person, before the file is written: if it cannot be recorded, nothing is
written. Exit 0 on success, 1 when the log cannot be brought up to date or the access cannot
be recorded, 2 on bad usage.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Annotated
from uuid import UUID, uuid4

import typer

from api.cli.common import err, open_ledger, progress_bar
from api.cli.sar import sar_app
from api.spreadsheet import cell
from ledger.access import AccessRecord
from ledger.application import CaseLedger
from ledger.enums import AccessOutcome, AccessPurpose, Role
from ledger.values import Actor
from projections.disclosures.model import Disclosure, DisclosureQuery
from projections.disclosures.projection import DisclosureLog
from projections.runner import ViewRunner
from projections.store import UnsupportedStore, ViewStore, open_view_store
from projections.view import View

dpo_app = typer.Typer(no_args_is_help=True, help="The data protection officer's queries.")
dpo_app.add_typer(sar_app, name="sar")

COLUMNS = tuple(field.name for field in dataclasses.fields(Disclosure))
"""The CSV's columns: the log's fields, in order (lists are space-separated)."""
EXPORT_VIEW = "dpo.disclosures.csv"
_PURPOSES = {Role.DPO: AccessPurpose.DATA_PROTECTION, Role.AUDITOR: AccessPurpose.AUDIT}


def usage(message: str, command: str = "dpo disclosures") -> typer.Exit:
    err.print(f"{command}: {message}", markup=False, soft_wrap=True)
    return typer.Exit(2)


def _failed(message: str) -> typer.Exit:
    err.print(f"dpo disclosures: {message}", markup=False, soft_wrap=True)
    return typer.Exit(1)


def parse_time(value: str | None, option: str, command: str = "dpo disclosures") -> datetime | None:
    """An ISO 8601 time with a timezone, or a date (midnight UTC); else bad usage."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise usage(f"{option} must be a date or an ISO 8601 time", command) from None
    if parsed.tzinfo is None:
        raise usage(
            f"{option} needs a timezone (e.g. 2026-03-01T00:00:00+00:00) or a date", command
        )
    return parsed


def write_csv(out: IO[str], entries: Iterable[Disclosure]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow([cell(getattr(entry, name)) for name in COLUMNS])
        count += 1
    return count


@contextmanager
def _output(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8", newline="") as out:
        yield out


@contextmanager
def view_store(ledger: CaseLedger, command: str = "dpo disclosures") -> Iterator[ViewStore]:
    """The views' store beside the ledger's, closed afterwards (bad usage where the
    ledger's store keeps no views)."""
    try:
        store = open_view_store(ledger.store_config)
    except UnsupportedStore as error:
        raise usage(str(error), command) from None
    try:
        yield store
    finally:
        store.close()


def catch_up(
    ledger: CaseLedger,
    view: View,
    *,
    label: str = "disclosure log",
    command: str = "dpo disclosures",
    nothing: str = "nothing exported",
) -> None:
    """Brings a view up to the head of the ledger now, with a progress bar; exit 1 if not."""
    runner = ViewRunner(ledger, [view])
    head = runner.head()
    start = view.position()
    with progress_bar(label) as progress:
        task = progress.add_task("catching up", total=max(head - start, 0))
        try:
            while view.known_position < head:
                read, _ = runner.run_page([view])
                progress.update(task, completed=view.known_position - start)
                if read < runner.page_size:
                    break
        except Exception as error:  # a row that fails to decode stops the view, loudly
            progress.stop()
            err.print(
                f"{command}: the {label} stopped at position {view.known_position} of {head}"
                f" ({type(error).__name__}); {nothing}. Check with `asb-ledger verify --all`.",
                markup=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None
    if view.position() < head:
        err.print(
            f"{command}: the {label} is at position {view.known_position}, behind the"
            f" ledger's {head}; {nothing}",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


@dpo_app.command("disclosures")
def disclosures(
    csv_file: Annotated[
        str, typer.Option("--csv", metavar="FILE", help="Write the log here ('-': stdout).")
    ],
    actor_id: Annotated[
        str,
        typer.Option("--actor-id", help="Your own staff id: recorded as who made this export."),
    ],
    subject: Annotated[
        str | None, typer.Option("--subject", metavar="REF", help="A person reference.")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="A case id or reference (ASB-YYYY-NNNNNN).")
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", metavar="USER", help="Only what this user saw or disclosed."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="From this date or time (inclusive).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Up to this date or time (exclusive).")
    ] = None,
    role: Annotated[
        str, typer.Option("--role", help="Your role: dpo or auditor (the access's purpose).")
    ] = "dpo",
) -> None:
    """Export who saw or received data (reads, shares, police referrals) as CSV, recorded as an access by --actor-id."""  # noqa: E501 - one line for --help
    subject_ref = _uuid(subject, "--subject")
    start, end = parse_time(since, "--from"), parse_time(until, "--to")
    if start is not None and end is not None and start > end:
        raise usage("--from must not be after --to")
    if role not in {r.value for r in _PURPOSES}:
        raise usage("--role must be dpo or auditor")
    who = actor_id.strip()
    if not who or not who.isprintable() or len(who) > 200:
        raise usage("--actor-id must be a staff id")
    if csv_file != "-" and not Path(csv_file).parent.is_dir():
        raise usage(f"no directory for {csv_file}")
    ledger = open_ledger(must_exist=True)
    try:
        case_id = None if case is None else _case(ledger, case)
        query = DisclosureQuery(
            subject=subject_ref,
            also=() if subject_ref is None else tuple(ledger.people.same_person(subject_ref)),
            case_id=case_id,
            actor=actor,
            since=start,
            until=end,
        )
        with view_store(ledger) as store:
            view = DisclosureLog(store, application_name=ledger.name)
            catch_up(ledger, view)
            entries = list(view.export(query))
        _record(ledger, Role(role), who, case_id, subject_ref)
        with _output(csv_file) as out:
            count = write_csv(out, entries)
    finally:
        ledger.close()
    where = "standard output" if csv_file == "-" else csv_file
    err.print(f"{count} disclosures written to {where}", markup=False, soft_wrap=True)


def _uuid(value: str | None, option: str) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise usage(f"{option} must be a person reference (a UUID)") from None


def _case(ledger: CaseLedger, given: str) -> UUID:
    try:
        return UUID(given)
    except ValueError:
        found = ledger.find_case_id(given)
    if found is None:
        raise usage(f"no case {given}")
    return found


def _record(
    ledger: CaseLedger, role: Role, who: str, case_id: UUID | None, subject: UUID | None
) -> None:
    """The export, recorded as an access before anything is written (or exit 1)."""
    record = AccessRecord.record(
        occurred_at=datetime.now(UTC),
        actor=Actor(user_id=who, display_name=who, role=role, organisation="council"),
        request_id=f"cli-{uuid4().hex}",
        case_id=case_id,
        case_version=None,
        view=EXPORT_VIEW,
        purpose=_PURPOSES[role],
        subjects=() if subject is None else (subject,),
        outcome=AccessOutcome.GRANTED,
        reason=None,
    )
    try:
        ledger.record_access(record)
    except Exception as error:
        raise _failed(
            f"the export could not be recorded as an access ({type(error).__name__});"
            " nothing written"
        ) from None
