"""The ASB Case Review (Community Trigger) threshold (DOMAIN §4), judged from stored facts.

Pure: a case's facts, a moment and the thresholds in, the complaints and the finding out.

**What counts as a complaint** (``complaints_of``):

- *The opening complaint* (``CaseOpened``): made at the case's ``received_at`` by its
  complainant. It reports the incidents dated at or before ``received_at`` (a complaint
  often reports behaviour before it), and its behaviour is the latest of them. With no such
  incident the ledger holds no earlier date for the behaviour, so the complaint is taken to
  be about behaviour at its receipt (``behaviour_at`` None: shown as undated).
- *Each later incident* (``IncidentRecorded`` dated after ``received_at``): a further
  complaint about the behaviour at its ``occurred_at``, made when the ledger recorded it,
  by its victims (or, naming none, the case's complainant).

A complaint *qualifies* if made within ``qualifying_months`` calendar months of its
behaviour. Complaints are counted when made within ``window_months`` calendar months up to
``now`` (``(now - window, now]``). **One incident counts once**: within a problem, a complaint
whose incidents were all reported by an earlier complaint (the same ``incident_id`` on
another case: the same incident told to several agencies) is not counted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import UUID

from ledger.thresholds import CaseReviewThresholds, add_months


class ProblemKind(Enum):
    """What makes complaints about "the same problem" (DOMAIN §4)."""

    CASE = "case"
    PERPETRATOR = "alleged_perpetrator"
    """Cases with the same person linked as an alleged perpetrator (key: the person ref)."""
    PLACE = "place"
    """Cases about the same place, or with incidents at it (key: the place as events hold
    it, a UPRN or a keyed hash of the address, ``ledger/places.py``)."""


class ThresholdRule(Enum):
    """Which part of the threshold a problem met."""

    COMPLAINTS = "complaints"
    INDIVIDUALS = "individuals"


class ComplaintKind(Enum):
    OPENING = "opening"
    INCIDENT = "incident"


@dataclass(frozen=True, kw_only=True)
class IncidentFact:
    incident_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    victim_refs: tuple[UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CaseFacts:
    """What the view stores of a case: references and times, no personal data."""

    case_id: UUID
    reference: str
    status: str
    team: str | None
    officer: str | None
    version: int
    opened_position: int
    received_at: datetime
    complainant_ref: UUID
    incidents: tuple[IncidentFact, ...] = ()
    requested: bool = False
    """An ASB Case Review has been requested on the case (``CaseReviewRequested``)."""


@dataclass(frozen=True, kw_only=True)
class Complaint:
    case_id: UUID
    reference: str
    kind: ComplaintKind
    made_at: datetime
    behaviour_at: datetime | None
    """When the behaviour it reports happened (None: undated, taken as ``made_at``)."""
    incident_ids: tuple[UUID, ...]
    individuals: frozenset[UUID]
    team: str | None = None
    officer: str | None = None
    """The case's team and officer, so a reader can tell whether it may see the case."""

    def qualifies(self, rules: CaseReviewThresholds) -> bool:
        behaviour = self.behaviour_at or self.made_at
        return self.made_at <= add_months(behaviour, rules.qualifying_months)


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem judged at a moment: the qualifying complaints in the window, counted."""

    kind: ProblemKind
    key: str
    complaints: tuple[Complaint, ...]
    individuals: int
    met_by: frozenset[ThresholdRule]
    approaching: bool
    """Not met, and one more qualifying complaint (from a new individual) would meet it."""

    @property
    def met(self) -> bool:
        return bool(self.met_by)


def complaints_of(case: CaseFacts) -> list[Complaint]:
    """The complaints a case's facts record (see the module's docstring)."""
    told = [i for i in case.incidents if i.occurred_at <= case.received_at]
    opening = Complaint(
        case_id=case.case_id,
        reference=case.reference,
        kind=ComplaintKind.OPENING,
        made_at=case.received_at,
        behaviour_at=max((i.occurred_at for i in told), default=None),
        incident_ids=tuple(sorted((i.incident_id for i in told), key=str)),
        individuals=frozenset({case.complainant_ref}),
        team=case.team,
        officer=case.officer,
    )
    later = [
        Complaint(
            case_id=case.case_id,
            reference=case.reference,
            kind=ComplaintKind.INCIDENT,
            made_at=max(i.recorded_at, i.occurred_at),
            behaviour_at=i.occurred_at,
            incident_ids=(i.incident_id,),
            individuals=frozenset(i.victim_refs or (case.complainant_ref,)),
            team=case.team,
            officer=case.officer,
        )
        for i in case.incidents
        if i.occurred_at > case.received_at
    ]
    return [opening, *later]


def _order(complaint: Complaint) -> tuple[datetime, str, str, str]:
    first = str(complaint.incident_ids[0]) if complaint.incident_ids else ""
    return (complaint.made_at, str(complaint.case_id), complaint.kind.value, first)


def judge(
    kind: ProblemKind,
    key: str,
    complaints: Iterable[Complaint],
    *,
    now: datetime,
    rules: CaseReviewThresholds,
) -> Finding:
    """The problem ``kind``/``key`` judged at ``now`` on its cases' ``complaints``."""
    since = add_months(now, -rules.window_months)
    counted: list[Complaint] = []
    seen: set[UUID] = set()
    for complaint in sorted(complaints, key=_order):
        if not since < complaint.made_at <= now or not complaint.qualifies(rules):
            continue
        ids = set(complaint.incident_ids)
        if ids and ids <= seen:
            continue  # the same incident, already counted from another report of it
        seen |= ids
        counted.append(complaint)
    people: set[UUID] = set().union(*(c.individuals for c in counted)) if counted else set()
    met: set[ThresholdRule] = set()
    if len(counted) >= rules.complaints:
        met.add(ThresholdRule.COMPLAINTS)
    if len(people) >= rules.individuals:
        met.add(ThresholdRule.INDIVIDUALS)
    approaching = not met and (
        len(counted) + 1 >= rules.complaints or len(people) + 1 >= rules.individuals
    )
    return Finding(
        kind=kind,
        key=key,
        complaints=tuple(counted),
        individuals=len(people),
        met_by=frozenset(met),
        approaching=approaching,
    )


@dataclass(frozen=True, kw_only=True)
class CaseReviewStatus:
    """A case at a moment: each problem it is part of, judged."""

    case: CaseFacts
    findings: tuple[Finding, ...]

    @property
    def eligible(self) -> bool:
        """The threshold is met on a problem of the case and no review has been requested."""
        return not self.case.requested and any(f.met for f in self.findings)

    @property
    def approaching(self) -> bool:
        """No problem meets it, one is a complaint short, and no review has been requested."""
        return (
            not self.case.requested
            and not any(f.met for f in self.findings)
            and any(f.approaching for f in self.findings)
        )

    @property
    def met(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.met)


def judge_case(
    case: CaseFacts,
    problems: Sequence[tuple[ProblemKind, str, Sequence[CaseFacts]]],
    *,
    now: datetime,
    rules: CaseReviewThresholds,
) -> CaseReviewStatus:
    """``case`` judged on itself and on each further problem it shares with other cases
    (``problems``: kind, key and every case with that key, this one included)."""
    findings = [
        judge(ProblemKind.CASE, str(case.case_id), complaints_of(case), now=now, rules=rules)
    ]
    for kind, key, cases in problems:
        complaints = [c for member in cases for c in complaints_of(member)]
        findings.append(judge(kind, key, complaints, now=now, rules=rules))
    return CaseReviewStatus(case=case, findings=tuple(findings))
