"""The analyst statistics view on both stores: its figures, live equals rebuilt, idempotent
pages, and no personal data (nor any reference) in its tables."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Category,
    Channel,
    ClosureReason,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
    HarmIndicator,
    IncidentType,
    PersonRole,
    RiskLevel,
)
from ledger.risk import ASB_VRA_V1
from ledger.values import RiskOverride, Sealed
from projections import ViewRunner, ViewStore, open_view_store
from projections.stats.model import (
    FIRST_MONTH,
    LAST_MONTH,
    MonthRow,
    subject_token,
)
from projections.stats.projection import AnalystStats
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit

EVERY_MONTH = (FIRST_MONTH, LAST_MONTH)
DAY = timedelta(days=1)


def canary(name: str) -> str:
    return f"CNRY-{name}-{uuid4().hex[:10]}"


@dataclass
class Story:
    """Cases driven through the aggregate and saved step by step, as commands would be;
    every personal value is a unique canary."""

    ledger: CaseLedger
    canaries: list[str] = field(default_factory=list)
    refs: list[UUID] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    kits: dict[UUID, CaseKit] = field(default_factory=dict)

    def text(self, case: Case, name: str) -> Sealed:
        value = canary(name)
        self.canaries.append(value)
        return self.kits[case.id].text(value, name)

    def open(
        self,
        when: datetime = T0,
        *,
        category: Category = Category.PERSONAL,
        ward: str | None = "Forebridge",
        channel: Channel = Channel.PHONE,
    ) -> Case:
        kit = CaseKit(self.ledger)
        self.refs.append(kit.complainant)
        name = canary("complainant")
        self.canaries.extend([name, *(canary(n) for n in ("description", "location"))])
        case = Case.open(
            case_id=kit.case_id,
            actor=CASEWORKER,
            occurred_at=when,
            reference=self.ledger.prepare_opening(kit.case_id, [kit.complainant], when),
            channel=channel,
            received_at=when,
            category=category,
            description=kit.text(self.canaries[-2], "description"),
            location=kit.text(self.canaries[-1], "location"),
            lead_department=Department.COMMUNITY_SAFETY,
            complainant_ref=kit.complainant,
            complainant=kit.details(kit.complainant, name),
            preferred_contact=ContactMethod.PHONE,
            ward=ward,
        )
        self.kits[case.id] = kit
        self.references.append(case.reference)
        self.ledger.save_new_case(case)
        return case

    def person(
        self, case: Case, role: PersonRole, ref: UUID | None = None, *, repeat: bool = False
    ) -> UUID:
        ref = ref or uuid4()
        self.refs.append(ref)
        name = canary("person")
        self.canaries.append(name)
        case.link_person(
            actor=CASEWORKER,
            occurred_at=case.received_at,
            person_ref=ref,
            role=role,
            details=self.kits[case.id].details(ref, name),
            self_declared_repeat_victim=repeat,
        )
        self.ledger.save_case(case)
        return ref

    def incident(
        self,
        case: Case,
        when: datetime,
        kind: IncidentType = IncidentType.NOISE,
        *,
        victims: tuple[UUID, ...] = (),
        harms: tuple[HarmIndicator, ...] = (),
        criminal: bool = False,
    ) -> None:
        case.record_incident(
            actor=CASEWORKER,
            occurred_at=when,
            incident_id=uuid4(),
            incident_type=kind,
            description=self.text(case, "incident"),
            harms=harms,
            criminal=criminal,
            victim_refs=victims,
        )
        self.ledger.save_case(case)

    def contact(self, case: Case, person: UUID, after: timedelta, outcome: ContactOutcome) -> None:
        case.record_contact(
            actor=CASEWORKER,
            occurred_at=case.received_at + after,
            person_ref=person,
            method=ContactMethod.PHONE,
            direction=ContactDirection.OUTBOUND,
            outcome=outcome,
            summary=self.text(case, "summary"),
        )
        self.ledger.save_case(case)

    def assess(self, case: Case, level: RiskLevel) -> None:
        answers = {q.key: 0 for q in ASB_VRA_V1.questions}
        answers["q11_support"] = 2
        override = (
            None
            if level is RiskLevel.STANDARD
            else RiskOverride(level=level, rationale=self.text(case, "rationale"))
        )
        case.assess_risk(
            actor=CASEWORKER,
            occurred_at=case.received_at,
            instrument="asb-vra",
            instrument_version=1,
            answers=answers,
            override=override,
        )
        self.ledger.save_case(case)

    def close(self, case: Case, after: timedelta, reason: ClosureReason) -> None:
        kit = self.kits[case.id]
        explanation = advice = None
        if reason.needs_explanation_and_advice:
            explanation, advice = self.text(case, "explanation"), self.text(case, "advice")
        case.close(
            actor=SUPERVISOR,
            occurred_at=case.received_at + after,
            reason=reason,
            full_reasons=self.text(case, "full_reasons"),
            feedback=kit.feedback(),
            explanation=explanation,
            advice=advice,
        )
        self.ledger.save_case(case)

    def reopen(self, case: Case, after: timedelta) -> None:
        case.reopen(
            actor=SUPERVISOR,
            occurred_at=case.received_at + after,
            reason=self.text(case, "reopen"),
        )
        self.ledger.save_case(case)


@pytest.fixture
def view_store(ledger: CaseLedger) -> Iterator[ViewStore]:
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


@pytest.fixture
def stats(view_store: ViewStore) -> AnalystStats:
    return AnalystStats(view_store)


@pytest.fixture
def runner(ledger: CaseLedger, stats: AnalystStats) -> Iterator[ViewRunner]:
    runner = ViewRunner(ledger, [stats], page_size=7)
    yield runner
    runner.stop()


@pytest.fixture
def story(ledger: CaseLedger) -> Story:
    return Story(ledger)


@pytest.fixture
def population(story: Story, runner: ViewRunner) -> Story:
    """Five cases over two months; one victim in two cases; contacts of every outcome."""
    march, april = T0, T0 + timedelta(days=31)
    a = story.open(march)
    victim = story.person(a, PersonRole.VICTIM, repeat=True)
    story.person(a, PersonRole.WITNESS)
    story.assess(a, RiskLevel.HIGH)
    story.incident(
        a,
        march,
        IncidentType.HARASSMENT,
        victims=(victim,),
        harms=(HarmIndicator.TARGETED, HarmIndicator.HATE_MOTIVATED),
    )
    story.contact(a, victim, timedelta(hours=12), ContactOutcome.NO_ANSWER)
    story.contact(a, victim, 2 * DAY, ContactOutcome.REACHED)
    story.contact(a, victim, DAY, ContactOutcome.REACHED)  # recorded later, happened earlier
    story.close(a, 20 * DAY, ClosureReason.RESOLVED)

    b = story.open(march + DAY, category=Category.NUISANCE, ward=None)
    story.person(b, PersonRole.VICTIM, victim)
    story.incident(
        b,
        march + 2 * DAY,
        IncidentType.NOISE,
        victims=(victim,),
        harms=(HarmIndicator.TARGETED,),
        criminal=True,
    )
    story.incident(b, april, IncidentType.NOISE, victims=(victim,))
    witness = story.person(b, PersonRole.WITNESS)
    story.contact(b, witness, DAY, ContactOutcome.REACHED)  # a witness: not first contact
    story.close(b, 10 * DAY, ClosureReason.NOT_ASB)
    story.reopen(b, 12 * DAY)

    c = story.open(april, channel=Channel.EMAIL)
    story.contact(c, story.kits[c.id].complainant, 3 * DAY, ContactOutcome.SENT)
    story.assess(c, RiskLevel.MEDIUM)
    story.close(c, 40 * DAY, ClosureReason.NO_FURTHER_ACTION)

    story.open(april + DAY, category=Category.ENVIRONMENTAL)
    d = story.open(april + 2 * DAY)
    story.incident(d, april + 2 * DAY, IncidentType.GRAFFITI)
    runner.catch_up()
    return story


# ------------------------------------------------------------------ the figures


def test_cases_incidents_and_closures_by_month(population: Story, stats: AnalystStats) -> None:
    assert stats.cases_by_month(*EVERY_MONTH) == [
        MonthRow(month="2026-03", opened=2, closed=1, incidents=2),
        MonthRow(month="2026-04", opened=3, closed=0, incidents=2),
        MonthRow(month="2026-05", opened=0, closed=1, incidents=0),
    ]
    assert stats.cases_by_month("2026-04", "2026-04") == [
        MonthRow(month="2026-04", opened=3, closed=0, incidents=2)
    ]
    assert stats.cases_by_month("2027-01", "2027-12") == []


def opened_long_ago(
    story: Story, ledger: CaseLedger, stats: AnalystStats, *years: int
) -> list[UUID]:
    """Cases whose complaint was received in ``years``, fed to the projection directly: an
    opening at T0, saved, then its event again under a new case id and an old receipt date
    (the ledger may refuse such a date; the projection must still key it)."""
    story.open()
    (note,) = ledger.recorder.select_notifications(1, 1)
    opened: Any = ledger.mapper.to_domain_event(note)  # a CaseOpened
    projection, head, ids = stats.projection(), stats.position(), []
    with stats.page():
        for offset, year in enumerate(years, start=1):
            ids.append(uuid4())
            event = dataclasses.replace(
                opened, originator_id=ids[-1], received_at=datetime(year, 5, 3, 12, tzinfo=UTC)
            )
            projection.process_event(event, Tracking(ledger.name, head + offset))
    return ids


def test_cases_received_before_the_year_1000_are_counted_under_four_digit_months(
    story: Story, ledger: CaseLedger, stats: AnalystStats
) -> None:
    opened_long_ago(story, ledger, stats, 188, 999)
    rows = stats.cases_by_month("0001-01", "0999-12")
    assert [r for r in rows if r.opened] == [
        MonthRow(month="0188-05", opened=1, closed=0, incidents=0),
        MonthRow(month="0999-05", opened=1, closed=0, incidents=0),
    ]
    assert stats.cases_by_month("0188-05", "0188-05") == [
        MonthRow(month="0188-05", opened=1, closed=0, incidents=0)
    ]


def test_cases_by_each_dimension(population: Story, stats: AnalystStats) -> None:
    assert stats.cases_by("category", *EVERY_MONTH) == {
        "environmental": 1,
        "nuisance": 1,
        "personal": 3,
    }
    assert stats.cases_by("ward", *EVERY_MONTH) == {"Forebridge": 4, "unrecorded": 1}
    assert stats.cases_by("risk_level", *EVERY_MONTH) == {
        "high": 1,
        "medium": 1,
        "not_assessed": 3,
    }
    assert stats.cases_by("status", *EVERY_MONTH) == {"closed": 2, "open": 3}
    assert stats.cases_by("channel", "2026-04", "2026-04") == {"email": 1, "phone": 2}


def test_incidents_by_type_count_the_harm_flags(population: Story, stats: AnalystStats) -> None:
    rows = {r.incident_type: r for r in stats.incidents_by_type(*EVERY_MONTH)}
    assert set(rows) == {"harassment_or_intimidation", "noise", "graffiti"}
    noise = rows["noise"]
    assert (noise.incidents, noise.criminal, noise.targeted, noise.hate_motivated) == (2, 1, 1, 0)
    harassment = rows["harassment_or_intimidation"]
    assert (harassment.targeted, harassment.hate_motivated) == (1, 1)


def test_first_contact_is_the_earliest_contact_made_with_a_victim_or_complainant(
    population: Story, stats: AnalystStats
) -> None:
    times = sorted(
        (t.to_first_contact, t.to_resolution, t.risk_level, t.closure_reason)
        for t in stats.case_times(*EVERY_MONTH)
        if t.to_first_contact is not None
    )
    assert times == [
        (86_400, 20 * 86_400, "high", "resolved"),  # reached after a day, not the no-answer
        (3 * 86_400, 40 * 86_400, "medium", "no_further_action"),  # a letter sent
    ]
    reopened = [t for t in stats.case_times(*EVERY_MONTH) if t.risk_level == "not_assessed"]
    assert all(t.to_resolution is None and t.closure_reason is None for t in reopened)
    closed_in_march = stats.case_times("2026-03", "2026-03", closed_in_range=True)
    assert [t.closure_reason for t in closed_in_march] == ["resolved"]


def test_a_victim_in_two_cases_is_one_subject(population: Story, stats: AnalystStats) -> None:
    victims = stats.victims()
    assert len(victims) == 1
    (victim,) = victims
    assert (victim.cases, victim.incidents, victim.targeted, victim.hate_motivated) == (2, 3, 2, 1)
    assert victim.self_declared
    assert victim.repeat
    assert (victim.first_incident_month, victim.last_incident_month) == ("2026-03", "2026-04")
    assert victim.token == subject_token(population.refs[1])


# ------------------------------------------------------------------ projection properties


def test_live_processing_equals_a_rebuild_from_position_zero(
    population: Story, ledger: CaseLedger, view_store: ViewStore, stats: AnalystStats
) -> None:
    rebuilt = AnalystStats(view_store, suffix="_rebuild")
    assert rebuilt.position() == 0
    ViewRunner(ledger, [rebuilt], page_size=500).catch_up()
    assert rebuilt.position() == stats.position() == ledger.recorder.max_notification_id()
    live = stats.contents()
    assert live == rebuilt.contents()
    assert {name: len(rows) for name, rows in live.items()} == {
        "cases": 5,
        "incidents": 4,
        "subjects": 9,
        "victimisations": 3,
        "contacts": 4,  # reached or sent, with anyone: the query picks victims and complainants
    }


def test_a_page_delivered_twice_changes_nothing(
    story: Story, ledger: CaseLedger, stats: AnalystStats, runner: ViewRunner
) -> None:
    case = story.open()
    victim = story.person(case, PersonRole.VICTIM)
    story.incident(case, T0, victims=(victim,))
    story.contact(case, victim, DAY, ContactOutcome.REACHED)
    story.close(case, 5 * DAY, ClosureReason.RESOLVED)
    notes = ledger.recorder.select_notifications(1, 100)
    assert runner.deliver(stats, notes) == len(notes)
    before = stats.contents()
    assert runner.deliver(stats, notes) == 0
    assert stats.contents() == before

    # Each write is idempotent by itself too: the same events again, under new positions.
    projection = stats.projection()
    head = stats.position()
    with stats.page():
        for offset, note in enumerate(notes, start=1):
            event = ledger.mapper.to_domain_event(note)
            projection.process_event(event, Tracking(ledger.name, head + offset))
    assert stats.contents() == before


def test_no_personal_data_or_reference_is_stored(population: Story, stats: AnalystStats) -> None:
    cells = [
        str(value)
        for rows in stats.contents().values()
        for row in rows
        for value in row
        if value is not None
    ]
    text = "\n".join(cells)
    assert "Forebridge" in text  # control: a non-personal value is found by the same scan
    for value in population.canaries:
        assert value not in text
    for ref in population.refs:
        assert str(ref) not in text
        assert ref.hex not in text
    for reference in population.references:
        assert reference not in text
