"""What the case page shows beyond the case view itself: the audit trail with each event's
coverage by the notary's latest signed checkpoint, what is due, who else has seen the case,
and the plain words of a form's success banner.

Each part is read with the same code as the API's route for it (``replay.timeline``, the
notary's tables, the caseload and disclosure views); the page decides who sees which part
with the policy (``api.web.pages.case``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from ledger.calendar import working_days_between
from projections.caseload.model import CaseloadEntry, DueKind
from projections.disclosures.model import Disclosure
from projections.notary import Leaf, Notary, SignedCheckpoint
from replay.timeline import TimelineLine

AUDIT_PAGE = 50
"""Events on one page of the audit trail."""

Coverage = Literal["covered", "pending", "unlogged", "mismatch", "unknown"]


@dataclass(frozen=True)
class AuditLine:
    """One event of the audit trail, and how the notary's latest checkpoint covers it."""

    line: TimelineLine
    coverage: Coverage
    leaf_index: int | None

    @property
    def kind(self) -> str:
        """The event's type in words: ``Information shared`` for ``InformationShared``."""
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", self.line.type).lower()
        return words[:1].upper() + words[1:].replace("asb ", "ASB ")


@dataclass(frozen=True)
class AuditTrail:
    """A page of the case's events, newest first, and the checkpoint they were judged by."""

    lines: list[AuditLine]
    total: int
    page: int
    pages: int
    checkpoint: SignedCheckpoint | None
    notary_open: bool
    alarmed: bool


def trail_window(total: int, page: int) -> tuple[int, int, int]:
    """Page ``page`` (from 1, newest first) of a case of ``total`` events: the page as
    clamped, and the versions it shows, after ``after`` up to ``upto``."""
    pages = max(1, -(-total // AUDIT_PAGE))
    page = min(max(page, 1), pages)
    upto = total - (page - 1) * AUDIT_PAGE
    return page, max(0, upto - AUDIT_PAGE), upto


def audit_trail(
    case_id: UUID, lines: list[TimelineLine], total: int, notary: Notary | None, page: int
) -> AuditTrail:
    """Page ``page`` (from 1, newest events first) of a case of ``total`` events, whose
    ``lines`` (oldest first) are that page's (``trail_window``), each marked by whether the
    notary has logged it and its latest signed checkpoint covers it. A leaf whose hash is not
    the event's is a mismatch, never covered."""
    pages = max(1, -(-total // AUDIT_PAGE))
    page = min(max(page, 1), pages)
    newest = lines[::-1]
    if notary is None:
        shown = [AuditLine(line, "unknown", None) for line in newest]
        return AuditTrail(shown, total, page, pages, None, False, False)
    leaves = {leaf.version: leaf for leaf in notary.leaves_of(case_id)} if newest else {}
    checkpoint = notary.latest_checkpoint()
    shown = [_covered(line, leaves.get(line.version), checkpoint) for line in newest]
    return AuditTrail(shown, total, page, pages, checkpoint, True, bool(notary.active_alarms()))


def _covered(
    line: TimelineLine, leaf: Leaf | None, checkpoint: SignedCheckpoint | None
) -> AuditLine:
    if leaf is None:
        return AuditLine(line, "unlogged", None)
    if leaf.event_hash != line.event_hash:
        return AuditLine(line, "mismatch", leaf.index)
    if checkpoint is not None and leaf.index < checkpoint.size:
        return AuditLine(line, "covered", leaf.index)
    return AuditLine(line, "pending", leaf.index)


# ------------------------------------------------------------------ what is due

DUE_WORDS: dict[DueKind, str] = {
    DueKind.FIRST_CONTACT: "First contact",
    DueKind.REVIEW: "Case review",
    DueKind.TARGET_RESOLUTION: "Target resolution",
    DueKind.ACTION: "Action",
    DueKind.POLICE_REFERRAL: "Police referral of a criminal incident",
    DueKind.CASE_REVIEW_ACKNOWLEDGEMENT: "ASB Case Review: acknowledge the request",
    DueKind.CASE_REVIEW_DECISION: "ASB Case Review: decide the threshold",
    DueKind.CASE_REVIEW_OUTCOME: "ASB Case Review: give the outcome",
}


@dataclass(frozen=True)
class Due:
    """Something due on the case, as the caseload judges it, late in working days."""

    what: str
    ref: str | None
    due: date
    agreed: bool
    overdue: bool
    working_days_late: int


def dues(entry: CaseloadEntry | None, today: date) -> list[Due]:
    """What the caseload view says is due on the case (nothing for a case it does not list:
    closed, with no ASB Case Review outstanding)."""
    if entry is None:
        return []
    return [
        Due(
            what=DUE_WORDS[item.kind],
            ref=item.ref if item.kind is DueKind.ACTION else None,
            due=item.due,
            agreed=item.agreed,
            overdue=item.overdue,
            working_days_late=working_days_between(item.due, today) if item.overdue else 0,
        )
        for item in entry.items
    ]


# ------------------------------------------------------------------ who else has seen it

VIEW_WORDS: dict[str, str] = {
    "web.case": "the case page",
    "case.detail": "the case (API)",
    "case.as_of": "an earlier version of the case",
    "case.diff": "the changes between two versions",
    "case.events": "the case's events",
    "case.event": "one event of the case",
    "case.timeline": "the audit trail",
    "case.risk": "the risk figures",
    "case.links": "the linked cases",
    "ledger.inclusion": "an inclusion proof",
    "dpo.disclosures": "the disclosure log",
}


@dataclass(frozen=True)
class Seen:
    """One entry of the disclosure log about the case, in words."""

    entry: Disclosure
    what: str
    refused: bool


def seen(entry: Disclosure, organisation_name: dict[str, str]) -> Seen:
    """An access, share or police referral, said plainly (codes and staff ids only)."""
    if entry.kind == "share":
        org = entry.recipient_organisation or ""
        what = f"Shared with {organisation_name.get(org, org)}"
    elif entry.kind == "police_referral":
        what = f"Referred to the police ({entry.police_reference or 'no reference'})"
    else:
        what = f"Read {VIEW_WORDS.get(entry.view, entry.view)}"
        if entry.grant_id is not None:
            what += " under a break-glass grant"
    return Seen(entry, what, entry.outcome not in ("granted", "disclosed"))


# ------------------------------------------------------------------ a form's success

DONE: dict[str, str] = {
    "CaseOpened": "the case was opened",
    "PersonLinked": "a person was linked to the case",
    "IncidentRecorded": "an incident",
    "RiskAssessed": "a risk assessment",
    "ActionPlanned": "an action was planned",
    "ActionCompleted": "an action was completed",
    "ActionCancelled": "an action was cancelled",
    "TimescalesAgreed": "the timescales were agreed",
    "ContactRecorded": "a contact",
    "SupportReferralMade": "a referral for support",
    "InformationShared": "information was shared with a partner",
    "PoliceReferralMade": "a referral to the police",
    "AgencyJoined": "an agency joined the case",
    "OrganisationIdentified": "a partner organisation was identified",
    "EnforcementActionTaken": "an enforcement action",
    "CaseReviewed": "a review of the case",
    "CaseReviewRequested": "an ASB Case Review request",
    "CaseReviewAcknowledged": "the ASB Case Review request was acknowledged",
    "CaseReviewDecided": "the ASB Case Review threshold decision",
    "CaseReviewConcluded": "the ASB Case Review outcome",
    "CaseClosed": "the case was closed",
    "CaseAssigned": "the case was assigned",
    "CaseReopened": "the case was reopened",
}
"""The success banner's words for each kind of case event a form records (``?done=``):
only these are ever shown, so nothing given in the address reaches the page."""


def done_words(kind: str | None) -> str | None:
    """``Recorded: an incident`` for ``IncidentRecorded``; None for anything not listed."""
    words = DONE.get(kind or "")
    return None if words is None else f"Recorded: {words}"
