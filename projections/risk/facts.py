"""Reading the risk view's facts for a batch of cases, and judging them at a moment.

Seven reads per batch whatever its size: the cases' incidents, victims, people and
assessments, then each victim's incidents, links and assessments across all their cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.enums import HarmIndicator, PersonRole, RiskLevel, Vulnerability
from ledger.harm import cumulative_harm, judge
from ledger.harm_model import AssessmentFact, IncidentFact, latest
from ledger.thresholds import RiskThresholds, Timescales
from projections.paging import uuid_in
from projections.risk.model import CaseRisk, VictimRisk
from projections.risk.store import RiskTables
from projections.store import Row, ViewStore

_ASSESSMENT_COLUMNS = (
    "case_id, version, victim_ref, instrument, instrument_version, score, computed_level,"
    " level, overridden, assessed_at, recorded_at"
)


@dataclass(frozen=True, kw_only=True)
class Link:
    """A person linked to a case (``PersonLinked``, or the complainant at opening)."""

    case_id: UUID
    person_ref: UUID
    role: PersonRole
    vulnerabilities: frozenset[Vulnerability]
    self_declared: bool


@dataclass
class Facts:
    """What a batch of cases needs to be judged."""

    cases: list[Row]
    incidents: dict[UUID, list[IncidentFact]] = field(default_factory=lambda: defaultdict(list))
    victims: dict[UUID, set[UUID]] = field(default_factory=lambda: defaultdict(set))
    assessments: dict[UUID, list[AssessmentFact]] = field(default_factory=lambda: defaultdict(list))
    victim_incidents: dict[UUID, list[IncidentFact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    links: dict[UUID, list[Link]] = field(default_factory=lambda: defaultdict(list))
    victim_assessments: dict[UUID, list[AssessmentFact]] = field(
        default_factory=lambda: defaultdict(list)
    )


class RiskFacts:
    """Reads facts from the risk view's tables."""

    def __init__(self, store: ViewStore, tables: RiskTables) -> None:
        self.store = store
        self.tables = tables

    def _in(self, column: str, ids: Iterable[UUID]) -> tuple[str, object]:
        return uuid_in(self.store, column, ids)

    def _select(self, columns: str, table: str, column: str, ids: Iterable[UUID]) -> list[Row]:
        condition, param = self._in(column, ids)
        return self.store.select(
            self.store.sql(f"SELECT {columns} FROM {table} WHERE {condition}"),  # noqa: S608
            (param,),
        )

    def load(self, cases: Sequence[Row]) -> Facts:
        """The facts for case rows (``case_id`` first), and for their victims across cases."""
        s, t = self.store, self.tables
        facts = Facts(list(cases))
        if not cases:
            return facts
        ids = {s.uuid_value(row[0]) for row in cases}
        columns = "incident_id, case_id, occurred_at, harms, criminal"
        for row in self._select(columns, t.incidents, "case_id", ids):
            incident = self._incident(row)
            facts.incidents[incident.case_id].append(incident)
        for ref, case_id in self._select("person_ref, case_id", t.victims, "case_id", ids):
            facts.victims[s.uuid_value(case_id)].add(s.uuid_value(ref))
        people = self._select("case_id, person_ref, role", t.people, "case_id", ids)
        for case_id, ref, role in people:
            if role == PersonRole.VICTIM.value:
                facts.victims[s.uuid_value(case_id)].add(s.uuid_value(ref))
        for row in self._select(_ASSESSMENT_COLUMNS, t.assessments, "case_id", ids):
            assessment = self._assessment(row)
            facts.assessments[assessment.case_id].append(assessment)

        refs = set().union(*facts.victims.values()) if facts.victims else set()
        if not refs:
            return facts
        same = self.add_victims(facts, refs)
        for case_id, victims in list(facts.victims.items()):
            facts.victims[case_id] = {same.get(ref, ref) for ref in victims}
        return facts

    def add_victims(self, facts: Facts, refs: set[UUID]) -> dict[UUID, UUID]:
        """Each of ``refs``' incidents, links and assessments across all their cases, under
        the surviving reference of their merge group; returns each member's survivor."""
        s, t = self.store, self.tables
        columns = "incident_id, case_id, occurred_at, harms, criminal"
        same = self.same_people(refs)
        members = set(same) | refs
        condition, param = self._in("v.person_ref", members)
        for row in s.select(
            s.sql(
                f"SELECT v.person_ref, {', '.join('i.' + c for c in columns.split(', '))}"  # noqa: S608
                f" FROM {t.victims} v JOIN {t.incidents} i ON i.incident_id = v.incident_id"
                f" WHERE {condition}"
            ),
            (param,),
        ):
            ref = s.uuid_value(row[0])
            incident = self._incident(row[1:])
            held = facts.victim_incidents[same.get(ref, ref)]
            if all(i.incident_id != incident.incident_id for i in held):
                held.append(incident)  # an incident against two merged records counts once
        link_columns = "case_id, person_ref, role, vulnerabilities, self_declared"
        for case_id, ref, role, vulnerable, declared in self._select(
            link_columns, t.people, "person_ref", members
        ):
            person = s.uuid_value(ref)
            facts.links[same.get(person, person)].append(
                Link(
                    case_id=s.uuid_value(case_id),
                    person_ref=person,
                    role=PersonRole(role),
                    vulnerabilities=frozenset(Vulnerability(v) for v in _codes(vulnerable)),
                    self_declared=bool(declared),
                )
            )
        for row in self._select(_ASSESSMENT_COLUMNS, t.assessments, "victim_ref", members):
            assessment = self._assessment(row)
            assert assessment.victim_ref is not None
            survivor = same.get(assessment.victim_ref, assessment.victim_ref)
            facts.victim_assessments[survivor].append(assessment)
        return same

    def same_people(self, refs: Iterable[UUID]) -> dict[UUID, UUID]:
        """Each reference in the merge groups of ``refs``, to the group's surviving record
        (a record merged into one that was merged in turn ends at the last survivor)."""
        s, t = self.store, self.tables
        into: dict[UUID, UUID] = {}
        frontier, seen = set(refs), set[UUID]()
        while frontier:
            seen |= frontier
            for column in ("person_ref", "into_ref"):
                for merged, survivor in self._select(
                    "person_ref, into_ref", t.merges, column, frontier
                ):
                    into[s.uuid_value(merged)] = s.uuid_value(survivor)
            frontier = {*into, *into.values()} - seen

        def last(ref: UUID) -> UUID:
            passed = {ref}
            while ref in into and into[ref] not in passed:
                ref = into[ref]
                passed.add(ref)
            return ref

        return {ref: last(ref) for ref in seen}

    def _incident(self, row: Sequence[Any]) -> IncidentFact:
        s = self.store
        return IncidentFact(
            incident_id=s.uuid_value(row[0]),
            case_id=s.uuid_value(row[1]),
            occurred_at=s.time_value(row[2]),
            harms=frozenset(HarmIndicator(h) for h in _codes(row[3])),
            criminal=bool(row[4]),
        )

    def _assessment(self, row: Row) -> AssessmentFact:
        s = self.store
        return AssessmentFact(
            case_id=s.uuid_value(row[0]),
            version=int(row[1]),
            victim_ref=None if row[2] is None else s.uuid_value(row[2]),
            instrument=str(row[3]),
            instrument_version=int(row[4]),
            score=int(row[5]),
            computed_level=RiskLevel(row[6]),
            level=RiskLevel(row[7]),
            overridden=bool(row[8]),
            assessed_at=s.time_value(row[9]),
            recorded_at=s.time_value(row[10]),
        )


def _codes(value: Any) -> list[str]:
    return [code for code in str(value or "").split(",") if code]


def judge_cases(
    facts: Facts, *, now: datetime, rules: RiskThresholds, timescales: Timescales
) -> list[CaseRisk]:
    """Each case of ``facts`` judged at ``now``, with each of its victims."""
    store_rows = facts.cases
    judged: list[CaseRisk] = []
    for row in store_rows:
        case_id = row[0] if isinstance(row[0], UUID) else UUID(str(row[0]))
        is_open = row[2] == "open"
        own = facts.assessments.get(case_id, [])
        assessed = max(own, key=lambda a: a.version) if own else None
        case_level = [a for a in own if a.victim_ref is None]
        fallback = max(case_level, key=lambda a: a.version) if case_level else None
        victims: list[VictimRisk] = []
        vulnerable: set[Vulnerability] = set()
        declared = False
        for ref in sorted(facts.victims.get(case_id, set()), key=str):
            victim = judge_victim(
                facts,
                ref,
                now=now,
                rules=rules,
                timescales=timescales,
                fallback=fallback,
                case_id=case_id,
                open_case=is_open,
            )
            vulnerable |= victim.vulnerabilities
            declared = declared or victim.self_declared
            victims.append(victim.risk)
        harm = cumulative_harm(
            facts.incidents.get(case_id, []),
            now=now,
            rules=rules,
            vulnerabilities=vulnerable,
            self_declared_repeat=declared,
        )
        judged.append(
            CaseRisk(
                case_id=case_id,
                reference=str(row[1]),
                status="open" if is_open else "closed",
                team=row[3],
                officer=row[4],
                opened_position=int(row[5]),
                version=int(row[6]),
                harm=harm,
                judgement=judge(
                    [("victim", harm), *(("victim", v.harm) for v in victims)],
                    assessed,
                    now=now,
                    rules=rules,
                    timescales=timescales,
                    open_case=is_open,
                ),
                victims=tuple(victims),
            )
        )
    return judged


@dataclass(frozen=True)
class JudgedVictim:
    risk: VictimRisk
    vulnerabilities: frozenset[Vulnerability]
    self_declared: bool


def judge_victim(
    facts: Facts,
    ref: UUID,
    *,
    now: datetime,
    rules: RiskThresholds,
    timescales: Timescales,
    fallback: AssessmentFact | None = None,
    case_id: UUID | None = None,
    open_case: bool = True,
) -> JudgedVictim:
    """A person judged on their incidents across all their cases (``ref`` a survivor of
    ``facts``' merge groups); ``fallback``: the case's own assessment, if theirs is none."""
    links = facts.links.get(ref, [])
    incidents = facts.victim_incidents.get(ref, [])
    marks: frozenset[Vulnerability] = frozenset().union(*(link.vulnerabilities for link in links))
    says = any(link.self_declared for link in links)
    harm = cumulative_harm(
        incidents, now=now, rules=rules, vulnerabilities=marks, self_declared_repeat=says
    )
    mine = latest(facts.victim_assessments.get(ref, [])) or fallback
    cases = {link.case_id for link in links if link.role is PersonRole.VICTIM} | {
        i.case_id for i in incidents
    }
    if case_id is not None:
        cases.add(case_id)
    risk = VictimRisk(
        person_ref=ref,
        cases=len(cases),
        harm=harm,
        judgement=judge(
            [("victim", harm)],
            mine,
            now=now,
            rules=rules,
            timescales=timescales,
            open_case=open_case,
        ),
    )
    return JudgedVictim(risk, marks, says)
