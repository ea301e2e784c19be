"""The disclosure log on both stores: who saw or received what about whom, kept live by the
runner, equal to a rebuild, unchanged by a page delivered twice, and free of plaintext."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from ledger.access import Accessed, AccessRecord
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    AccessOutcome,
    AccessPurpose,
    Agency,
    Category,
    Channel,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
    EnforcementTool,
    IncidentType,
    PersonRole,
    Provision,
    Role,
)
from ledger.risk import ASB_VRA_V1
from ledger.values import Actor, Recipient
from projections import ViewBehind, ViewRunner, ViewStore, open_view_store
from projections.disclosures.model import Disclosure, DisclosureQuery
from projections.disclosures.projection import DisclosureLog
from tests.builders import CASEWORKER, T0, CaseKit

DPO = Actor(user_id="dpo-1", display_name="Dee Pio", role=Role.DPO, organisation="council")
PARTNER = Actor(
    user_id="pc-7", display_name="Pat Constable", role=Role.PARTNER, organisation="Police"
)


@dataclass
class Story:
    """One case's people, incidents and disclosures, with the canary text sealed in it."""

    ledger: CaseLedger
    kit: CaseKit
    case: Case
    victim: UUID = field(default_factory=uuid4)
    witness: UUID = field(default_factory=uuid4)
    perpetrator: UUID = field(default_factory=uuid4)
    incident: UUID = field(default_factory=uuid4)
    quiet: UUID = field(default_factory=uuid4)
    canaries: list[str] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)
    """The case's version after the save at each position."""

    def text(self, name: str) -> str:
        canary = f"CNRY-{name}-{uuid4().hex[:10]}"
        self.canaries.append(canary)
        return canary

    def save(self) -> int:
        receipt = self.ledger.save_case(self.case)
        self.versions[receipt.position] = receipt.version
        return receipt.position

    def access(
        self,
        actor: Actor,
        *,
        subjects: tuple[UUID, ...] = (),
        outcome: AccessOutcome = AccessOutcome.GRANTED,
        case: bool = True,
        hours: int = 0,
        view: str = "case.detail",
    ) -> int:
        record = AccessRecord.record(
            occurred_at=T0 + timedelta(days=3, hours=hours),
            actor=actor,
            request_id=f"req-{uuid4().hex[:8]}",
            case_id=self.case.id if case else None,
            case_version=self.case.version if case else None,
            view=view,
            purpose=AccessPurpose.PARTNERSHIP
            if actor.role is Role.PARTNER
            else AccessPurpose.DATA_PROTECTION,
            subjects=subjects,
            outcome=outcome,
            reason=None if outcome is AccessOutcome.GRANTED else "not a case of the caller's",
        )
        return self.ledger.record_access(record)

    def share(self, organisation: str, items: tuple[str, ...], days: int = 1) -> int:
        kwargs = self.kit.share_kwargs(
            occurred_at=T0 + timedelta(days=days),
            recipient=Recipient(
                agency=Agency.POLICE,
                organisation=organisation,
                person=self.kit.text(self.text("recipient"), "recipient.person"),
            ),
            items=items,
            justification=self.kit.text(self.text("justification"), "justification"),
        )
        self.case.share_information(**kwargs)  # type: ignore[arg-type]
        return self.save()


def tell(ledger: CaseLedger) -> Story:
    """Opens a case with a victim, a witness and an alleged perpetrator, two incidents (one
    criminal, against the victim), a contact, an enforcement and a risk assessment."""
    kit = CaseKit(ledger)
    canaries: list[str] = []

    def text(name: str) -> str:
        canaries.append(f"CNRY-{name}-{uuid4().hex[:10]}")
        return canaries[-1]

    case = Case.open(
        case_id=kit.case_id,
        actor=CASEWORKER,
        occurred_at=T0,
        reference=ledger.prepare_opening(kit.case_id, [kit.complainant], T0),
        channel=Channel.PHONE,
        received_at=T0,
        category=Category.PERSONAL,
        description=kit.text(text("description"), "description"),
        location=kit.text(text("location"), "location"),
        lead_department=Department.COMMUNITY_SAFETY,
        complainant_ref=kit.complainant,
        complainant=kit.details(kit.complainant, text("complainant")),
        preferred_contact=ContactMethod.PHONE,
        ward="Test Ward",
    )
    ledger.save_new_case(case)
    story = Story(ledger, kit, case, canaries=canaries)
    for ref, role in (
        (story.victim, PersonRole.VICTIM),
        (story.witness, PersonRole.WITNESS),
        (story.perpetrator, PersonRole.ALLEGED_PERPETRATOR),
    ):
        case.link_person(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=ref,
            role=role,
            details=kit.details(ref, story.text(role.value)),
        )
    for incident_id, victims, criminal in (
        (story.incident, (story.victim,), True),
        (story.quiet, (), False),
    ):
        case.record_incident(
            actor=CASEWORKER,
            occurred_at=T0,
            incident_id=incident_id,
            incident_type=IncidentType.NOISE,
            description=kit.text(story.text("incident"), "incident.description"),
            harms=(),
            criminal=criminal,
            victim_refs=victims,
        )
    case.record_contact(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=story.witness,
        method=ContactMethod.PHONE,
        direction=ContactDirection.OUTBOUND,
        outcome=ContactOutcome.REACHED,
        summary=kit.text(story.text("contact"), "summary"),
    )
    case.take_enforcement_action(
        actor=CASEWORKER,
        occurred_at=T0,
        tool=EnforcementTool.WARNING_LETTER,
        subject_ref=story.perpetrator,
        legislation=Provision.NON_STATUTORY,
        outcome=kit.text(story.text("enforcement"), "outcome"),
    )
    case.assess_risk(
        actor=CASEWORKER,
        occurred_at=T0,
        instrument="asb-vra",
        instrument_version=1,
        answers={q.key: 1 for q in ASB_VRA_V1.questions},
        victim_ref=story.victim,
        rationale=kit.text(story.text("rationale"), "rationale"),
    )
    story.save()
    return story


def disclose(story: Story) -> dict[str, int]:
    """Every kind of disclosure, by position."""
    at = {
        "summary": story.share("Test Homes", ("case_summary",)),
        "named": story.share(
            "Police", (f"incident:{story.incident}", f"person:{story.witness}"), days=2
        ),
        "sections": story.share(
            "Police", ("contact_history", "enforcement", "risk_assessment", "timescales"), days=2
        ),
        "quiet": story.share("Police", (f"incident:{story.quiet}",), days=2),
    }
    story.case.refer_to_police(
        actor=CASEWORKER,
        occurred_at=T0 + timedelta(days=2),
        incident_ids=(story.incident,),
        police_reference="SP-0001",
        organisation="test-police",
        disseminated_at=T0 + timedelta(days=2, hours=3),
    )
    at["referral"] = story.save()
    at["read"] = story.access(PARTNER, subjects=(story.victim, story.witness), hours=1)
    at["refused"] = story.access(PARTNER, outcome=AccessOutcome.DENIED, hours=2)
    at["caseless"] = story.access(DPO, subjects=(story.victim,), case=False, hours=3)
    return at


@pytest.fixture
def view_store(ledger: CaseLedger) -> Iterator[ViewStore]:
    store = open_view_store(ledger.store_config)
    yield store
    store.close()


@pytest.fixture
def log(view_store: ViewStore) -> DisclosureLog:
    return DisclosureLog(view_store)


def catch_up(ledger: CaseLedger, view: DisclosureLog, page_size: int = 500) -> None:
    ViewRunner(ledger, [view], page_size=page_size).catch_up()


def everything(view: DisclosureLog, **query: object) -> list[Disclosure]:
    return list(view.export(DisclosureQuery(**query)))  # type: ignore[arg-type]


# ------------------------------------------------------------------ what is logged


def test_each_disclosure_names_who_saw_or_received_what_about_whom(
    ledger: CaseLedger, log: DisclosureLog
) -> None:
    story = tell(ledger)
    at = disclose(story)
    catch_up(ledger, log, page_size=4)
    rows = {row.position: row for row in everything(log)}
    assert sorted(rows) == sorted(at.values()), "only reads, shares and referrals are logged"
    case, complainant = story.case.id, story.kit.complainant

    summary = rows[at["summary"]]
    assert (summary.kind, summary.case_id, summary.view) == ("share", case, "share")
    assert summary.subjects == (complainant,)  # the summary is the complaint as they gave it
    assert (summary.recipient_agency, summary.recipient_organisation) == ("police", "Test Homes")
    assert (summary.purpose, summary.lawful_basis) == ("prevent_crime_and_disorder", "public_task")
    assert (summary.gateway, summary.consent) == ("crime_and_disorder_act_1998_s115", "given")
    assert (summary.authorised_by, summary.protocol_reference) == ("sv-1", "One Staffordshire ISP")
    assert (summary.actor_id, summary.actor_role, summary.actor_organisation) == (
        "cw-1",
        "caseworker",
        "council",
    )
    assert summary.occurred_at == T0 + timedelta(days=1)
    assert summary.case_version == story.versions[at["summary"]]
    assert summary.items == ("case_summary",)
    assert summary.share_id is not None
    assert summary.outcome == "disclosed"

    assert set(rows[at["named"]].subjects) == {story.victim, story.witness}
    assert set(rows[at["sections"]].subjects) == {story.witness, story.perpetrator, story.victim}
    assert rows[at["quiet"]].subjects == ()  # an incident with no victim names nobody

    referral = rows[at["referral"]]
    assert (referral.kind, referral.subjects) == ("police_referral", (story.victim,))
    assert referral.items == (f"incident:{story.incident}",)
    assert (referral.recipient_agency, referral.police_reference) == ("police", "SP-0001")
    assert referral.occurred_at == T0 + timedelta(days=2, hours=3)  # when disseminated
    assert (referral.purpose, referral.lawful_basis) == (None, None)  # the event records none

    read = rows[at["read"]]
    assert (read.kind, read.view, read.outcome, read.purpose) == (
        "access",
        "case.detail",
        "granted",
        "partnership",
    )
    assert set(read.subjects) == {story.victim, story.witness}
    assert (read.case_id, read.case_version) == (case, story.case.version)
    assert read.request_id is not None
    assert read.request_id.startswith("req-")
    refused = rows[at["refused"]]
    assert (refused.outcome, refused.reason, refused.subjects) == (
        "denied",
        "not a case of the caller's",
        (),
    )
    assert rows[at["caseless"]].case_id is None


def test_queries_by_subject_case_actor_and_time(ledger: CaseLedger, log: DisclosureLog) -> None:
    story = tell(ledger)
    at = disclose(story)
    other = tell(ledger)
    elsewhere = other.share("Police", (f"incident:{other.incident}",))
    catch_up(ledger, log)

    def positions(**query: object) -> list[int]:
        return [row.position for row in everything(log, **query)]

    assert positions(subject=story.victim) == sorted(
        at[k] for k in ("named", "sections", "referral", "read", "caseless")
    )
    assert positions(subject=story.kit.complainant) == [at["summary"]]
    assert positions(subject=uuid4()) == []
    assert positions(case_id=other.case.id) == [elsewhere]
    assert positions(case_id=story.case.id) == sorted(v for k, v in at.items() if k != "caseless")
    assert positions(actor="pc-7") == [at["read"], at["refused"]]
    assert positions(actor="pc-7", subject=story.victim) == [at["read"]]
    day2 = T0 + timedelta(days=2)
    assert positions(case_id=story.case.id, since=day2, until=day2 + timedelta(hours=3)) == [
        at["named"],
        at["sections"],
        at["quiet"],
    ]  # from inclusive, to exclusive: the referral was disseminated at 03:00
    assert positions(since=T0 + timedelta(days=3, hours=3)) == [at["caseless"]]


def test_pages_walk_the_log_newest_first(ledger: CaseLedger, log: DisclosureLog) -> None:
    story = tell(ledger)
    at = disclose(story)
    catch_up(ledger, log)
    expected = sorted(at.values(), reverse=True)
    for limit in (1, 2, 3, 50):
        seen: list[int] = []
        cursor: str | None = None
        for _ in range(20):
            page = log.list_disclosures(DisclosureQuery(), limit=limit, cursor=cursor)
            assert len(page.items) <= limit
            seen += [row.position for row in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected, limit
    with pytest.raises(ValueError, match="cursor"):
        log.list_disclosures(DisclosureQuery(), limit=5, cursor="bm90IG91cnM")
    with pytest.raises(ValueError, match="limit"):
        log.list_disclosures(DisclosureQuery(), limit=0)


def test_a_query_that_is_not_sensible_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        DisclosureQuery(since=datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="after"):
        DisclosureQuery(since=T0, until=T0 - timedelta(seconds=1))
    assert DisclosureQuery(since=T0, until=T0).until == T0


def test_a_query_waits_for_a_position_or_says_the_log_is_behind(
    ledger: CaseLedger, log: DisclosureLog
) -> None:
    story = tell(ledger)
    position = story.access(DPO)
    with pytest.raises(ViewBehind) as behind:
        log.list_disclosures(DisclosureQuery(), limit=5, min_position=position, timeout=0.05)
    assert (behind.value.wanted, behind.value.reached) == (position, 0)
    with ViewRunner(ledger, [log], interval=0.02):
        page = log.list_disclosures(DisclosureQuery(), limit=5, min_position=position, timeout=5)
    assert [row.position for row in page.items] == [position]


# ------------------------------------------------------------------ rebuilds and replays


@pytest.mark.parametrize("page_size", [1, 3, 500])
def test_a_rebuild_from_scratch_equals_the_live_log(
    ledger: CaseLedger, view_store: ViewStore, log: DisclosureLog, page_size: int
) -> None:
    live = ViewRunner(ledger, [log], page_size=page_size)
    story = tell(ledger)
    live.catch_up()
    disclose(story)
    live.catch_up()
    later = tell(ledger)  # a second case, with shares processed as they happen
    later.share("Police", (f"person:{later.witness}", "case_summary"))
    live.catch_up()
    later.share("Police", ("contact_history",))
    later.access(PARTNER, subjects=(later.witness,))
    live.catch_up()

    rebuilt = DisclosureLog(view_store, suffix="_rebuild")
    assert rebuilt.position() == 0
    assert rebuilt.contents() == ([], [])
    catch_up(ledger, rebuilt)
    live_rows, live_people = log.contents()
    assert len(live_rows) == 11
    assert len(live_people) > 5
    assert rebuilt.contents() == (live_rows, live_people)
    assert rebuilt.position() == log.position() == ledger.recorder.max_notification_id()


def test_a_page_delivered_twice_changes_nothing(ledger: CaseLedger, log: DisclosureLog) -> None:
    story = tell(ledger)
    disclose(story)
    runner = ViewRunner(ledger, [log], page_size=500)
    notes = ledger.recorder.select_notifications(1, 500)
    assert runner.deliver(log, notes) == len(notes)
    before = log.contents()
    assert runner.deliver(log, notes) == 0
    assert runner.deliver(log, notes[3:9]) == 0
    assert log.contents() == before

    # Even past the tracking, applying the same events again adds no row.
    projection = log.projection()
    with log.page() as done:
        assert done == notes[-1].id
        for note in notes:
            if note.topic in projection.topics:
                event = ledger.mapper.to_domain_event(note)
                if isinstance(event, Accessed):
                    log.add_access(event, note.id)
                elif type(event).__name__ == "InformationShared":
                    log.add_share(event, note.id)  # type: ignore[arg-type]
    assert log.contents() == before
    assert log.position() == notes[-1].id


def test_every_handler_records_its_tracking_the_fallback_included(
    ledger: CaseLedger, log: DisclosureLog
) -> None:
    story = tell(ledger)
    disclose(story)
    story.case.link_person(  # ends the log with an event the log has no rows for
        actor=CASEWORKER, occurred_at=T0, person_ref=story.victim, role=PersonRole.WITNESS
    )
    story.save()
    projection = log.projection()
    notes = ledger.recorder.select_notifications(1, 500)
    kinds = set()
    for note in notes:  # every event through ``process_event``, even those ``skip`` gets
        event = ledger.mapper.to_domain_event(note)
        kinds.add(type(event).__name__)
        with log.page():
            projection.process_event(event, Tracking(ledger.name, note.id))
        assert log.position() == note.id, type(event).__name__
    assert {"PersonLinked", "ReferenceRegistered", "Accessed", "InformationShared"} <= kinds
    assert log.position() == ledger.recorder.max_notification_id()


# ------------------------------------------------------------------ no plaintext


def _dump(store: ViewStore, view: DisclosureLog) -> str:
    lines = []
    for table in view.owned_tables():
        for row in store.select(f"SELECT * FROM {table}"):
            lines.append(" | ".join("" if v is None else str(v) for v in row))
    return "\n".join(lines)


def test_the_log_holds_no_plaintext_personal_data(
    ledger: CaseLedger, view_store: ViewStore, log: DisclosureLog
) -> None:
    story = tell(ledger)
    disclose(story)
    catch_up(ledger, log)
    dumped = _dump(view_store, log)
    assert len(story.canaries) >= 12
    found = [c for c in story.canaries if c.lower() in dumped.lower()]
    assert not found, f"plaintext in the disclosure log: {found}"
    # Controls: the scan sees the rows, with their references and organisations.
    assert "Test Homes" in dumped
    assert str(story.victim) in dumped
    assert "SP-0001" in dumped
    event = next(
        e for e in ledger.repository.event_store.get(story.case.id) if hasattr(e, "recipient")
    )
    assert isinstance(event.recipient.person.blob, bytes)  # the recipient was sealed


def test_the_tables_have_the_documented_names(view_store: ViewStore) -> None:
    live = DisclosureLog(view_store)
    rebuilt = DisclosureLog(view_store, suffix="_next")
    names = [t.split(".")[-1].strip('"') for t in live.owned_tables()]
    assert names == [
        "asb_view_disclosures",
        "asb_view_disclosure_subjects",
        "asb_view_disclosure_people",
        "asb_view_disclosure_grants",
    ]
    assert [t.split(".")[-1].strip('"') for t in rebuilt.owned_tables()] == [
        n + "_next" for n in names
    ]
    assert (live.view_name, rebuilt.view_name) == ("disclosures", "disclosures_next")
