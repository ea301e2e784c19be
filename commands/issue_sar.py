"""Issue a subject access response: record the digests of the report and bundle sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.sar import SubjectAccessRequest


@dataclass(frozen=True, kw_only=True)
class IssueSar(Command):
    name: ClassVar[str] = "issue_sar"

    sar_id: UUID
    report_sha256: str
    bundle_sha256: str
    released: int
    withheld: int


def handle(cmd: IssueSar, ledger: CaseLedger) -> tuple[SubjectAccessRequest, int]:
    """Closes the request (and releases its hold on the person) once the response folder
    is written: the caller writes it first, so an issued request always has its files."""
    return ledger.sars.change(
        cmd.sar_id,
        lambda sar: sar.issue(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            report_sha256=cmd.report_sha256,
            bundle_sha256=cmd.bundle_sha256,
            released=cmd.released,
            withheld=cmd.withheld,
        ),
    )
