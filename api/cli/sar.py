"""``asb-ledger dpo sar``: subject access requests from the command line, as over HTTP.

Whoever runs it holds the store's credentials; ``--actor-id`` names the DPO responsible,
who is recorded as the actor of each step, and each read of a draft is recorded as an
access by them. ``--now`` sets the clock (default: the real time). Exit 0 on success, 1
when a rule refuses the step or the read models cannot be brought up to date, 2 on bad
usage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, TypeVar
from uuid import UUID, uuid4

import typer
from rich.table import Table

from api.cli.common import err, open_ledger
from api.schemas.sars import SarDraftOut, SarOut, queue
from commands import issue_sar, progress_sar, request_sar, review_sar_item
from ledger.access import AccessRecord
from ledger.application import CaseLedger
from ledger.enums import (
    AccessOutcome,
    AccessPurpose,
    Role,
    SarClosure,
    SarDecision,
    SarExtensionReason,
    SarPart,
    SarRequester,
    SarStopReason,
    WithholdGround,
)
from ledger.errors import ConcurrentWrite, RuleViolation
from ledger.sar import SubjectAccessRequest
from ledger.sar_register import SarNotFound
from ledger.settings import Retention
from ledger.values import Actor
from projections.disclosures.projection import DisclosureLog
from projections.notary import NotaryKeyError, notary_settings
from projections.risk.projection import CumulativeRisk
from projections.runner import ViewRunner
from projections.service import ReadModels
from projections.store import UnsupportedStore
from replay.sar_draft import Draft
from replay.sar_response import NotYetSigned, write_response
from replay.sar_sources import draft_for

sar_app = typer.Typer(no_args_is_help=True, help="Subject access requests (UK GDPR Article 15).")
T = TypeVar("T")

ActorId = Annotated[
    str, typer.Option("--actor-id", help="Your own staff id (a DPO): recorded as who acted.")
]
Now = Annotated[
    str | None, typer.Option("--now", help="The time to act as of (ISO 8601, with timezone).")
]
On = Annotated[str, typer.Option("--on", help="The day it happened (YYYY-MM-DD).")]
SarArg = Annotated[str, typer.Argument(help="The request's id.")]


def _usage(message: str) -> typer.Exit:
    err.print(f"dpo sar: {message}", markup=False, soft_wrap=True)
    return typer.Exit(2)


def _refused(message: str) -> typer.Exit:
    err.print(f"dpo sar: {message}", markup=False, soft_wrap=True)
    return typer.Exit(1)


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _usage("--now must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise _usage("--now needs a timezone")
    return moment


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _usage(f"{option} must be a date (YYYY-MM-DD)") from None


def _on(value: str) -> date:
    day = _day(value, "--on")
    assert day is not None
    return day


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise _usage(f"{what} must be a UUID") from None


def _actor(actor_id: str) -> Actor:
    who = actor_id.strip()
    if not who or not who.isprintable() or len(who) > 200:
        raise _usage("--actor-id must be a staff id")
    return Actor(user_id=who, display_name=who, role=Role.DPO, organisation="council")


def _do(step: Callable[[], T]) -> T:
    try:
        return step()
    except RuleViolation as refusal:
        raise _refused(f"{refusal.detail} ({refusal.rule.value})") from None
    except SarNotFound as missing:
        raise _usage(str(missing)) from None
    except ConcurrentWrite:
        raise _refused("another change to the request won; run it again") from None


def _show(sar: SubjectAccessRequest, today: date) -> None:
    typer.echo(SarOut.of(sar, today).model_dump_json(indent=1))


@sar_app.command("open")
def open_request(
    person: Annotated[str, typer.Option("--person", help="The person's reference.")],
    received: Annotated[str, typer.Option("--received", help="The day it arrived.")],
    actor_id: ActorId,
    identity_checked: Annotated[
        str | None, typer.Option("--identity-checked", help="The day identity was confirmed.")
    ] = None,
    representative: Annotated[
        str | None, typer.Option("--representative", help="A representative's reference.")
    ] = None,
    asks_for: Annotated[
        list[SarPart] | None, typer.Option("--asks-for", help="What was asked for (default all).")
    ] = None,
    now: Now = None,
) -> None:
    """Record a request received; it holds the person's data until answered."""
    moment, actor = _now(now), _actor(actor_id)
    command = request_sar.RequestSar(
        actor=actor,
        occurred_at=moment,
        sar_id=uuid4(),
        person_ref=_uuid(person, "--person"),
        requester=SarRequester.DATA_SUBJECT
        if representative is None
        else SarRequester.REPRESENTATIVE,
        representative_ref=None if representative is None else _uuid(representative, "--rep"),
        received_on=_day(received, "--received") or moment.date(),
        identity_checked_on=_day(identity_checked, "--identity-checked"),
        asks_for=tuple(asks_for or SarPart),
    )
    ledger = open_ledger(must_exist=True)
    try:
        sar, _ = _do(lambda: request_sar.handle(command, ledger))
        _show(sar, moment.date())
    finally:
        ledger.close()


@sar_app.command("list")
def list_requests(now: Now = None) -> None:
    """The queue: overdue first, then by due date; no personal data."""
    today = _now(now).date()
    ledger = open_ledger(must_exist=True)
    try:
        found = queue(SarOut.of(sar, today) for sar in ledger.sars.all())
    finally:
        ledger.close()
    table = Table("request", "person", "received", "status", "due")
    for sar in found:
        due = "" if sar.due_on is None else sar.due_on.isoformat()
        table.add_row(str(sar.sar_id), str(sar.person_ref), str(sar.received_on), sar.status, due)
    err.print(table)
    typer.echo(json.dumps([s.model_dump(mode="json") for s in found], indent=1))


@contextmanager
def _read_models(ledger: CaseLedger, *, sign: bool) -> Iterator[ReadModels]:
    """The risk view, the disclosure log and the notary, brought up to the ledger's head (and
    the notary asked to sign, with ``sign`` and where its key is here)."""
    settings = None
    if sign:
        try:
            settings = notary_settings(ledger.settings, create=False)
        except NotaryKeyError:
            settings = None
    try:
        models = ReadModels.open(ledger, run=False, notary=settings)
    except UnsupportedStore as error:
        raise _usage(str(error)) from None
    try:
        views = [models.get(CumulativeRisk), models.get(DisclosureLog)]
        if settings is not None and models.notary is not None:
            views.append(models.notary)
        runner = ViewRunner(ledger, views)
        err.print("bringing the read models up to date", style="dim")
        runner.catch_up()
        if settings is not None and models.notary is not None:
            models.notary.tick(force=True)
        yield models
    finally:
        models.close()


def _draft(ledger: CaseLedger, models: ReadModels, sar: SubjectAccessRequest) -> Draft:
    return draft_for(
        ledger,
        sar,
        risk=models.get(CumulativeRisk),
        log=models.get(DisclosureLog),
        retention=Retention(),
        wait=5.0,
    )


def _record_read(
    ledger: CaseLedger, actor: Actor, draft: Draft, view: str, *, released_only: bool = False
) -> None:
    others = draft.third_parties(released_only=released_only)
    ledger.record_access(
        AccessRecord.record(
            occurred_at=datetime.now(UTC),
            actor=actor,
            request_id=f"cli-{uuid4().hex}",
            case_id=None,
            case_version=None,
            view=view,
            purpose=AccessPurpose.DATA_PROTECTION,
            subjects=(draft.person_ref, *others),
            outcome=AccessOutcome.GRANTED,
            reason=None,
        )
    )


@sar_app.command("show")
def show(sar_id: SarArg, actor_id: ActorId, now: Now = None) -> None:
    """The request and its draft response as JSON (recorded as an access by --actor-id)."""
    today, actor = _now(now).date(), _actor(actor_id)
    ledger = open_ledger(must_exist=True)
    try:
        sar = _do(lambda: ledger.sars.require(_uuid(sar_id, "the request")))
        with _read_models(ledger, sign=False) as models:
            draft = _draft(ledger, models, sar)
        _record_read(ledger, actor, draft, "dpo.sar.cli")
        typer.echo(SarDraftOut.of(sar, draft, today).model_dump_json(indent=1))
    finally:
        ledger.close()


def _step(sar_id: str, actor_id: str, now: str | None, make: Callable[..., object]) -> None:
    moment, actor = _now(now), _actor(actor_id)
    command = make(actor=actor, occurred_at=moment, sar_id=_uuid(sar_id, "the request"))
    assert isinstance(command, progress_sar.SarCommand)
    ledger = open_ledger(must_exist=True)
    try:
        sar, _ = _do(lambda: progress_sar.handle(command, ledger))
        _show(sar, moment.date())
    finally:
        ledger.close()


@sar_app.command("identity")
def identity(sar_id: SarArg, on: On, actor_id: ActorId, now: Now = None) -> None:
    """The requester's identity was confirmed on --on: the month runs from that day."""
    day = _on(on)
    _step(sar_id, actor_id, now, lambda **w: progress_sar.CheckIdentity(**w, on=day))


@sar_app.command("stop")
def stop(
    sar_id: SarArg,
    on: On,
    reason: Annotated[SarStopReason, typer.Option("--reason")],
    actor_id: ActorId,
    now: Now = None,
) -> None:
    """Stop the clock while clarification is sought."""
    day = _on(on)
    _step(sar_id, actor_id, now, lambda **w: progress_sar.StopClock(**w, on=day, reason=reason))


@sar_app.command("restart")
def restart(sar_id: SarArg, on: On, actor_id: ActorId, now: Now = None) -> None:
    """What the clock waited for arrived on --on: a fresh month runs."""
    day = _on(on)
    _step(sar_id, actor_id, now, lambda **w: progress_sar.RestartClock(**w, on=day))


@sar_app.command("extend")
def extend(
    sar_id: SarArg,
    months: Annotated[int, typer.Option("--months", min=1, max=2)],
    reason: Annotated[SarExtensionReason, typer.Option("--reason")],
    actor_id: ActorId,
    now: Now = None,
) -> None:
    """Extend the time to respond (only while the first month runs)."""
    _step(
        sar_id,
        actor_id,
        now,
        lambda **w: progress_sar.ExtendSar(**w, months=months, reason=reason),
    )


@sar_app.command("close")
def close(
    sar_id: SarArg,
    closure: Annotated[SarClosure, typer.Option("--closure")],
    actor_id: ActorId,
    now: Now = None,
) -> None:
    """End the request without a response (withdrawn, or refused)."""
    _step(sar_id, actor_id, now, lambda **w: progress_sar.CloseSar(**w, closure=closure))


@sar_app.command("decide")
def decide(
    sar_id: SarArg,
    item: Annotated[str, typer.Argument(help="The item's id, as `show` lists it.")],
    actor_id: ActorId,
    release: Annotated[bool, typer.Option("--release", help="Release the item.")] = False,
    withhold: Annotated[
        WithholdGround | None, typer.Option("--withhold", help="Withhold it on this ground.")
    ] = None,
    now: Now = None,
) -> None:
    """Release an item of the draft, or withhold it on a ground."""
    if release == (withhold is not None):
        raise _usage("give exactly one of --release or --withhold GROUND")
    moment, actor = _now(now), _actor(actor_id)
    ledger = open_ledger(must_exist=True)
    try:
        sar = _do(lambda: ledger.sars.require(_uuid(sar_id, "the request")))
        with _read_models(ledger, sign=False) as models:
            draft = _draft(ledger, models, sar)
        command = review_sar_item.ReviewSarItem(
            actor=actor,
            occurred_at=moment,
            sar_id=sar.id,
            item=item,
            decision=SarDecision.RELEASE if release else SarDecision.WITHHOLD,
            ground=withhold,
        )
        sar, _ = _do(lambda: review_sar_item.handle(command, ledger, set(draft.items)))
        _show(sar, moment.date())
    finally:
        ledger.close()


@sar_app.command("issue")
def issue(
    sar_id: SarArg,
    actor_id: ActorId,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The folder (default: ASB_SAR_DIR/ID).")
    ] = None,
    now: Now = None,
) -> None:
    """Write the response (report.html and bundle.json) and record it issued."""
    moment, actor = _now(now), _actor(actor_id)
    ledger = open_ledger(must_exist=True)
    try:
        sar = _do(lambda: ledger.sars.require(_uuid(sar_id, "the request")))
        _do(sar.check_issuable)
        try:
            signer = notary_settings(ledger.settings, create=False).signer
        except NotaryKeyError as error:
            raise _usage(f"the notary's key is needed to sign the bundle: {error}") from None
        with _read_models(ledger, sign=True) as models:
            draft = _draft(ledger, models, sar)
            assert models.notary is not None
            try:
                written = write_response(
                    draft,
                    sar,
                    notary=models.notary,
                    signer=signer,
                    folder=output or ledger.settings.sar_path / str(sar.id),
                    issued_at=moment,
                    council=ledger.settings.council_name,
                    organisation=ledger.organisations.name_of,
                )
            except NotYetSigned as waiting:
                raise _refused(str(waiting)) from None
        command = issue_sar.IssueSar(
            actor=actor,
            occurred_at=moment,
            sar_id=sar.id,
            report_sha256=written.report_sha256,
            bundle_sha256=written.bundle_sha256,
            released=draft.released(),
            withheld=draft.withheld(),
        )
        _do(lambda: issue_sar.handle(command, ledger))
        _record_read(ledger, actor, draft, "dpo.sar.issue", released_only=True)
        err.print(f"issued to {written.folder}", markup=False, soft_wrap=True)
        typer.echo(str(written.folder))
    finally:
        ledger.close()
