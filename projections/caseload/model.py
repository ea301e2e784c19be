"""What the caseload view answers with, and what is due and overdue on a case at a moment.

``dues()`` is pure: the stored facts of a case, a moment and the timescales in, the due
items out. A date is due *on* its day and overdue from the next (in the council's timezone).
A closed case is listed only while an ASB Case Review on it is outstanding, with only the
review's steps due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from uuid import UUID

from ledger.enums import CaseReviewDecision, Department, RiskLevel
from ledger.thresholds import Timescales


class DueKind(Enum):
    """What can fall due on an open case (and on a closed one, an ASB Case Review's steps)."""

    FIRST_CONTACT = "first_contact"
    REVIEW = "review"
    TARGET_RESOLUTION = "target_resolution"
    ACTION = "action"
    POLICE_REFERRAL = "police_referral"
    CASE_REVIEW_ACKNOWLEDGEMENT = "case_review_acknowledgement"
    CASE_REVIEW_DECISION = "case_review_decision"
    CASE_REVIEW_OUTCOME = "case_review_outcome"


@dataclass(frozen=True, kw_only=True)
class CaseReviewSteps:
    """An ASB Case Review request on a case, and which of its steps are recorded."""

    request_id: UUID
    received_at: datetime
    acknowledged: bool = False
    decision: CaseReviewDecision = CaseReviewDecision.PENDING
    concluded: bool = False

    @property
    def outstanding(self) -> bool:
        """Not decided yet, or decided met and not concluded."""
        return self.decision is CaseReviewDecision.PENDING or (
            self.decision is CaseReviewDecision.THRESHOLD_MET and not self.concluded
        )


@dataclass(frozen=True, kw_only=True)
class CaseloadFacts:
    """An open case as the caseload view stores it: references, codes, times and dates."""

    case_id: UUID
    reference: str
    lead_department: Department
    team: str | None
    officer: str | None
    risk_level: RiskLevel | None
    received_at: datetime
    risk_assessed_at: datetime | None = None
    """When the assessment that set ``risk_level`` was made (None: never assessed)."""
    opened_position: int
    version: int
    first_contact_at: datetime | None = None
    agreed_first_contact: date | None = None
    next_review: date | None = None
    target_resolution: date | None = None
    open_actions: tuple[tuple[str, date], ...] = ()
    """(action id, due date) of each action still open."""
    unreferred: tuple[tuple[UUID, datetime], ...] = ()
    """(incident id, when it was recorded) of each criminal incident not yet referred."""
    closed: bool = False
    """A closed case, listed because an ASB Case Review on it is outstanding."""
    case_reviews: tuple[CaseReviewSteps, ...] = ()
    """The ASB Case Review requests on the case still outstanding."""


@dataclass(frozen=True, kw_only=True)
class DueItem:
    """Something due on a case: what, which (an action or incident id), when, and if late."""

    kind: DueKind
    due: date
    overdue: bool
    days_overdue: int
    ref: str | None = None
    agreed: bool = False
    """The date was agreed (``TimescalesAgreed``, ``CaseReviewed``) rather than a default."""


@dataclass(frozen=True, kw_only=True)
class CaseloadEntry:
    """A case on the caseload (open, or closed with an ASB Case Review outstanding), judged
    at a moment."""

    facts: CaseloadFacts
    age_days: int
    items: tuple[DueItem, ...]

    @property
    def overdue(self) -> frozenset[DueKind]:
        return frozenset(item.kind for item in self.items if item.overdue)


@dataclass(frozen=True)
class CaseloadPage:
    """A page of the caseload, oldest case first; ``next_cursor`` is None on the last page."""

    items: list[CaseloadEntry]
    next_cursor: str | None


@dataclass(frozen=True, kw_only=True)
class CaseloadGroup:
    """Open cases of one lead department, team and officer, counted; closed cases with an
    ASB Case Review outstanding are counted apart (``closed_case_reviews``), and in the
    overdue counts, but not in ``open``, ``by_risk`` or the oldest age."""

    lead_department: Department
    team: str | None
    officer: str | None
    open: int
    closed_case_reviews: int
    by_risk: tuple[tuple[str, int], ...]
    """(level, or ``unassessed``; count), every level listed."""
    overdue_cases: int
    overdue: tuple[tuple[DueKind, int], ...]
    """(kind, cases with that kind overdue), every kind listed."""
    oldest_age_days: int


def dues(facts: CaseloadFacts, *, now: datetime, timescales: Timescales) -> CaseloadEntry:
    """What is due on an open case, and what is overdue, at ``now``.

    - first contact: the agreed date, else the level's working days from receipt (an
      unassessed case counts as standard), until a contact with a victim or the
      complainant reached them (the view records when);
    - review: the agreed or last review's next date, else the level's interval from the
      assessment that set the level (from receipt, while unassessed);
    - target resolution: only when agreed;
    - each open action on its due date;
    - each criminal incident not referred to the police: working days after it was recorded;
    - each ASB Case Review request (on an open or a closed case), in working days from its
      receipt: the acknowledgement until acknowledged or decided (the decision answers the
      applicant), the threshold decision until decided, and the outcome until concluded
      (none once the threshold is decided not met).

    A closed case (listed for an outstanding ASB Case Review) has only the review's steps due.
    """
    today = timescales.local_date(now)

    def item(kind: DueKind, due: date, ref: str | None = None, agreed: bool = False) -> DueItem:
        late = (today - due).days
        return DueItem(
            kind=kind, due=due, overdue=late > 0, days_overdue=max(late, 0), ref=ref, agreed=agreed
        )

    items: list[DueItem] = []
    for review in facts.case_reviews:
        ref = str(review.request_id)
        pending = review.decision is CaseReviewDecision.PENDING
        steps = (
            (
                DueKind.CASE_REVIEW_ACKNOWLEDGEMENT,
                timescales.case_review_acknowledgement,
                pending and not review.acknowledged,
            ),
            (DueKind.CASE_REVIEW_DECISION, timescales.case_review_decision, pending),
            (DueKind.CASE_REVIEW_OUTCOME, timescales.case_review_outcome, review.outstanding),
        )
        for kind, days, outstanding in steps:
            if outstanding:
                items.append(item(kind, timescales.case_review_due(review.received_at, days), ref))
    if not facts.closed:
        _open_case_dues(facts, timescales, item, items)
    items.sort(key=lambda i: (i.due, i.kind.value, i.ref or ""))
    return CaseloadEntry(
        facts=facts,
        age_days=max((now - facts.received_at).days, 0),
        items=tuple(items),
    )


def _open_case_dues(
    facts: CaseloadFacts,
    timescales: Timescales,
    item: Callable[..., DueItem],
    items: list[DueItem],
) -> None:
    if facts.first_contact_at is None:
        if facts.agreed_first_contact is not None:
            items.append(item(DueKind.FIRST_CONTACT, facts.agreed_first_contact, agreed=True))
        else:
            due = timescales.first_contact_due(facts.received_at, facts.risk_level)
            items.append(item(DueKind.FIRST_CONTACT, due))
    if facts.next_review is not None:
        items.append(item(DueKind.REVIEW, facts.next_review, agreed=True))
    else:
        items.append(
            item(
                DueKind.REVIEW,
                timescales.review_due(
                    facts.risk_assessed_at or facts.received_at, facts.risk_level
                ),
            )
        )
    if facts.target_resolution is not None:
        items.append(item(DueKind.TARGET_RESOLUTION, facts.target_resolution, agreed=True))
    for action_id, due in facts.open_actions:
        items.append(item(DueKind.ACTION, due, ref=action_id, agreed=True))
    for incident_id, recorded_at in facts.unreferred:
        due = timescales.police_referral_due(recorded_at)
        items.append(item(DueKind.POLICE_REFERRAL, due, ref=str(incident_id)))


def summarise(entries: list[CaseloadEntry]) -> list[CaseloadGroup]:
    """Open cases counted by lead department, team and officer (sorted by those)."""
    groups: dict[tuple[Department, str | None, str | None], list[CaseloadEntry]] = {}
    for entry in entries:
        f = entry.facts
        groups.setdefault((f.lead_department, f.team, f.officer), []).append(entry)
    out: list[CaseloadGroup] = []
    for (department, team, officer), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0].value, kv[0][1] or "", kv[0][2] or "")
    ):
        opened = [e for e in members if not e.facts.closed]
        levels = [e.facts.risk_level.value if e.facts.risk_level else "unassessed" for e in opened]
        out.append(
            CaseloadGroup(
                lead_department=department,
                team=team,
                officer=officer,
                open=len(opened),
                closed_case_reviews=len(members) - len(opened),
                by_risk=tuple(
                    (name, levels.count(name))
                    for name in (*(level.value for level in RiskLevel), "unassessed")
                ),
                overdue_cases=sum(1 for e in members if e.overdue),
                overdue=tuple(
                    (kind, sum(1 for e in members if kind in e.overdue)) for kind in DueKind
                ),
                oldest_age_days=max((e.age_days for e in opened), default=0),
            )
        )
    return out
