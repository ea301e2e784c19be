"""Projection equals replay, for every read model in the catalogue, on both stores.

Random sequences of caseworker commands (through ``commands/``, as the API runs them) are
saved; every view catches up live after each command, in pages of a random size. Then a
fresh set of tables for every view is built from position 0 in one go, and each view's
``contents()`` must equal its live twin's. The same notifications delivered again to the
rebuilt views change nothing (idempotence): their position already covers them.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg import sql

from commands import (
    acknowledge_case_review,
    assess_risk,
    assign_case,
    break_glass,
    close_alert,
    close_case,
    conclude_case_review,
    decide_case_review,
    erase_closed_case,
    link_person,
    merge_people,
    record_contact,
    record_incident,
    refer_to_police,
    reopen_case,
    request_case_review,
    share_information,
)
from commands.common import PersonText
from commands.open_case import OpenCase
from commands.open_case import handle as open_case
from commands.unit_of_work import UnitOfWork
from ledger.application import CaseLedger
from ledger.enums import (
    Agency,
    AlertOutcome,
    BreakGlassReason,
    CaseReviewDecision,
    Category,
    Channel,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    Role,
    SharePurpose,
)
from ledger.errors import RuleViolation
from ledger.risk import ASB_VRA_V1
from ledger.settings import Retention, Settings
from ledger.thresholds import Timescales
from ledger.values import Actor
from projections import ViewRunner, open_view_store
from projections.catalog import VIEW_TYPES
from tests.builders import CASEWORKER, SUPERVISOR
from tests.conftest import PG_URL, _conninfo, require_postgres
from tests.integration.test_projection_runner import record_access

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THRESHOLD_MET, THRESHOLD_NOT_MET = (
    CaseReviewDecision.THRESHOLD_MET,
    CaseReviewDecision.THRESHOLD_NOT_MET,
)
ACTIONS = (
    "open",
    "victim",
    "incident",
    "assess",
    "contact",
    "police",
    "share",
    "assign",
    "close",
    "reopen",
    "case_review",
    "read",
    "known",
    "merge",
    "break_glass",
    "glass_read",
    "alert",
    "sweep",
)
Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3), st.integers(0, 60)),
    min_size=1,
    max_size=30,
)


class On(TypedDict):
    case_id: uuid.UUID
    actor: Actor
    occurred_at: datetime


class Scenario:
    """Cases driven through the commands; a refused command is simply skipped."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger
        self.cases: list[uuid.UUID] = []
        self.victims: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.incidents: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.requests: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.grants: dict[uuid.UUID, list[uuid.UUID]] = {}

    def apply(self, step: Step) -> None:
        action, which, days = step
        when = T0 + timedelta(days=days)
        if action == "open" or not self.cases:
            receipt = open_case(
                OpenCase(
                    case_id=uuid.uuid4(),
                    actor=CASEWORKER,
                    occurred_at=when,
                    channel=Channel.PHONE,
                    received_at=when,
                    category=Category.PERSONAL,
                    description="Fictional: noise",
                    location="Fictional: 1 Test Street",
                    lead_department=Department.COMMUNITY_SAFETY,
                    complainant_ref=uuid.uuid4(),
                    complainant=PersonText(name="Fictional Complainant"),
                    preferred_contact=ContactMethod.PHONE,
                    ward=("Coton", "Manor", None)[which % 3],
                ),
                UnitOfWork(ledger=self.ledger),
            )
            self.cases.append(receipt.case_id)
            return
        case_id = self.cases[which % len(self.cases)]
        on: On = {"case_id": case_id, "actor": CASEWORKER, "occurred_at": when}
        with suppress(RuleViolation):
            self._command(action, case_id, on, which, days)

    def _command(self, action: str, case_id: uuid.UUID, on: On, which: int, days: int) -> None:
        ledger, victims = self.ledger, self.victims.setdefault(case_id, [])
        incidents = self.incidents.setdefault(case_id, [])
        if action == "victim":
            ref = uuid.uuid4()
            link_person.handle(
                link_person.LinkPerson(
                    **on,
                    person_ref=ref,
                    role=PersonRole.VICTIM,
                    details=PersonText(name="Fictional Victim"),
                ),
                UnitOfWork(ledger=ledger),
            )
            victims.append(ref)
        elif action == "incident":
            incident = uuid.uuid4()
            harms = [HarmIndicator.TARGETED, HarmIndicator.HATE_MOTIVATED][: which % 3]
            record_incident.handle(
                record_incident.RecordIncident(
                    **on,
                    incident_id=incident,
                    incident_type=list(IncidentType)[days % len(IncidentType)],
                    description="Fictional: shouting",
                    harms=tuple(harms),
                    criminal=which == 3,
                    victim_refs=tuple(victims[-1:]),
                    location="Fictional: 2 Test Street, ST16 2AB" if which == 2 else None,
                ),
                UnitOfWork(ledger=ledger),
            )
            incidents.append(incident)
        elif action == "known":  # a victim of another case, named by reference
            known = [v for vs in self.victims.values() for v in vs if v not in victims]
            if known:
                ref = known[(which + days) % len(known)]
                link_person.handle(
                    link_person.LinkPerson(**on, person_ref=ref, role=PersonRole.VICTIM),
                    UnitOfWork(ledger=ledger),
                )
                victims.append(ref)
        elif action == "merge":  # two records found to be one person
            everyone = list(dict.fromkeys(v for vs in self.victims.values() for v in vs))
            if len(everyone) >= 2:
                survivor = everyone[which % len(everyone)]
                duplicate = everyone[(which + 1 + days) % len(everyone)]
                merge_people.handle(
                    merge_people.MergePeople(
                        actor=SUPERVISOR,
                        occurred_at=on["occurred_at"],
                        survivor=survivor,
                        duplicate=duplicate,
                    ),
                    ledger,
                )
        elif action == "assess":
            answers = {q.key: (days + i) % 3 for i, q in enumerate(ASB_VRA_V1.questions)}
            assess_risk.handle(
                assess_risk.AssessRisk(
                    **on,
                    instrument="asb-vra",
                    instrument_version=1,
                    answers=answers,
                    victim_ref=victims[-1] if victims else None,
                ),
                UnitOfWork(ledger=ledger),
            )
        elif action == "contact":
            case = ledger.get_case(case_id)
            record_contact.handle(
                record_contact.RecordContact(
                    **on,
                    person_ref=case.complainant_ref,
                    method=list(ContactMethod)[which % len(ContactMethod)],
                    direction=ContactDirection.OUTBOUND,
                    outcome=ContactOutcome.REACHED,
                    summary="Fictional: called",
                ),
                UnitOfWork(ledger=ledger),
            )
        elif action == "police":
            refer_to_police.handle(
                refer_to_police.ReferToPolice(
                    **on,
                    incident_ids=tuple(incidents[-2:]),
                    police_reference=f"SP-{days}",
                    organisation="test-police",
                    disseminated_at=on["occurred_at"],
                ),
                UnitOfWork(ledger=ledger),
            )
        elif action == "share":
            share_information.handle(
                share_information.ShareInformation(
                    **on,
                    share_id=uuid.uuid4(),
                    recipient_agency=Agency.POLICE,
                    recipient_organisation=("Police", "Homes")[which % 2],
                    items=("case_summary", *(f"person:{v}" for v in victims[-1:])),
                    purpose=SharePurpose.PREVENT_CRIME_AND_DISORDER,
                    justification="Fictional: needed",
                    lawful_basis=LawfulBasis.PUBLIC_TASK,
                    gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115,
                    consent=ConsentStatus.GIVEN,
                    authoriser=SUPERVISOR,
                ),
                UnitOfWork(ledger=ledger),
            )
        elif action == "assign":
            assign_case.handle(
                assign_case.AssignCase(
                    case_id=case_id,
                    actor=SUPERVISOR,
                    occurred_at=on["occurred_at"],
                    team=("north", "south")[which % 2],
                    officer=(None, "cw-1", "cw-2")[days % 3],
                ),
                UnitOfWork(ledger=ledger),
            )
        elif action == "close":
            close_case.handle(
                close_case.CloseCase(
                    case_id=case_id,
                    actor=SUPERVISOR,
                    occurred_at=on["occurred_at"],
                    reason=ClosureReason.NO_FURTHER_ACTION,
                    full_reasons="Fictional: reasons",
                    feedback_method=ContactMethod.PHONE,
                    feedback_given_at=on["occurred_at"],
                    explanation="Fictional: explanation",
                    advice="Fictional: advice",
                ),
                UnitOfWork(ledger=ledger),
            )
        elif action == "case_review":
            self._case_review(case_id, on, which, days)
        elif action in ("break_glass", "glass_read", "alert"):
            self._break_glass(action, case_id, on, which)
        elif action == "reopen":
            reopen_case.handle(
                reopen_case.ReopenCase(**on, reason="Fictional: again"),
                UnitOfWork(ledger=ledger),
            )
        elif action == "sweep":  # retention run out on the case, as if years had passed
            erase_closed_case.handle(
                erase_closed_case.EraseClosedCase(
                    case_id=case_id,
                    actor=SUPERVISOR,
                    occurred_at=on["occurred_at"],
                    today=on["occurred_at"].date() + timedelta(days=365 * (6 + which)),
                ),
                ledger,
                retention=Retention(),
                local_date=Timescales().local_date,
                cases_of=self.cases_of,
            )
        else:
            record_access(ledger, case_id)

    def _break_glass(self, action: str, case_id: uuid.UUID, on: On, which: int) -> None:
        """A supervisor of another team breaks the glass on the case; a read under the
        case's last grant; or the DPO's closing of its alert (each way, by ``which``)."""
        grants = self.grants.setdefault(case_id, [])
        if action == "break_glass" or not grants:
            team = ("south", "east")[which % 2]
            outsider = replace(SUPERVISOR, user_id=f"sv-{team}", team=team)
            made, _ = break_glass.handle(
                break_glass.BreakGlass(
                    actor=outsider,
                    occurred_at=on["occurred_at"],
                    case_id=case_id,
                    grant_id=uuid.uuid4(),
                    teams=frozenset({team}),
                    reason=list(BreakGlassReason)[which % len(BreakGlassReason)],
                    rationale="Fictional: needed",
                ),
                self.ledger,
                lambda case: None,
            )
            grants.append(made.id)
        elif action == "glass_read":
            record_access(self.ledger, case_id, grant_id=grants[-1])
        else:
            close_alert.handle(
                close_alert.CloseAlert(
                    actor=replace(SUPERVISOR, user_id="dpo-1", role=Role.DPO),
                    occurred_at=on["occurred_at"],
                    grant_id=grants[-1],
                    outcome=list(AlertOutcome)[which % len(AlertOutcome)],
                    note="Fictional: noted" if which else None,
                ),
                self.ledger,
            )

    def cases_of(self, refs: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        wanted = set(refs)
        return {c for c in self.cases if wanted & set(self.ledger.get_case(c).persons)}

    def _case_review(self, case_id: uuid.UUID, on: On, which: int, days: int) -> None:
        """An ASB Case Review's step (``which``: request, acknowledge, decide, conclude) on
        the case's last request; out of order, it is refused and skipped."""
        uow, requests = UnitOfWork(ledger=self.ledger), self.requests.setdefault(case_id, [])
        if which == 0 or not requests:
            request = uuid.uuid4()
            request_case_review.handle(
                request_case_review.RequestCaseReview(
                    **on,
                    request_id=request,
                    applicant_ref=self.ledger.get_case(case_id).complainant_ref,
                    received_at=on["occurred_at"],
                ),
                uow,
            )
            requests.append(request)
        elif which == 1:
            acknowledge_case_review.handle(
                acknowledge_case_review.AcknowledgeCaseReview(**on, request_id=requests[-1]), uow
            )
        elif which == 2:
            decide_case_review.handle(
                decide_case_review.DecideCaseReview(
                    **on,
                    request_id=requests[-1],
                    decision=(THRESHOLD_MET, THRESHOLD_NOT_MET)[days % 4 == 3],
                    outcome="Fictional: reasons",
                ),
                uow,
            )
        else:
            conclude_case_review.handle(
                conclude_case_review.ConcludeCaseReview(
                    **on, request_id=requests[-1], recommendations="Fictional: recommendations"
                ),
                uow,
            )


@contextmanager
def fresh_ledger(store: str) -> Iterator[CaseLedger]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        if store == "sqlite":
            ledger = CaseLedger(
                Settings(data_dir=path, database_url=f"sqlite:///{path / 'ledger.sqlite3'}")
            )
            try:
                yield ledger
            finally:
                ledger.close()
            return
        schema = f"p_{uuid.uuid4().hex[:12]}"
        ledger = CaseLedger(Settings(data_dir=path, database_url=f"{PG_URL}?schema={schema}"))
        try:
            yield ledger
        finally:
            ledger.close()
            with psycopg.connect(_conninfo(PG_URL), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=steps, page_size=st.integers(1, 7))
@example(  # a victim on two cases, each closed and swept: kept by the first, erased by the second
    steps=[
        ("open", 0, 0),
        ("victim", 0, 1),
        ("open", 1, 2),
        ("known", 1, 3),
        ("close", 0, 4),
        ("sweep", 0, 5),
        ("close", 1, 6),
        ("sweep", 1, 7),
        ("reopen", 0, 8),
    ],
    page_size=3,
)
@example(  # one victim on two cases, a second record merged into them, incidents at a place
    steps=[
        ("open", 0, 0),
        ("victim", 0, 1),
        ("incident", 2, 2),
        ("open", 1, 3),
        ("victim", 1, 4),
        ("known", 1, 5),
        ("merge", 0, 0),
        ("incident", 1, 6),
        ("incident", 2, 7),
    ],
    page_size=2,
)
@example(  # break-glass uses: reads under them, a closing, and an assignment reconciling one
    steps=[
        ("open", 0, 0),
        ("break_glass", 0, 0),
        ("glass_read", 0, 0),
        ("glass_read", 0, 0),
        ("alert", 1, 0),
        ("break_glass", 1, 1),
        ("glass_read", 0, 1),
        ("assign", 1, 2),
        ("alert", 0, 3),
    ],
    page_size=3,
)
def test_every_view_built_live_equals_a_rebuild_from_scratch(
    store: str, steps: list[Step], page_size: int
) -> None:
    if store == "postgres":
        require_postgres()
    with fresh_ledger(store) as ledger:
        views = open_view_store(ledger.store_config)
        try:
            live = [kind(views, application_name=ledger.name) for kind in VIEW_TYPES]
            runner = ViewRunner(ledger, live, page_size=page_size)
            scenario = Scenario(ledger)
            for step in steps:
                scenario.apply(step)
                runner.catch_up()
            head = runner.head()
            assert all(view.position() == head for view in live)

            rebuilt = [
                kind(views, suffix="_replay", application_name=ledger.name) for kind in VIEW_TYPES
            ]
            again = ViewRunner(ledger, rebuilt, page_size=500)
            again.catch_up()
            for before, after in zip(live, rebuilt, strict=True):
                assert after.contents() == before.contents(), before.name  # type: ignore[attr-defined]
                assert after.position() == head

            # Idempotent: the same notifications again change nothing.
            notes = ledger.recorder.select_notifications(1, head)
            for view in rebuilt:
                snapshot = view.contents()  # type: ignore[attr-defined]
                assert again.deliver(view, notes) == 0
                assert view.contents() == snapshot, view.name  # type: ignore[attr-defined]
                assert view.position() == head
        finally:
            views.close()
