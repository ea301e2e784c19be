"""Every domain rule that a request can break, broken over HTTP on both stores: 422 with
its rule code and nothing appended. The rules no request can reach are listed, with why,
and what a client gets instead is checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from api.errors import CONFLICTS
from ledger.enums import ErasureReason, Role
from ledger.errors import Rule
from ledger.risk import ASB_VRA_V1
from ledger.sealing import person_scope
from tests.api.conftest import Clock, Tokens, complaint
from tests.api.helpers import (
    COMMANDS,
    JSON,
    ON_CASE,
    Api,
    Scene,
    authorised_by,
    named_fields,
    problem,
)
from tests.builders import SUPERVISOR


@dataclass
class Stage:
    """The callers a provocation may use, and the case it works on."""

    caseworker: Api
    supervisor: Api
    scene: Scene


Body = Callable[[Scene], JSON]
Step = Callable[[Stage], None]


def _nothing(stage: Stage) -> None:
    """The case as opened."""


@dataclass(frozen=True)
class Provocation:
    """Given a case prepared so, when this command is sent with this body, then this rule."""

    rule: Rule
    command: str
    body: Body
    given: Step = _nothing
    role: str = "caseworker"
    how: str = ""
    authoriser_role: str | None = None
    """A share's ``X-Authorised-By`` token is of this role (default: a supervisor's)."""

    @property
    def id(self) -> str:
        return f"{self.rule.value}-{self.how or self.command}"


def valid(name: str, **changes: Any) -> Body:
    """The table's valid body for a command, with some fields changed."""
    return lambda scene: {**COMMANDS[name].body(scene), **changes}


def given(*steps: Step) -> Step:
    def run(stage: Stage) -> None:
        for step in steps:
            step(stage)

    return run


def prepared(name: str) -> Step:
    """What the command table does to make a case ready for this command."""
    return lambda stage: COMMANDS[name].prepare(stage.caseworker, stage.scene)


def done(name: str, *, by: str = "caseworker", **changes: Any) -> Step:
    """The command, successfully, with its valid body (and these changes)."""

    def run(stage: Stage) -> None:
        caller = stage.supervisor if by == "supervisor" else stage.caseworker
        caller.do(name, stage.scene, **changes)

    return run


def named(**ids: str) -> Step:
    """Ids for the command's path that name nothing on the case."""
    return lambda stage: stage.scene.ids.update(ids)


def contacted(*methods: str, direction: str = "outbound") -> Step:
    """Contacts with the complainant (phone is their preferred method)."""
    return given(*(done("record_contact", method=m, direction=direction) for m in methods))


DORA = {"name": "Dora Duplicate", "contact": "07700 900555", "address": "4 Mill Lane, ST16 2AB"}
"""A complainant whose name and phone are enough to find her again."""


def dora_known(stage: Stage) -> None:
    """Another officer opened a case for Dora before."""
    stage.caseworker.ok("/cases", complaint(complainant=DORA))


def erased_complainant(stage: Stage) -> None:
    """The DPO erases the complainant (of another case, when opening one). Erasure is a
    ledger operation: it has no route yet."""
    if not stage.scene.case_id:
        stage.scene.complainant = stage.caseworker.open().complainant
    stage.caseworker.ledger.destroy_key(
        person_scope(UUID(stage.scene.complainant)),
        actor=SUPERVISOR,
        occurred_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        reason=ErasureReason.SUBJECT_REQUEST,
    )


INCIDENT = str(uuid4())
REQUEST = str(uuid4())
NO_CONTACT = {
    "reason": "no_contact",
    "full_reasons": "No reply to three calls and a letter.",
    "feedback": {"method": "letter", "why_not_preferred": "Calls went unanswered."},
}
ALL_YES = {q.key: 2 for q in ASB_VRA_V1.questions}


TAKEN_WHEN_CLOSED = {
    "reopen_case",
    "request_case_review",
    "acknowledge_case_review",
    "decide_case_review",
    "conclude_case_review",
}
"""Commands a closed case takes: its reopening, and an ASB Case Review (which often follows
a closure)."""


def _closed_before(name: str) -> Provocation:
    """Any command but reopening, on a closed case (closed by a supervisor, who may close
    whatever the command needed first)."""
    return Provocation(
        Rule.CASE_CLOSED,
        name,
        valid(name),
        given(prepared(name), done("close_case", by="supervisor")),
        role=COMMANDS[name].role,
    )


PROVOCATIONS = [
    *(_closed_before(c.name) for c in ON_CASE if c.name not in TAKEN_WHEN_CLOSED),
    Provocation(Rule.CASE_NOT_CLOSED, "reopen_case", valid("reopen_case")),
    Provocation(
        Rule.TEXT_REQUIRED, "open_case", lambda s: complaint(description=" \n "), how="open"
    ),
    Provocation(
        Rule.TEXT_REQUIRED,
        "open_case",
        lambda s: complaint(complainant={"name": "  "}),
        how="open-complainant-name",
    ),
    Provocation(Rule.TEXT_REQUIRED, "record_incident", valid("record_incident", description="  ")),
    Provocation(
        Rule.PLACE_UNRECOGNISED,
        "open_case",
        lambda s: complaint(place={"address": "Flat 2, Example Road"}),
        how="open-address-without-postcode",
    ),
    Provocation(
        Rule.PLACE_UNRECOGNISED,
        "record_incident",
        valid("record_incident", place={"uprn": "12-34"}),
        how="incident-uprn-not-digits",
    ),
    Provocation(
        Rule.PERSON_POSSIBLE_DUPLICATE,
        "open_case",
        lambda s: complaint(complainant={**DORA, "name": "DORA  duplicate"}),
        dora_known,
        how="open-known-complainant",
    ),
    Provocation(
        Rule.PERSON_POSSIBLE_DUPLICATE,
        "link_person",
        valid("link_person", details={"name": "Dora Duplicate", "contact": "+44 7700 900555"}),
        dora_known,
        how="link-known-person",
    ),
    Provocation(
        Rule.TEXT_REQUIRED,
        "link_person",
        valid("link_person", details=None),
        how="new-person-without-details",
    ),
    Provocation(
        Rule.TEXT_REQUIRED,
        "refer_to_police",
        valid("refer_to_police", police_reference=" "),
        prepared("refer_to_police"),
    ),
    Provocation(
        Rule.POLICE_REFERENCE_FORMAT,
        "refer_to_police",
        valid("refer_to_police", police_reference="Jane Doe, 1 High St"),
        prepared("refer_to_police"),
    ),
    Provocation(
        Rule.ORGANISATION_UNKNOWN,
        "share_information",
        valid("share_information", recipient={"organisation": "Example Homes"}),
        how="a-name-not-an-id",
    ),
    Provocation(
        Rule.ORGANISATION_UNKNOWN,
        "refer_for_support",
        valid("refer_for_support", organisation="no-such-service"),
        how="an-unregistered-id",
    ),
    Provocation(
        Rule.ORGANISATION_RETIRED,
        "share_information",
        valid("share_information", recipient={"organisation": "former-partner"}),
    ),
    Provocation(
        Rule.ORGANISATION_AGENCY_MISMATCH,
        "add_agency",
        valid("add_agency", agency="police", organisation="example-homes"),
    ),
    Provocation(
        Rule.SHARE_PROTOCOL_MISMATCH,
        "share_information",
        valid("share_information", protocol_reference="Another County ISP"),
    ),
    Provocation(
        Rule.POLICE_FORCE_REQUIRED,
        "refer_to_police",
        lambda s: {**COMMANDS["refer_to_police"].body(s), "organisation": None},
        prepared("refer_to_police"),
        how="two-police-forces-are-signatories",
    ),
    Provocation(
        Rule.ORGANISATION_AGENCY_MISMATCH,
        "refer_to_police",
        valid("refer_to_police", organisation="example-homes"),
        prepared("refer_to_police"),
        how="not-a-police-force",
    ),
    Provocation(
        Rule.WARD_UNKNOWN,
        "open_case",
        lambda s: complaint(ward="Jane Doe, 1 High St"),
        how="open-in-no-ward-of-the-council",
    ),
    Provocation(
        Rule.PERSON_NOT_LINKED,
        "record_contact",
        valid("record_contact", person_ref=str(uuid4())),
    ),
    Provocation(
        Rule.PERSON_NOT_LINKED,
        "record_incident",
        valid("record_incident", victim_refs=[str(uuid4())]),
    ),
    Provocation(
        Rule.PERSON_ALREADY_LINKED,
        "link_person",
        lambda s: {"person_ref": s.complainant, "role": "complainant"},
    ),
    Provocation(
        Rule.INCIDENT_DUPLICATE,
        "record_incident",
        valid("record_incident", incident_id=INCIDENT),
        done("record_incident", incident_id=INCIDENT),
    ),
    Provocation(
        Rule.INCIDENT_UNKNOWN,
        "refer_to_police",
        lambda s: {
            "incident_ids": [str(uuid4())],
            "police_reference": "SP-1",
            "organisation": "staffordshire-police",
        },
    ),
    Provocation(
        Rule.RISK_UNKNOWN_INSTRUMENT,
        "assess_risk",
        valid("assess_risk", instrument_version=2),
    ),
    Provocation(
        Rule.RISK_ANSWERS_INVALID,
        "assess_risk",
        valid("assess_risk", answers={**ALL_YES, "q1_happened_before": 3}),
        how="out-of-range",
    ),
    Provocation(
        Rule.RISK_ANSWERS_INVALID,
        "assess_risk",
        valid("assess_risk", answers={"q1_happened_before": 1}),
        how="missing",
    ),
    Provocation(
        Rule.RISK_OVERRIDE_RATIONALE,
        "assess_risk",
        valid("assess_risk", override_level="high"),
    ),
    Provocation(Rule.ACTION_OWNER_REQUIRED, "plan_action", valid("plan_action", owner_agency=None)),
    Provocation(
        Rule.ACTION_OWNER_REQUIRED,
        "plan_action",
        valid("plan_action", owner_officer=None),
        how="blank-officer",
    ),
    Provocation(Rule.ACTION_DUE_REQUIRED, "plan_action", valid("plan_action", due=None)),
    Provocation(Rule.ACTION_DUPLICATE, "plan_action", valid("plan_action"), done("plan_action")),
    Provocation(
        Rule.ACTION_UNKNOWN,
        "complete_action",
        valid("complete_action"),
        named(action_id="no-such-action"),
    ),
    Provocation(
        Rule.ACTION_NOT_OPEN,
        "complete_action",
        valid("complete_action"),
        given(done("plan_action"), done("complete_action")),
    ),
    Provocation(
        Rule.ACTION_NOT_OPEN,
        "cancel_action",
        valid("cancel_action"),
        given(done("plan_action"), done("cancel_action")),
    ),
    Provocation(
        Rule.TIMESCALES_ORDER,
        "agree_timescales",
        valid("agree_timescales", target_resolution="2026-03-02"),
    ),
    Provocation(
        Rule.SUPPORT_CONSENT_REQUIRED,
        "refer_for_support",
        valid("refer_for_support", consent="not_sought"),
        how="not-sought-without-a-note",
    ),
    Provocation(
        Rule.SHARE_RECIPIENT_REQUIRED,
        "share_information",
        valid("share_information", recipient=None),
    ),
    Provocation(
        Rule.SHARE_RECIPIENT_REQUIRED,
        "share_information",
        valid("share_information", recipient={"agency": "housing_provider", "organisation": "  "}),
        how="blank-organisation",
    ),
    Provocation(
        Rule.SHARE_PURPOSE_REQUIRED,
        "share_information",
        valid("share_information", purpose=None),
    ),
    Provocation(
        Rule.SHARE_PURPOSE_REQUIRED,
        "share_information",
        valid("share_information", justification=" "),
        how="no-justification",
    ),
    Provocation(
        Rule.SHARE_LAWFUL_BASIS_REQUIRED,
        "share_information",
        valid("share_information", lawful_basis=None),
    ),
    Provocation(
        Rule.SHARE_ITEMS_REQUIRED,
        "share_information",
        valid("share_information", items=[]),
        how="none",
    ),
    Provocation(
        Rule.SHARE_ITEMS_REQUIRED,
        "share_information",
        valid("share_information", items=["whole_file"]),
        how="the-whole-file",
    ),
    Provocation(
        Rule.SHARE_ITEMS_REQUIRED,
        "share_information",
        valid("share_information", items=[f"incident:{uuid4()}"]),
        how="another-cases-incident",
    ),
    Provocation(
        Rule.SHARE_CONDITION_REQUIRED,
        "share_information",
        valid("share_information", includes_special_category=True),
    ),
    Provocation(
        Rule.SHARE_CONSENT_REQUIRED,
        "share_information",
        valid("share_information", lawful_basis="consent"),
    ),
    Provocation(
        Rule.SHARE_CONSENT_REASON,
        "share_information",
        valid("share_information", consent_note=None),
    ),
    Provocation(
        Rule.SHARE_AUTHORISER_REQUIRED,
        "share_information",
        valid("share_information"),
        authoriser_role="caseworker",
    ),
    Provocation(
        Rule.DATE_IN_FUTURE,
        "record_incident",
        valid("record_incident", occurred_at="2031-01-01T10:00:00Z"),
    ),
    Provocation(
        Rule.DATE_TOO_EARLY,
        "record_incident",
        valid("record_incident", occurred_at="1888-05-01T10:00:00Z"),
    ),
    Provocation(
        Rule.DATE_BEFORE_CASE,
        "record_contact",
        valid("record_contact", occurred_at="2020-01-01T10:00:00Z"),
    ),
    Provocation(
        Rule.DATE_BEFORE_INCIDENT,
        "refer_to_police",
        lambda s: {
            **COMMANDS["refer_to_police"].body(s),
            "disseminated_at": "2020-01-01T10:00:00Z",
        },
        given(done("record_incident", criminal=True)),
    ),
    Provocation(
        Rule.PARTNER_NOT_SHARED,
        "record_contact",
        valid("record_contact"),
        given(
            done(
                "share_information",
                recipient={"agency": "housing_provider", "organisation": "example-homes"},
            )
        ),
        role="partner",
    ),
    Provocation(
        Rule.POLICE_REFERRAL_INCIDENTS,
        "refer_to_police",
        lambda s: {
            "incident_ids": [],
            "police_reference": "SP-1",
            "organisation": "staffordshire-police",
        },
    ),
    Provocation(
        Rule.POLICE_REFERRAL_DUPLICATE,
        "refer_to_police",
        valid("refer_to_police", police_reference="SP-2"),
        given(prepared("refer_to_police"), done("refer_to_police")),
    ),
    Provocation(
        Rule.AGENCY_ALREADY_JOINED,
        "add_agency",
        valid("add_agency", role="Another role"),
        done("add_agency"),
    ),
    Provocation(
        Rule.ENFORCEMENT_SUBJECT,
        "take_enforcement_action",
        lambda s: {**COMMANDS["take_enforcement_action"].body(s), "subject_ref": s.complainant},
        prepared("take_enforcement_action"),
    ),
    Provocation(
        Rule.ENFORCEMENT_CPN_NEEDS_CPW,
        "take_enforcement_action",
        valid("take_enforcement_action", tool="community_protection_notice"),
        prepared("take_enforcement_action"),
    ),
    Provocation(
        Rule.CASE_REVIEW_UNKNOWN,
        "decide_case_review",
        valid("decide_case_review"),
        named(request_id=str(uuid4())),
    ),
    Provocation(
        Rule.CASE_REVIEW_DUPLICATE,
        "request_case_review",
        valid("request_case_review", request_id=REQUEST),
        done("request_case_review", request_id=REQUEST),
    ),
    Provocation(
        Rule.CASE_REVIEW_DECIDED,
        "decide_case_review",
        valid("decide_case_review", decision="threshold_not_met"),
        given(prepared("decide_case_review"), done("decide_case_review")),
    ),
    Provocation(
        Rule.CASE_REVIEW_DECIDED,
        "decide_case_review",
        valid("decide_case_review", decision="pending"),
        prepared("decide_case_review"),
        how="decided-as-pending",
    ),
    Provocation(
        Rule.CASE_REVIEW_UNKNOWN,
        "acknowledge_case_review",
        valid("acknowledge_case_review"),
        named(request_id=str(uuid4())),
        how="acknowledge-unknown",
    ),
    Provocation(
        Rule.CASE_REVIEW_ACKNOWLEDGED,
        "acknowledge_case_review",
        valid("acknowledge_case_review"),
        given(prepared("acknowledge_case_review"), done("acknowledge_case_review")),
    ),
    Provocation(
        Rule.CASE_REVIEW_ACKNOWLEDGED,
        "acknowledge_case_review",
        valid("acknowledge_case_review"),
        given(prepared("acknowledge_case_review"), done("decide_case_review")),
        how="after-the-decision",
    ),
    Provocation(
        Rule.CASE_REVIEW_NOT_DECIDED,
        "conclude_case_review",
        valid("conclude_case_review"),
        done("request_case_review"),
    ),
    Provocation(
        Rule.CASE_REVIEW_THRESHOLD_NOT_MET,
        "conclude_case_review",
        valid("conclude_case_review"),
        given(
            done("request_case_review"),
            done("decide_case_review", decision="threshold_not_met"),
        ),
    ),
    Provocation(
        Rule.CASE_REVIEW_CONCLUDED,
        "conclude_case_review",
        valid("conclude_case_review"),
        given(prepared("conclude_case_review"), done("conclude_case_review")),
    ),
    Provocation(
        Rule.TEXT_REQUIRED,
        "conclude_case_review",
        valid("conclude_case_review", recommendations="  "),
        prepared("conclude_case_review"),
        how="conclude-blank",
    ),
    Provocation(Rule.CLOSURE_REASONS_REQUIRED, "close_case", valid("close_case", full_reasons=" ")),
    Provocation(Rule.CLOSURE_FEEDBACK_REQUIRED, "close_case", valid("close_case", feedback=None)),
    Provocation(
        Rule.CLOSURE_EXPLANATION_REQUIRED,
        "close_case",
        valid("close_case", reason="no_further_action", explanation="Not a nuisance."),
    ),
    Provocation(
        Rule.CLOSURE_PREFERRED_METHOD,
        "close_case",
        valid("close_case", feedback={"method": "email"}),
    ),
    Provocation(
        Rule.CLOSURE_NEEDS_SUPERVISOR,
        "close_case",
        valid("close_case"),
        done("plan_action"),
        how="open-action",
    ),
    Provocation(
        Rule.CLOSURE_NEEDS_SUPERVISOR,
        "close_case",
        valid("close_case"),
        done("assess_risk", answers=ALL_YES),
        how="high-risk",
    ),
    Provocation(
        Rule.CLOSURE_NEEDS_SUPERVISOR,
        "close_case",
        valid("close_case"),
        done("record_incident", criminal=True),
        how="unreferred-crime",
    ),
    Provocation(
        Rule.CLOSURE_NO_CONTACT_ATTEMPTS,
        "close_case",
        lambda s: NO_CONTACT,
        contacted("phone", "phone", "letter"),
        how="too-few-attempts",
    ),
    Provocation(
        Rule.CLOSURE_NO_CONTACT_ATTEMPTS,
        "close_case",
        lambda s: NO_CONTACT,
        contacted("phone", "phone", "phone", "letter"),
        how="too-soon",
    ),
    Provocation(
        Rule.REOPEN_REASON_REQUIRED,
        "reopen_case",
        valid("reopen_case", reason="   "),
        prepared("reopen_case"),
    ),
    Provocation(
        Rule.ASSIGNMENT_UNCHANGED,
        "assign_case",
        valid("assign_case", team="north", officer="caseworker-1"),
        role="supervisor",
    ),
    Provocation(
        Rule.KEY_DESTROYED,
        "link_person",
        lambda s: {"person_ref": s.complainant, "role": "victim", "details": {"name": "C. C."}},
        erased_complainant,
        how="details-of-an-erased-person",
    ),
    Provocation(
        Rule.KEY_DESTROYED,
        "open_case",
        lambda s: complaint(complainant_ref=s.complainant),
        erased_complainant,
        how="an-erased-person-complains-again",
    ),
]

NOT_REACHABLE_OVER_HTTP: dict[Rule, str] = {
    # Every datetime in every request model is pydantic's AwareDatetime, so a naive time is
    # a 422 validation error naming the field before any command is built.
    Rule.TIMEZONE_REQUIRED: "the schema refuses naive datetimes",
    # JSON may carry a lone surrogate ("\ud800"), but pydantic refuses it as a string
    # (string_unicode) for every text field, list item and mapping key: a 422 naming it.
    Rule.TEXT_INVALID: "the schema refuses text that is not valid Unicode",
    # The commands seal with the ledger's Seal for the command's own case id and person
    # ref: a request names no key scope, so no request can put a field under the wrong one.
    Rule.SEAL_SCOPE: "commands always seal under the right scope",
}

NOT_A_CASE_COMMAND: dict[Rule, str] = {
    Rule.ORGANISATION_ALREADY_REGISTERED: "POST /organisations: tests/api/test_organisations.py",
    Rule.ORGANISATION_NOT_NAMED: "asb-ledger organisations migrate: its integration test",
    Rule.PERSON_NOTHING_TO_CORRECT: "intake corrects only what differs: unit-tested",
    Rule.PERSON_MERGE: "POST /people/{ref}/merge: tests/api/test_people.py",
    Rule.PERSON_UNKNOWN: "POST /people/{ref}/merge: tests/api/test_people.py",
    Rule.ERASURE_CASE_OPEN: "POST /dpo/erasures: tests/api/test_erasure_api.py",
    Rule.ERASURE_OPEN_SAR: "POST /dpo/erasures: tests/api/test_sars_api.py",
    Rule.SAR_CLOSED: "POST /dpo/sars/{id}/...: tests/api/test_sars_api.py",
    Rule.SAR_CLOCK: "POST /dpo/sars/{id}/...: tests/unit/test_sar.py",
    Rule.SAR_EXTENSION: "POST /dpo/sars/{id}/extension: tests/unit/test_sar.py",
    Rule.SAR_GROUND: "POST /dpo/sars/{id}/items/{item}/decision: tests/api/test_sars_api.py",
    Rule.SAR_ITEM_UNKNOWN: "POST /dpo/sars/{id}/items/{item}/decision: test_sars_api.py",
    Rule.SAR_DATE: "POST /dpo/sars and its steps: tests/unit/test_sar.py",
    Rule.RETENTION_OPEN_SAR: "asb-ledger dpo retention skips the case: unit-tested and"
    " tests/integration/test_retention_sweep.py",
    Rule.BREAK_GLASS_NOT_NEEDED: "POST /cases/{id}/break-glass: tests/api/test_break_glass_api.py",
    Rule.BREAK_GLASS_ACTIVE: "POST /cases/{id}/break-glass: tests/api/test_break_glass_api.py",
    Rule.ALERT_CLOSED: "POST /dpo/alerts/{id}/close: tests/api/test_break_glass_api.py",
    Rule.ERASURE_LEGAL_HOLD: "POST /dpo/erasures: tests/api/test_holds_api.py",
    Rule.HOLD_LIFTED: "POST /dpo/holds/{id}/lift: tests/api/test_holds_api.py",
    Rule.HOLD_SCOPE_UNKNOWN: "POST /dpo/holds: tests/api/test_holds_api.py",
    Rule.HOLD_REFERENCE_FORMAT: "POST /dpo/holds: the schema's pattern names body.reference"
    " first (tests/api/test_holds_api.py); the rule is unit-tested",
    Rule.RETENTION_CASE_OPEN: "asb-ledger dpo retention skips the case: unit-tested",
    Rule.RETENTION_NOT_DUE: "asb-ledger dpo retention skips the case: unit-tested",
    Rule.RETENTION_LEGAL_HOLD: "asb-ledger dpo retention skips the case:"
    " tests/integration/test_retention_sweep.py",
}


def test_every_rule_is_provoked_here_or_said_to_be_unreachable() -> None:
    provoked = {p.rule for p in PROVOCATIONS}
    assert provoked.isdisjoint(NOT_REACHABLE_OVER_HTTP)
    assert set(Rule) - provoked - set(NOT_REACHABLE_OVER_HTTP) - set(NOT_A_CASE_COMMAND) == set()


@pytest.mark.parametrize("case", PROVOCATIONS, ids=lambda p: p.id)
def test_a_broken_rule_is_422_with_its_code_and_appends_nothing(
    client: TestClient, tokens: Tokens, case: Provocation
) -> None:
    caseworker = Api(client, tokens())
    command = COMMANDS[case.command]
    scene = caseworker.open() if command.on_case else Scene()
    case.given(Stage(caseworker, caseworker.as_(tokens("supervisor")), scene))
    before = caseworker.history(scene.case_id) if scene.case_id else None
    head = caseworker.head()

    headers = None
    if case.authoriser_role is not None:
        headers = authorised_by(client, user="other-1", role=Role(case.authoriser_role))
    response = caseworker.as_(tokens(case.role)).post(command.url(scene), case.body(scene), headers)

    problem(response, 409 if case.rule in CONFLICTS else 422, rule=case.rule.value)
    if case.rule is Rule.PERSON_POSSIBLE_DUPLICATE:
        # Telling the caller who matched is a disclosure, recorded as an access: only that.
        after = caseworker.ledger.recorder.select_notifications(head + 1, 10)
        assert [n.topic for n in after] == ["asb.access.Accessed.v1"]
    else:
        assert caseworker.head() == head  # nothing appended, to any stream
    if before is not None:
        assert caseworker.history(scene.case_id) == before


def test_a_no_contact_closure_is_allowed_ten_working_days_after_the_last_attempt(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    caseworker = Api(client, tokens())
    scene = caseworker.open()
    stage = Stage(caseworker, caseworker.as_(tokens("supervisor")), scene)
    contacted("phone", "phone", "phone", "letter")(stage)
    close = COMMANDS["close_case"].url(scene)
    clock.now += timedelta(days=13)  # nine working days later
    problem(caseworker.post(close, NO_CONTACT), 422, rule=Rule.CLOSURE_NO_CONTACT_ATTEMPTS.value)

    clock.now += timedelta(days=1)

    caseworker.ok(close, NO_CONTACT)
    assert caseworker.view(scene.case_id)["closure"]["reason"] == "no_contact"


def test_a_reply_after_the_attempts_rules_out_a_no_contact_closure(
    client: TestClient, tokens: Tokens, clock: Clock
) -> None:
    caseworker = Api(client, tokens())
    scene = caseworker.open()
    stage = Stage(caseworker, caseworker.as_(tokens("supervisor")), scene)
    contacted("phone", "phone", "phone", "letter")(stage)
    clock.now += timedelta(hours=1)
    contacted("email", direction="inbound")(stage)
    clock.now += timedelta(days=30)

    response = caseworker.post(COMMANDS["close_case"].url(scene), NO_CONTACT)

    problem(response, 422, rule=Rule.CLOSURE_NO_CONTACT_ATTEMPTS.value)


def test_a_supervisor_may_close_what_a_caseworker_may_not(
    client: TestClient, tokens: Tokens
) -> None:
    caseworker = Api(client, tokens())
    scene = caseworker.open()
    caseworker.do("plan_action", scene)
    caseworker.do("assess_risk", scene, answers=ALL_YES)
    close = COMMANDS["close_case"]

    caseworker.as_(tokens("supervisor")).ok(close.url(scene), close.body(scene))

    assert caseworker.view(scene.case_id)["status"] == "closed"


# ------------------------------------------------- what a client gets for the others


DATETIMES = [
    *((c.name, ("occurred_at",)) for c in COMMANDS.values()),
    ("open_case", ("received_at",)),
    ("request_case_review", ("received_at",)),
    ("refer_to_police", ("disseminated_at",)),
    ("close_case", ("feedback", "given_at")),
]


@pytest.mark.parametrize(
    ("name", "path"), DATETIMES, ids=[f"{n}-{'.'.join(p)}" for n, p in DATETIMES]
)
def test_a_naive_datetime_is_422_naming_the_field_not_a_timezone_rule(
    client: TestClient, tokens: Tokens, name: str, path: tuple[str, ...]
) -> None:
    command = COMMANDS[name]
    caseworker = Api(client, tokens())
    scene = caseworker.open() if command.on_case else Scene()
    command.prepare(caseworker, scene)
    body = command.body(scene)
    *parents, leaf = path
    inner = body
    for parent in parents:
        inner = inner[parent]
    inner[leaf] = "2026-03-01T09:00:00"  # no offset
    before = caseworker.history(scene.case_id) if scene.case_id else None

    response = caseworker.as_(tokens(command.role)).post(command.url(scene), body)

    assert named_fields(response) == [".".join(("body", *path))]
    assert "timezone" in response.json()["errors"][0]["message"]
    if before is not None:
        assert caseworker.history(scene.case_id) == before


LONE_SURROGATE = "\ud800"
SURROGATES: list[tuple[str, Callable[[Scene], JSON], str]] = [
    (
        "refer_to_police",
        valid("refer_to_police", police_reference="SP-" + LONE_SURROGATE),
        "police_reference",
    ),
    ("record_incident", valid("record_incident", description=LONE_SURROGATE), "description"),
    (
        "open_case",
        lambda s: complaint(complainant={"name": "C" + LONE_SURROGATE}),
        "complainant.name",
    ),
    ("share_information", valid("share_information", items=[LONE_SURROGATE]), "items.0"),
    (
        "assess_risk",
        valid("assess_risk", answers={**ALL_YES, LONE_SURROGATE: 1}),
        "answers.*.[key]",  # the key itself comes back mangled; its place is named
    ),
]


@pytest.mark.parametrize(("name", "body", "field"), SURROGATES, ids=[s[2] for s in SURROGATES])
def test_text_that_is_not_unicode_is_422_naming_the_field_not_a_text_rule(
    client: TestClient, tokens: Tokens, name: str, body: Body, field: str
) -> None:
    command = COMMANDS[name]
    caseworker = Api(client, tokens())
    scene = caseworker.open() if command.on_case else Scene()
    command.prepare(caseworker, scene)
    before = caseworker.history(scene.case_id) if scene.case_id else None
    raw = json.dumps(body(scene))  # ASCII JSON: the surrogate travels as "\ud800"
    assert "\\ud800" in raw

    response = client.post(
        command.url(scene),
        content=raw.encode(),
        headers={
            **caseworker.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": "surrogate",  # the request's fingerprint must not choke on it
        },
    )

    (named,) = named_fields(response)
    prefix, star, suffix = f"body.{field}".partition("*")
    if star:
        assert named.startswith(prefix)
        assert named.endswith(suffix)
    else:
        assert named == prefix
    assert "unicode" in response.json()["errors"][0]["message"]
    if before is not None:
        assert caseworker.history(scene.case_id) == before


def test_every_sealed_field_a_command_writes_is_under_its_own_scope(
    client: TestClient, tokens: Tokens
) -> None:
    """Why ``sealing.wrong_scope`` cannot arise: whatever the request, each command seals
    a person's details under that person's key and all free text under the case's key."""
    caseworker = Api(client, tokens())
    scene = caseworker.open()
    for name in (
        "link_person",
        "record_incident",
        "share_information",
        "record_contact",
        "refer_for_support",
    ):
        caseworker.do(name, scene)
    caseworker.do("assess_risk", scene, override_level="high", override_rationale="Threats made.")
    caseworker.do(
        "refer_for_support", scene, consent="not_sought", consent_note="An emergency referral."
    )
    caseworker.as_(tokens("supervisor")).do(  # high risk: a supervisor closes
        "close_case",
        scene,
        reason="no_further_action",
        feedback={"method": "email", "why_not_preferred": "Asked for email."},
        explanation="Not a statutory nuisance.",
        advice="Keep a diary.",
    )
    events = client.get(f"/cases/{scene.case_id}/events", headers=caseworker.headers).json()
    seen: dict[str, str] = {}
    for event in events["events"]:
        fields = event["fields"]
        person = fields.get("person_ref") or fields.get("complainant_ref")
        for path, scope in _scopes(fields, ""):
            personal = path.split(".")[0] in {"details", "complainant", "vulnerability_note"}
            expected = f"person:{person}" if personal else f"case:{scene.case_id}"
            assert scope == expected, (event["type"], path)
            seen[f"{event['type']}.{path}"] = scope
    assert len(seen) >= 20, seen  # every kind of sealed field was looked at


def _scopes(value: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        if set(value) == {"sealed", "scope"}:
            return [(path, str(value["scope"]))]
        return [
            found
            for key, inner in value.items()
            for found in _scopes(inner, f"{path}.{key}" if path else key)
        ]
    return []


# A NUL in plain short text once jammed the case directory on PostgreSQL (text cannot
# hold one): such text is refused at the edge.
NULS: list[tuple[str, Body]] = [
    ("open_case", lambda s: complaint(team="no\u0000rth")),
    (
        "share_information",
        valid(
            "share_information",
            recipient={"agency": "housing_provider", "organisation": "Example\u0000Homes"},
        ),
    ),
]


@pytest.mark.parametrize(("name", "body"), NULS, ids=[n for n, _ in NULS])
def test_a_nul_in_short_text_is_refused(
    client: TestClient, tokens: Tokens, name: str, body: Body
) -> None:
    client.app.state.read_models.directory.read_timeout = 1.0  # type: ignore[attr-defined]
    command = COMMANDS[name]
    caseworker = Api(client, tokens())
    scene = caseworker.open() if command.on_case else Scene()

    response = caseworker.post(command.url(scene), body(scene))

    assert response.status_code == 422, response.text  # refused, naming the field
    assert named_fields(response)
    listed = client.get("/cases", headers=caseworker.headers)
    assert listed.status_code == 200, listed.text  # and the list is not jammed
