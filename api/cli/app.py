"""The ``asb-ledger`` command line: exit 0 on success, 1 when a check fails, 2 on bad usage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from api.cli.audit import checkpoint, export, verify_all
from api.cli.common import err, open_ledger, report_failure, resolve_case
from api.cli.dpo import dpo_app
from api.cli.keys import keys_app
from api.cli.organisations import organisations_app
from api.cli.people import people_app
from api.cli.projections import projections_app
from api.cli.retention import retention as _retention  # noqa: F401 - registers dpo retention
from api.logs import configure_logging
from ledger.errors import CaseNotFound
from ledger.settings import Settings

app = typer.Typer(no_args_is_help=True, help="The ASB case ledger.")
app.add_typer(dpo_app, name="dpo")
app.add_typer(keys_app, name="keys")
app.add_typer(projections_app, name="projections")
app.add_typer(organisations_app, name="organisations")
app.add_typer(people_app, name="people")
app.command()(export)
app.command()(checkpoint)


@app.callback()
def main() -> None:
    """Event-sourced case ledger for anti-social behaviour cases."""
    configure_logging(Settings().log_format)


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load nothing if the store already holds cases.")
    ] = False,
) -> None:
    """Open a small, clearly fictional set of cases and print their references; the notary
    then logs them and signs a checkpoint covering them, so that `verify --all` and
    `export` have one to check against before any server has run."""
    from api.demo import load_demo, register_organisations
    from projections.notary import NotaryKeyError, notary_settings
    from projections.service import notarise

    ledger = open_ledger()
    try:
        if if_empty and next(ledger.case_ids(page=1), None) is not None:
            register_organisations(ledger, datetime.now(UTC))  # a store from before them
            err.print("demo: the store already holds cases; nothing loaded")
            return
        try:
            notary = notary_settings(ledger.settings)
        except NotaryKeyError as error:
            err.print(f"demo: {error}", markup=False, soft_wrap=True)
            raise typer.Exit(2) from None
        for case in load_demo(ledger, datetime.now(UTC)):
            typer.echo(f"{case.reference}\t{case.id}")
        latest = notarise(ledger, notary)
        if latest is not None:
            err.print(f"demo: checkpoint signed at tree size {latest.size:,}")
    finally:
        ledger.close()


@app.command()
def verify(
    case: Annotated[
        str | None, typer.Option("--case", help="A case id or reference (ASB-YYYY-NNNNNN).")
    ] = None,
    all_cases: Annotated[
        bool, typer.Option("--all", help="Check every case in the store.")
    ] = False,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Check an export bundle offline; the store is not opened."),
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="The notary's verifier key (notary.pub).")
    ] = None,
    since: Annotated[
        Path | None,
        typer.Option(
            "--since", help="An earlier checkpoint note the bundle (or the store) must extend."
        ),
    ] = None,
) -> None:
    """Check hash chains; print `intact`, or the first failing case, version and reason.

    With --all, also check the store against the Merkle log: every event against the leaf
    logged for it, and the tree's root against the latest checkpoint signed by --key
    (default: notary.pub in the data directory); with --since, that the log extends a
    checkpoint kept earlier. With --bundle, check an export bundle offline."""
    if bundle is not None:
        _verify_bundle(bundle, key, since, with_store_target=case is not None or all_cases)
    if (case is None) == (not all_cases):
        err.print("verify: give exactly one of --case ID or --all")
        raise typer.Exit(2)
    if (key is not None or since is not None) and not all_cases:
        err.print("verify: --key and --since go with --bundle FILE or --all")
        raise typer.Exit(2)
    ledger = open_ledger(must_exist=True)
    try:
        if case is not None:
            try:
                case_id, known = resolve_case(ledger, case)
                verdict = ledger.verify_case(case_id, known=known)
            except CaseNotFound:
                err.print(f"verify: no case {case}")
                raise typer.Exit(2) from None
            if not verdict.intact:
                report_failure(verdict)
                raise typer.Exit(1)
            err.print(f"{verdict.events} events checked")
            typer.echo("intact")
            return
        verify_all(ledger, key, since)
    finally:
        ledger.close()


def _verify_bundle(
    bundle: Path, key: Path | None, since: Path | None, *, with_store_target: bool
) -> NoReturn:
    if with_store_target:
        err.print("verify: --bundle checks a file; do not combine it with --case or --all")
        raise typer.Exit(2)
    if key is None:
        err.print("verify: --bundle needs --key FILE, the notary's verifier key")
        raise typer.Exit(2)
    from replay.offline import run  # the offline verifier, which needs no store or settings

    raise typer.Exit(run(bundle, key, since))


def _check_partner_org(settings: Settings, org: str) -> None:
    """A partner's token carries a registered signatory's id: refuse any other."""
    from ledger.application import CaseLedger
    from ledger.errors import RuleViolation

    ledger = CaseLedger(settings)
    try:
        ledger.organisations.require(org, datetime.now(UTC).date(), "--org")
    except RuleViolation as refusal:
        err.print(f"token: {refusal.detail}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        ledger.close()


@app.command()
def token(
    user: Annotated[str, typer.Option("--user", help="User id (the `sub` claim).")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="caseworker, supervisor, partner, auditor, dpo, analyst or admin."
        ),
    ],
    org: Annotated[
        str,
        typer.Option(
            "--org",
            help="Organisation id (the `org` claim): `council` for the council's staff; for a"
            " partner, a registered organisation's id (GET /organisations).",
        ),
    ],
    team: Annotated[str | None, typer.Option("--team", help="The user's own team.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Display name (default: user).")
    ] = None,
    minutes: Annotated[
        int | None,
        typer.Option(
            "--minutes",
            help="Lifetime in minutes (default: ASB_JWT_DEV_TOKEN_MINUTES, 480; at most"
            " ASB_JWT_MAX_TOKEN_LIFETIME_MINUTES, 720).",
        ),
    ] = None,
) -> None:
    """Print a development bearer token signed with the embedded key, alone on stdout."""
    from pydantic import ValidationError

    from api.auth import mint_token
    from api.settings import ApiSettings
    from ledger.enums import Role

    allowed = [r.value for r in Role if r is not Role.SYSTEM]
    if role not in allowed:
        err.print(f"token: --role must be one of {', '.join(allowed)}", soft_wrap=True)
        raise typer.Exit(2)
    try:
        settings = ApiSettings()
        if role == Role.PARTNER.value:
            _check_partner_org(settings, org)
        minted = mint_token(
            settings, user=user, role=Role(role), org=org, team=team, name=name, minutes=minutes
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = "".join(f"ASB_{str(part).upper()}: " for part in first["loc"][:1])
        message = first["msg"].removeprefix("Value error, ")
        err.print(f"token: {where}{message}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except (ValueError, OSError) as error:
        err.print(f"token: {error}".splitlines()[0], markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    typer.echo(minted)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default: ASB_SERVE_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port (default: ASB_SERVE_PORT, 8000).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Server processes sharing one store.")
    ] = 1,
) -> None:
    """Run the HTTP API (OpenAPI at /docs) on the configured store."""
    from pydantic import ValidationError

    from api.serving import run_server
    from api.settings import ApiSettings

    try:
        settings = ApiSettings()
        settings.store()
    except (ValidationError, ValueError) as error:
        err.print(f"serve: {error}".splitlines()[0], markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    ok = run_server(
        host=host or settings.serve_host,
        port=settings.serve_port if port is None else port,
        workers=workers,
    )
    if not ok:
        raise typer.Exit(1)
