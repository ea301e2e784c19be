"""The auditor's commands against the store: ``verify --all`` (every chain, then the Merkle log
against its signed checkpoints) and ``export`` (bundles for the offline verifier)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn
from uuid import UUID

import typer

from api.cli.common import err, open_ledger, progress_bar, resolve_case
from ledger.application import CaseLedger
from ledger.checkpoint import CheckpointError, VerifierKey
from ledger.errors import CaseNotFound
from projections import ReadModels, UnsupportedStore, ViewRunner
from projections.notary import (
    Notary,
    NotaryAlarm,
    NotaryKeyError,
    load_signer,
    notary_settings,
    public_key_path,
)
from replay.export import ExportRefused, export_bundle
from replay.ledger_check import verify_ledger
from replay.log_check import LogCheck


def _key(ledger: CaseLedger, given: Path | None) -> VerifierKey | None:
    """The verifier key: ``--key``, else ``notary.pub`` beside the configured signing key,
    else the signing key's public half; ``None`` if there is none of them."""
    try:
        if given is not None:
            return VerifierKey.parse(given.read_text(encoding="ascii"))
        path = ledger.settings.notary_key_path
        published = public_key_path(path)
        if published.exists():
            return VerifierKey.parse(published.read_text(encoding="ascii"))
        if path.exists():
            return load_signer(path).verifier()
    except (OSError, UnicodeDecodeError, CheckpointError, NotaryKeyError, ValueError) as error:
        where = given or ledger.settings.notary_key_path
        err.print(f"verify: the notary key {where} cannot be used: {error}", markup=False)
        raise typer.Exit(2) from None
    return None


@contextmanager
def _notary(ledger: CaseLedger) -> Iterator[Notary]:
    """The notary's tables, read only (no key), on the ledger's store."""
    try:
        models = ReadModels.open(ledger, run=False)
    except UnsupportedStore as error:
        err.print(f"asb-ledger: {error}", markup=False)
        raise typer.Exit(2) from None
    try:
        assert models.notary is not None
        yield models.notary
    finally:
        models.close()


def verify_all(ledger: CaseLedger, key_file: Path | None, since: Path | None) -> None:
    """Every case's chain, then the store against the Merkle log and its checkpoints."""
    pinned = None
    if since is None and ledger.settings.notary_witness_path.exists():
        since = ledger.settings.notary_witness_path  # the last checkpoint signed here
    if since is not None:
        try:
            pinned = since.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            err.print(f"verify: --since {since} cannot be read ({type(error).__name__})")
            raise typer.Exit(2) from None
    key = _key(ledger, key_file)
    head = ledger.recorder.max_notification_id() or 0
    with _notary(ledger) as notary:
        log = None
        if key is None:
            if notary.latest_checkpoint() is not None or pinned is not None:
                err.print("verify: give --key notary.pub to check the Merkle log's checkpoints")
                raise typer.Exit(2)
        else:
            log = LogCheck(ledger, notary, key, pinned)
            found = log.start()
            if found is not None:
                _fail(found.case_id, found.version, found.reason)
        with progress_bar("verifying") as progress:
            task = progress.add_task("events", total=max(head, 1))
            report = verify_ledger(ledger, log, advance=lambda n: progress.advance(task, n))
    if report.finding is not None:
        _fail(report.finding.case_id, report.finding.version, report.finding.reason)
    err.print(f"{report.cases} cases, {report.events} stored events checked")
    if log is None or log.signed is None:
        err.print("no checkpoint is signed yet: the Merkle log was not checked")
    else:
        err.print(
            f"Merkle log: {log.index} events match the log; the first"
            f" {log.signed.size} match the signed checkpoint"
            + (f"; {log.unsigned} are not signed yet" if log.unsigned > 0 else "")
            + ("; the pinned checkpoint is extended" if pinned is not None else "")
        )
    typer.echo("intact")


def _fail(case_id: UUID | None, version: int | None, reason: str) -> NoReturn:
    if case_id is not None:
        typer.echo(f"FAILED case {case_id} version {version}: {reason}")
    else:
        typer.echo(f"FAILED checkpoint: {reason}")
    raise typer.Exit(1)


def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the bundle.")],
    case: Annotated[
        str | None, typer.Option("--case", help="A case id or reference (ASB-YYYY-NNNNNN).")
    ] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="Export every case.")] = False,
) -> None:
    """Write a self-contained bundle for `asb-ledger verify --bundle F --key notary.pub`.

    The notary is first brought up to date and asked to sign what it has not yet signed
    (when its key is here); export refuses, naming the case and version, if an event is
    not covered by a signed checkpoint or the store lacks an event the log holds."""
    if (case is None) == (not all_cases):
        err.print("export: give exactly one of --case ID or --all")
        raise typer.Exit(2)
    ledger = open_ledger(must_exist=True)
    try:
        if case is not None:
            try:
                case_id, known = resolve_case(ledger, case)
                if not known:
                    raise CaseNotFound(case_id)
            except CaseNotFound:
                err.print(f"export: no case {case}")
                raise typer.Exit(2) from None
            case_ids: list[UUID] = [case_id]
        else:
            case_ids = list(ledger.case_ids())
        _sign_what_is_logged(ledger)
        with _notary(ledger) as notary:
            try:
                bundle = export_bundle(ledger, notary, case_ids, exported_at=datetime.now(UTC))
            except ExportRefused as refused:
                where = (
                    f"case {refused.case_id} version {refused.version}"
                    if refused.version is not None
                    else (f"case {refused.case_id}" if refused.case_id else "export")
                )
                typer.echo(f"FAILED {where}: {refused.reason}")
                raise typer.Exit(1) from None
        draft = output.with_name(output.name + ".tmp")
        try:
            draft.write_text(bundle.to_json(), encoding="utf-8")
            draft.replace(output)
        except OSError as error:
            err.print(f"export: cannot write {output} ({type(error).__name__})")
            raise typer.Exit(2) from None
        events = sum(len(c.events) for c in bundle.cases)
        err.print(f"{len(bundle.cases)} cases, {events} events exported to {output}")
    finally:
        ledger.close()


def checkpoint(
    size: Annotated[
        int | None, typer.Option("--size", min=0, help="An earlier signed tree size.")
    ] = None,
) -> None:
    """Print the latest signed checkpoint note (or the one at --size), exactly as signed:
    keep it somewhere the database's administrators cannot reach, and later check that
    the ledger still extends it with `verify --all --since FILE` or `verify --bundle`."""
    ledger = open_ledger(must_exist=True)
    try:
        with _notary(ledger) as notary:
            signed = notary.latest_checkpoint() if size is None else notary.checkpoint_at(size)
    finally:
        ledger.close()
    if signed is None:
        err.print(
            "checkpoint: none is signed yet" if size is None else f"checkpoint: none at {size}"
        )
        raise typer.Exit(1)
    typer.echo(signed.note, nl=False)


def _sign_what_is_logged(ledger: CaseLedger) -> None:
    """Brings the notary up to date and has it sign, if its signing key is here."""
    try:
        settings = notary_settings(ledger.settings, create=False)  # never a new key here
    except NotaryKeyError:
        return  # the notary runs elsewhere: use what it has signed
    models = ReadModels.open(ledger, run=False, notary=settings)
    try:
        assert models.notary is not None
        ViewRunner(ledger, [models.notary]).catch_up()
        models.notary.tick(force=True)
    except NotaryAlarm as alarm:
        where = f"case {alarm.case_id} version {alarm.version}" if alarm.case_id else "checkpoint"
        typer.echo(f"FAILED {where}: the notary stopped: {alarm.reason}")
        raise typer.Exit(1) from None
    finally:
        models.close()
