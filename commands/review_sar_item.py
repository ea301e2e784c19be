"""Decide one item of a subject access response: release it, or withhold it on a ground."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from commands.common import Command
from ledger.application import CaseLedger
from ledger.enums import SarDecision, WithholdGround
from ledger.errors import Rule, RuleViolation
from ledger.sar import SubjectAccessRequest


@dataclass(frozen=True, kw_only=True)
class ReviewSarItem(Command):
    name: ClassVar[str] = "review_sar_item"

    sar_id: UUID
    item: str
    decision: SarDecision
    ground: WithholdGround | None


def handle(
    cmd: ReviewSarItem, ledger: CaseLedger, items: Collection[str]
) -> tuple[SubjectAccessRequest, int]:
    """``items`` are the draft's items as the caller assembled it: a decision on anything
    else is refused (``sar.item_unknown``)."""
    if cmd.item not in items:
        raise RuleViolation(Rule.SAR_ITEM_UNKNOWN, f"item: the draft has no item {cmd.item[:80]!r}")
    return ledger.sars.change(
        cmd.sar_id,
        lambda sar: sar.review(
            actor=cmd.actor,
            occurred_at=cmd.occurred_at,
            item=cmd.item,
            decision=cmd.decision,
            ground=cmd.ground,
        ),
    )
