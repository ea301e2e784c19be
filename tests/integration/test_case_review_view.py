"""The ASB Case Review view on both stores: facts stored live, cases grouped by problem,
judged at a given moment, lists by visibility, requests, rebuilds and redelivery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import IncidentType, PersonRole
from ledger.thresholds import CaseReviewThresholds
from projections import ViewRunner, ViewStore, Visibility, open_view_store
from projections.case_reviews.model import ProblemKind, ThresholdRule
from projections.case_reviews.projection import CaseReviews
from projections.rebuild import rebuild
from tests.builders import CASEWORKER, SUPERVISOR, CaseKit
from tests.integration.view_steps import assert_no_plaintext, redeliver_everything


@pytest.fixture
def view_store(ledger: CaseLedger) -> Iterator[ViewStore]:
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


@pytest.fixture
def reviews(view_store: ViewStore) -> CaseReviews:
    return CaseReviews(view_store)


@pytest.fixture
def runner(ledger: CaseLedger, reviews: CaseReviews) -> Iterator[ViewRunner]:
    runner = ViewRunner(ledger, [reviews], page_size=5, interval=0.02)
    yield runner
    runner.stop()


class Cases:
    """Cases opened days before the real clock (an incident's recording time is the
    ledger's own), each reporting behaviour the day before it was received."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger
        self.kits: dict[UUID, CaseKit] = {}
        self.now = datetime.now(UTC).replace(microsecond=0)
        """The test's moment: the view is read ten minutes after it, so the ledger's
        recording times of the test's incidents fall in between."""

    def open(self, days_ago: int, team: str = "north", perpetrator: UUID | None = None) -> Case:
        kit = CaseKit(self.ledger)
        received = self.now - timedelta(days=days_ago)
        case = kit.open(when=received)
        self.kits[case.id] = kit
        self.ledger.save_new_case(case)
        case.assign(actor=SUPERVISOR, occurred_at=received, team=team)
        self.incident(case, received - timedelta(days=1))
        if perpetrator is not None:
            case.link_person(
                actor=CASEWORKER,
                occurred_at=received,
                person_ref=perpetrator,
                role=PersonRole.ALLEGED_PERPETRATOR,
                details=kit.details(perpetrator),
                vulnerabilities=(),
                vulnerability_note=None,
                self_declared_repeat_victim=False,
            )
        self.ledger.save_case(case)
        return case

    def incident(self, case: Case, when: datetime, incident_id: UUID | None = None) -> UUID:
        incident_id = incident_id or uuid4()
        case.record_incident(
            actor=CASEWORKER,
            occurred_at=when,
            incident_id=incident_id,
            incident_type=IncidentType.NOISE,
            description=self.kits[case.id].text("loud music", "incident.description"),
            harms=(),
            criminal=False,
            victim_refs=(),
        )
        return incident_id

    def request(self, case: Case) -> None:
        case.request_case_review(
            actor=CASEWORKER,
            occurred_at=self.now - timedelta(minutes=1),
            request_id=uuid4(),
            applicant_ref=self.kits[case.id].complainant,
            received_at=self.now - timedelta(minutes=1),
        )
        self.ledger.save_case(case)


@pytest.fixture
def cases(ledger: CaseLedger) -> Cases:
    return Cases(ledger)


def listed(
    reviews: CaseReviews, cases: Cases, which: str, visibility: Visibility | None = None
) -> list[UUID]:
    page = reviews.list_cases(
        which,  # type: ignore[arg-type]
        visibility=visibility or Visibility.all(),
        now=cases.now + timedelta(minutes=10),
        limit=50,
    )
    return [status.case.case_id for status in page.items]


def test_cases_sharing_an_alleged_perpetrator_meet_the_threshold_together(
    cases: Cases, reviews: CaseReviews, runner: ViewRunner
) -> None:
    perpetrator = uuid4()
    first = cases.open(100, perpetrator=perpetrator)
    second = cases.open(40, team="south", perpetrator=perpetrator)
    cases.open(10)  # another problem
    runner.catch_up()
    assert set(listed(reviews, cases, "approaching")) == {first.id, second.id}
    assert listed(reviews, cases, "eligible") == []

    third = cases.open(5, perpetrator=perpetrator)
    runner.catch_up()
    assert listed(reviews, cases, "eligible") == [first.id, second.id, third.id]
    assert listed(reviews, cases, "eligible", Visibility(teams=frozenset({"north"}))) == [
        first.id,
        third.id,
    ]
    assert listed(reviews, cases, "eligible", Visibility(organisation="test-police")) == []
    status = reviews.case_status(first.id, now=cases.now + timedelta(minutes=10))
    assert status is not None
    (met,) = status.met
    assert (met.kind, met.key, met.met_by) == (
        ProblemKind.PERPETRATOR,
        str(perpetrator),
        frozenset({ThresholdRule.COMPLAINTS}),
    )
    assert [c.case_id for c in met.complaints] == [first.id, second.id, third.id]


def test_a_requested_review_takes_the_case_off_the_list(
    cases: Cases, reviews: CaseReviews, runner: ViewRunner
) -> None:
    case = cases.open(60)
    cases.incident(case, cases.now - timedelta(days=20))
    cases.incident(case, cases.now - timedelta(days=2))
    cases.ledger.save_case(case)
    runner.catch_up()
    assert listed(reviews, cases, "eligible") == [case.id]
    cases.request(case)
    runner.catch_up()
    assert listed(reviews, cases, "eligible") == []
    assert listed(reviews, cases, "approaching") == []
    status = reviews.case_status(case.id, now=cases.now + timedelta(minutes=10))
    assert status is not None
    assert status.met
    assert not status.eligible


def test_one_incident_on_two_cases_counts_once_and_settings_change_the_answer(
    ledger: CaseLedger,
    view_store: ViewStore,
    cases: Cases,
    reviews: CaseReviews,
    runner: ViewRunner,
) -> None:
    perpetrator = uuid4()
    council = cases.open(60, perpetrator=perpetrator)
    landlord = cases.open(50, perpetrator=perpetrator)
    shared = cases.incident(council, cases.now - timedelta(days=3))
    ledger.save_case(council)
    cases.incident(landlord, cases.now - timedelta(days=3), incident_id=shared)
    ledger.save_case(landlord)
    strict = CaseReviews(view_store, thresholds=CaseReviewThresholds(complaints=4))
    runner.catch_up()
    status = reviews.case_status(council.id, now=cases.now + timedelta(minutes=10))
    assert status is not None
    (met,) = status.met
    assert len(met.complaints) == 3
    assert listed(strict, cases, "approaching") == [council.id, landlord.id]


def test_replay_equals_live_and_redelivery_changes_nothing(
    ledger: CaseLedger, cases: Cases, reviews: CaseReviews, runner: ViewRunner
) -> None:
    perpetrator = uuid4()
    for days in (90, 30, 3):
        case = cases.open(days, perpetrator=perpetrator)
    cases.request(case)
    runner.catch_up()
    live = reviews.contents()
    assert len(live["cases"]) == 3
    assert len(live["problems"]) == 3
    assert len(live["requests"]) == 1
    assert_no_plaintext(reviews, live)
    redeliver_everything(ledger, reviews)
    assert reviews.contents() == live
    rebuild(ledger, reviews.store, CaseReviews, keep_seconds=0, live=[reviews])
    assert reviews.suffix == "_g1"
    assert reviews.contents() == live
