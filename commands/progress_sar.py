"""The steps of a subject access request's clock, and its ending without a response: the
requester's identity checked, the clock stopped and restarted, the time extended, the
request withdrawn or refused. Each is one event on the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.enums import SarClosure, SarExtensionReason, SarStopReason
from ledger.sar import SubjectAccessRequest


@dataclass(frozen=True, kw_only=True)
class SarCommand(Command):
    sar_id: UUID


@dataclass(frozen=True, kw_only=True)
class CheckIdentity(SarCommand):
    name: ClassVar[str] = "check_sar_identity"
    on: date


@dataclass(frozen=True, kw_only=True)
class StopClock(SarCommand):
    name: ClassVar[str] = "stop_sar_clock"
    on: date
    reason: SarStopReason


@dataclass(frozen=True, kw_only=True)
class RestartClock(SarCommand):
    name: ClassVar[str] = "restart_sar_clock"
    on: date


@dataclass(frozen=True, kw_only=True)
class ExtendSar(SarCommand):
    name: ClassVar[str] = "extend_sar"
    months: int
    reason: SarExtensionReason


@dataclass(frozen=True, kw_only=True)
class CloseSar(SarCommand):
    name: ClassVar[str] = "close_sar"
    closure: SarClosure


def handle(cmd: SarCommand, ledger: CaseLedger) -> tuple[SubjectAccessRequest, int]:
    """Applies the step; a closure releases the request's hold on the person."""

    def step(sar: SubjectAccessRequest) -> None:
        who, at = cmd.actor, cmd.occurred_at
        if isinstance(cmd, CheckIdentity):
            sar.check_identity(actor=who, occurred_at=at, on=cmd.on)
        elif isinstance(cmd, StopClock):
            sar.stop_clock(actor=who, occurred_at=at, on=cmd.on, reason=cmd.reason)
        elif isinstance(cmd, RestartClock):
            sar.restart_clock(actor=who, occurred_at=at, on=cmd.on)
        elif isinstance(cmd, ExtendSar):
            sar.extend(actor=who, occurred_at=at, months=cmd.months, reason=cmd.reason)
        elif isinstance(cmd, CloseSar):
            sar.close(actor=who, occurred_at=at, closure=cmd.closure)
        else:  # pragma: no cover - every subclass is above
            raise TypeError(type(cmd).__name__)

    return ledger.sars.change(cmd.sar_id, step)
