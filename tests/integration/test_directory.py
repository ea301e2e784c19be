"""The case directory on both stores: its rows, who sees which cases, pages, filters and waits."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import Agency, ClosureReason, RiskLevel
from ledger.idempotency import IdempotencyClaim
from ledger.risk import ASB_VRA_V1
from ledger.values import Receipt, Recipient, RiskOverride
from projections import (
    CaseDirectory,
    DirectoryEntry,
    ViewBehind,
    ViewRunner,
    ViewStore,
    Visibility,
    open_view_store,
)
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit

# ------------------------------------------------------------------ helpers (shared)


class Cases:
    """Drives cases through the aggregate and saves each step, as commands would."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger
        self.kits: dict[UUID, CaseKit] = {}
        self.last: Receipt | None = None

    def open(self, *, team: str | None = None, officer: str | None = None) -> Case:
        kit = CaseKit(self.ledger)
        case = kit.open()
        self.kits[case.id] = kit
        self.last = self.ledger.save_new_case(case)
        if team is not None:
            self.assign(case, team, officer)
        return case

    def assign(
        self,
        case: Case,
        team: str,
        officer: str | None = None,
        claim: IdempotencyClaim | None = None,
    ) -> None:
        case.assign(actor=SUPERVISOR, occurred_at=T0, team=team, officer=officer)
        self.last = self.ledger.save_case(case, claim=claim)

    def assess(self, case: Case, level: RiskLevel) -> None:
        answers = {q.key: 0 for q in ASB_VRA_V1.questions}
        answers["q11_support"] = 2  # reversed question: scores 0, so the level is standard
        override = (
            None
            if level is RiskLevel.STANDARD
            else RiskOverride(level=level, rationale=self.kits[case.id].text("why", "rationale"))
        )
        case.assess_risk(
            actor=CASEWORKER,
            occurred_at=T0,
            instrument="asb-vra",
            instrument_version=1,
            answers=answers,
            override=override,
        )
        self.last = self.ledger.save_case(case)

    def share(self, case: Case, organisation: str) -> None:
        kwargs = self.kits[case.id].share_kwargs(
            recipient=Recipient(agency=Agency.HOUSING_PROVIDER, organisation=organisation)
        )
        case.share_information(**kwargs)  # type: ignore[arg-type]
        self.last = self.ledger.save_case(case)

    def close(self, case: Case) -> None:
        kit = self.kits[case.id]
        case.close(
            actor=SUPERVISOR,
            occurred_at=T0 + timedelta(days=30),
            reason=ClosureReason.RESOLVED,
            full_reasons=kit.text("resolved by mediation", "full_reasons"),
            feedback=kit.feedback(),
        )
        self.last = self.ledger.save_case(case)

    def reopen(self, case: Case) -> None:
        case.reopen(
            actor=SUPERVISOR,
            occurred_at=T0 + timedelta(days=31),
            reason=self.kits[case.id].text("a new report", "reason"),
        )
        self.last = self.ledger.save_case(case)

    def note(self, case: Case) -> None:
        """An event the directory only counts (a further incident)."""
        self.kits[case.id].incident(case)
        self.last = self.ledger.save_case(case)


@pytest.fixture
def view_store(ledger: CaseLedger) -> Iterator[ViewStore]:
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


@pytest.fixture
def directory(view_store: ViewStore) -> CaseDirectory:
    return CaseDirectory(view_store)


@pytest.fixture
def runner(ledger: CaseLedger, directory: CaseDirectory) -> Iterator[ViewRunner]:
    runner = ViewRunner(ledger, [directory], page_size=7, interval=0.02)
    yield runner
    runner.stop()


@pytest.fixture
def cases(ledger: CaseLedger) -> Cases:
    return Cases(ledger)


def walk(directory: CaseDirectory, visibility: Visibility, limit: int, **filters: str) -> list[str]:
    """Every page in turn; checks each page's size and order; returns the references."""
    seen: list[DirectoryEntry] = []
    cursor: str | None = None
    for _ in range(100):
        page = directory.list_cases(
            visibility=visibility,
            limit=limit,
            cursor=cursor,
            status=filters.get("status"),
            team=filters.get("team"),
            officer=filters.get("officer"),
            risk_level=filters.get("risk_level"),
        )
        assert len(page.items) <= limit
        if page.next_cursor is not None:
            assert len(page.items) == limit
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    positions = [entry.opened_position for entry in seen]
    assert positions == sorted(positions, reverse=True), "newest first"
    assert len(set(positions)) == len(positions), "no case twice"
    return [entry.reference for entry in seen]


# ------------------------------------------------------------------ rows


def test_a_case_row_holds_codes_and_references_only(
    cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    case = cases.open(team="north", officer="cw-1")
    cases.assess(case, RiskLevel.HIGH)
    cases.share(case, "Test Homes")
    cases.note(case)
    runner.catch_up()

    entry = directory.get(case.id)
    assert entry is not None
    assert (entry.case_id, entry.reference, entry.status) == (case.id, case.reference, "open")
    assert (entry.team, entry.officer, entry.risk_level) == ("north", "cw-1", RiskLevel.HIGH)
    assert (entry.category, entry.lead_department) == (case.category, case.lead_department)
    assert entry.received_at == case.received_at
    assert entry.opened_position == cases.ledger.position_of(case.id, 1)
    assert entry.last_version == case.version == 5
    assert entry.last_event_at == case.modified_on
    assert directory.organisations(case.id) == {"Test Homes"}
    assert {f.name for f in dataclasses.fields(DirectoryEntry)} == {
        "case_id",
        "reference",
        "status",
        "team",
        "officer",
        "lead_department",
        "category",
        "risk_level",
        "received_at",
        "opened_position",
        "last_version",
        "last_event_at",
    }
    assert directory.get(uuid4()) is None


def test_status_team_and_risk_follow_the_latest_event(
    cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    case = cases.open(team="north", officer="cw-1")
    cases.assess(case, RiskLevel.HIGH)
    cases.assess(case, RiskLevel.STANDARD)
    cases.assign(case, "south")
    cases.close(case)
    runner.catch_up()
    entry = directory.get(case.id)
    assert entry is not None
    assert (entry.status, entry.team, entry.officer) == ("closed", "south", None)
    assert entry.risk_level is RiskLevel.STANDARD

    cases.reopen(case)
    runner.catch_up()
    entry = directory.get(case.id)
    assert entry is not None
    assert (entry.status, entry.last_version) == ("open", case.version)


# ------------------------------------------------------------------ who sees what


@pytest.fixture
def population(cases: Cases, runner: ViewRunner) -> dict[str, Case]:
    """Nine cases across teams, officers and shares."""
    made = {
        "n1": cases.open(team="north", officer="cw-1"),
        "n2": cases.open(team="north"),
        "n3": cases.open(team="north", officer="cw-2"),
        "s1": cases.open(team="south", officer="cw-1"),  # cw-1's own case in another team
        "s2": cases.open(team="south", officer="cw-3"),
        "e1": cases.open(team="east"),
        "u1": cases.open(),  # not yet assigned
        "u2": cases.open(),
        "n4": cases.open(team="north", officer="cw-1"),
    }
    cases.share(made["s2"], "Police")
    cases.share(made["e1"], "Police")
    cases.share(made["e1"], "Test Homes")
    cases.share(made["n2"], "Test Homes")
    cases.assess(made["n3"], RiskLevel.HIGH)
    cases.assess(made["s1"], RiskLevel.HIGH)
    cases.assess(made["n4"], RiskLevel.MEDIUM)
    cases.close(made["n1"])
    cases.close(made["s2"])
    runner.catch_up()
    return made


def refs(made: dict[str, Case], *keys: str) -> list[str]:
    """The references of the named cases, newest first (the order they were opened, reversed)."""
    order = list(made)
    return [made[k].reference for k in sorted(keys, key=order.index, reverse=True)]


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        (Visibility(teams=frozenset({"north"})), ("n1", "n2", "n3", "n4")),
        (Visibility(teams=frozenset({"north", "east"})), ("n1", "n2", "n3", "n4", "e1")),
        (Visibility(officer="cw-1"), ("n1", "s1", "n4")),
        (Visibility(teams=frozenset({"north"}), officer="cw-1"), ("n1", "n2", "n3", "s1", "n4")),
        (Visibility(organisation="Police"), ("s2", "e1")),
        (Visibility(organisation="Test Homes"), ("e1", "n2")),
        (Visibility(organisation="Nobody Ltd"), ()),
        (Visibility(teams=frozenset({"west"}), officer="cw-9"), ()),
        (Visibility(), ()),
        (Visibility.all(), ("n1", "n2", "n3", "s1", "s2", "e1", "u1", "u2", "n4")),
    ],
)
def test_each_caller_pages_through_exactly_the_cases_they_may_see(
    population: dict[str, Case],
    directory: CaseDirectory,
    visibility: Visibility,
    expected: tuple[str, ...],
) -> None:
    for limit in (1, 2, 4, 50):
        assert walk(directory, visibility, limit) == refs(population, *expected), limit
    for key, case in population.items():
        assert directory.is_visible(case.id, visibility) is (key in expected)


@pytest.mark.parametrize(
    ("visibility", "filters", "expected"),
    [
        (Visibility.all(), {"status": "closed"}, ("n1", "s2")),
        (Visibility.all(), {"status": "open", "team": "north"}, ("n2", "n3", "n4")),
        (Visibility.all(), {"officer": "cw-1"}, ("n1", "s1", "n4")),
        (Visibility.all(), {"risk_level": "high"}, ("n3", "s1")),
        (Visibility(teams=frozenset({"north"})), {"risk_level": "high"}, ("n3",)),
        (Visibility(teams=frozenset({"north"})), {"team": "south"}, ()),  # cannot widen
        (Visibility(officer="cw-1"), {"status": "open"}, ("s1", "n4")),
        (Visibility(organisation="Police"), {"status": "open"}, ("e1",)),
        (Visibility(), {"status": "open"}, ()),
    ],
)
def test_filters_narrow_what_the_caller_may_see(
    population: dict[str, Case],
    directory: CaseDirectory,
    visibility: Visibility,
    filters: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    assert walk(directory, visibility, 2, **filters) == refs(population, *expected)


def test_a_risk_level_filter_takes_the_enum_too(
    population: dict[str, Case], directory: CaseDirectory
) -> None:
    page = directory.list_cases(visibility=Visibility.all(), limit=10, risk_level=RiskLevel.MEDIUM)
    assert [e.reference for e in page.items] == refs(population, "n4")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "not a cursor",
        base64.urlsafe_b64encode(b"cd1:0").decode(),
        base64.urlsafe_b64encode(b"cd1:-3").decode(),
        base64.urlsafe_b64encode(b"cd2:5").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_malformed_cursor_is_refused(directory: CaseDirectory, cursor: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        directory.list_cases(visibility=Visibility.all(), limit=5, cursor=cursor)


@pytest.mark.parametrize("bad", [{"limit": 0}, {"status": "pending"}, {"risk_level": "extreme"}])
def test_bad_limits_and_filters_are_refused(
    directory: CaseDirectory, bad: dict[str, object]
) -> None:
    kwargs: dict[str, object] = {"visibility": Visibility.all(), "limit": 5, **bad}
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        directory.list_cases(**kwargs)  # type: ignore[arg-type]


def test_a_query_waits_for_a_position_or_says_the_view_is_behind(
    cases: Cases, directory: CaseDirectory, runner: ViewRunner
) -> None:
    cases.open(team="north")
    assert cases.last is not None
    position = cases.last.position
    directory.read_timeout = 0.1
    with pytest.raises(ViewBehind) as behind:
        directory.list_cases(visibility=Visibility.all(), limit=5, min_position=position)
    assert (behind.value.wanted, behind.value.reached) == (position, 0)

    runner.start()
    directory.read_timeout = 5.0
    page = directory.list_cases(visibility=Visibility.all(), limit=5, min_position=position)
    assert len(page.items) == 1
