"""A hypothesis state machine drives a Case through valid and invalid commands against a model."""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import holidays
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    ActionStatus,
    Agency,
    CaseReviewDecision,
    ClosureReason,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    EnforcementTool,
    HarmIndicator,
    IncidentType,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    Provision,
    ReviewOutcome,
    RiskLevel,
    Role,
    SharePurpose,
    SpecialCategoryCondition,
    SupportService,
    Vulnerability,
)
from ledger.errors import Rule, RuleViolation
from ledger.settings import Settings
from ledger.values import Actor, Feedback, Recipient, RiskOverride, Sealed
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit

START = T0 - timedelta(days=1100)
"""The machine's first moment: early enough that its longest run (25 steps, at most 40 days
each) stays in the real past, where the ledger accepts its dates (``date.in_future`` is
judged by the real clock: starting at T0, a long run crossed it and failed, flakily)."""

# ---------------------------------------------------------------------- the model

VRA_KEYS = (  # asb-vra v1, DOMAIN §2, in order
    "q1_happened_before",
    "q2_targeted",
    "q3_identity",
    "q4_violence",
    "q5_property_damaged",
    "q6_health",
    "q7_household_disability",
    "q8_unsafe_at_home",
    "q9_afraid_to_go_out",
    "q10_children",
    "q11_support",
    "q12_reported_elsewhere",
)
EXPLAINED = {
    ClosureReason.NO_FURTHER_ACTION,
    ClosureReason.NOT_ASB,
    ClosureReason.INSUFFICIENT_EVIDENCE,
    ClosureReason.EQUAL_FAULT_DISPUTE,
}
PLAIN_ITEMS = ("case_summary", "risk_assessment", "action_plan", "timescales", "contact_history")
CPW = EnforcementTool.COMMUNITY_PROTECTION_WARNING
CPN = EnforcementTool.COMMUNITY_PROTECTION_NOTICE
Contacted = tuple[UUID, ContactMethod, ContactDirection, datetime]
BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG", years=range(2026, 2030))


POLICE_PARTNER = Actor(
    user_id="pc-1", display_name="PC One", role=Role.PARTNER, organisation="Staffordshire Police"
)
"""A partner of the organisation the machine's shares go to."""


def model_risk(answers: dict[str, int]) -> tuple[int, RiskLevel]:
    """0/1/2 per answer, Q11 reversed; bands 0-8, 9-15, 16-24; Q3 or Q4 yes floors at medium."""
    score = sum(2 - a if key == "q11_support" else a for key, a in answers.items())
    level = RiskLevel.STANDARD if score <= 8 else RiskLevel.MEDIUM
    level = RiskLevel.HIGH if score >= 16 else level
    if level is RiskLevel.STANDARD and 2 in (answers["q3_identity"], answers["q4_violence"]):
        level = RiskLevel.MEDIUM
    return score, level


def on(flags: dict[Rule, bool]) -> set[Rule]:
    return {code for code, broken in flags.items() if broken}


@dataclass
class Model:
    preferred: ContactMethod
    complainant: UUID
    version: int = 1
    closed: bool = False
    persons: dict[UUID, set[PersonRole]] = field(default_factory=dict)
    incidents: dict[UUID, list[bool]] = field(default_factory=dict)  # [criminal, referred]
    actions: dict[str, ActionStatus] = field(default_factory=dict)
    agencies: set[str] = field(default_factory=set)
    warned: set[UUID] = field(default_factory=set)
    reviews: dict[UUID, bool] = field(default_factory=dict)  # decided yet?
    reviews_met: set[UUID] = field(default_factory=set)
    reviews_acknowledged: set[UUID] = field(default_factory=set)
    reviews_concluded: set[UUID] = field(default_factory=set)
    level: RiskLevel | None = None
    score: int | None = None
    contacts: list[Contacted] = field(default_factory=list)
    assigned: tuple[str | None, str | None] = (None, None)
    incident_times: dict[UUID, datetime] = field(default_factory=dict)
    vulnerable: set[UUID] = field(default_factory=set)
    shared_with_police: set[str] = field(default_factory=set)
    """The items shared with the police's organisation (person refs as text)."""

    def carries_special_data(self, item: str) -> bool:
        """Every incident here is hate-motivated; victims linked here are vulnerable."""
        kind, _, ref = item.partition(":")
        if kind == "incident":
            return ref in {str(i) for i in self.incidents}
        if kind == "person":
            return ref in {str(p) for p in self.vulnerable}
        return kind == "police_referral" or (
            kind in {"risk_assessment", "contact_history"} and bool(self.vulnerable)
        )

    def closed_rule(self) -> set[Rule]:
        return {Rule.CASE_CLOSED} if self.closed else set()

    def unreferred(self) -> tuple[UUID, ...]:
        return tuple(
            i for i, (criminal, referred) in self.incidents.items() if criminal and not referred
        )

    def derived_high(self, now: datetime) -> bool:
        """High, assessed or by cumulative harm. Every incident here is targeted and
        hate-motivated, so two in 90 days indicate high (DOMAIN §2's defaults); three in 30
        days are two in 90 days too."""
        recent = [t for t in self.incident_times.values() if now - timedelta(days=90) < t <= now]
        return self.level is RiskLevel.HIGH or len(recent) >= 2

    def needs_supervisor(self, now: datetime) -> bool:
        victims = any(PersonRole.VICTIM in roles for roles in self.persons.values())
        return (
            self.derived_high(now)
            or bool(self.unreferred())
            or ActionStatus.OPEN in self.actions.values()
            or (self.level is None and victims)
        )

    def last_attempt(self) -> datetime | None:
        """The last outbound attempt to the complainant, once 3 calls and a letter were made."""
        out = [
            c
            for c in self.contacts
            if c[0] == self.complainant and c[2] is ContactDirection.OUTBOUND
        ]
        phones = sum(1 for c in out if c[1] is ContactMethod.PHONE)
        letters = sum(1 for c in out if c[1] is ContactMethod.LETTER)
        return max(c[3] for c in out) if phones >= 3 and letters >= 1 else None

    def no_contact_unmet(self, when: datetime) -> bool:
        last = self.last_attempt()
        if last is None:
            return True
        replied = any(
            c[0] == self.complainant and c[2] is ContactDirection.INBOUND and c[3] > last
            for c in self.contacts
        )
        return replied or when.date() < working_days_after(last.date(), 10)

    def item_ok(self, item: str) -> bool:
        kind, _, ref = item.partition(":")
        if kind in {"incident", "person"}:
            return bool(ref) and UUID(ref) in (
                self.incidents if kind == "incident" else self.persons
            )
        return kind in PLAIN_ITEMS and not ref


def faults(*names: str) -> st.SearchStrategy[frozenset[str]]:
    """Which inputs of a command to spoil: none (2 in 3), one, or now and then two."""
    one = st.sampled_from(names).map(lambda name: frozenset({name}))
    two = st.frozensets(st.sampled_from(names), min_size=2, max_size=2) if names[1:] else one
    return st.integers(0, 5).flatmap(
        lambda n: st.just(frozenset()) if n < 4 else one if n == 4 else st.one_of(one, two)
    )


def working_days_after(start: date, days: int) -> date:
    """``days`` working days after ``start``: weekends and England's bank holidays skipped."""
    day = start
    while days:
        day += timedelta(days=1)
        days -= day.weekday() < 5 and day not in BANK_HOLIDAYS
    return day


# -------------------------------------------------------------------- the machine


class CaseMachine(RuleBasedStateMachine):
    """One case per run. Accepted commands are saved; refused ones must change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="asb-machine-"))
        self.ledger = self.make_ledger(self.tmp)
        self.now = START

    def make_ledger(self, tmp: Path) -> CaseLedger:
        return CaseLedger(Settings(database_url="memory://"))

    def teardown(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def when(self, naive: bool = False) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now.replace(tzinfo=None) if naive else self.now

    def text(self, present: bool, name: str) -> Sealed | None:
        return self.kit.text(f"{name} text", name) if present else None

    def choose(self, data: st.DataObject, known: Collection[UUID], new: bool, what: str) -> UUID:
        """One of ``known``, or (if ``new`` or there is none) an id not among them."""
        if known and not new:
            return data.draw(st.sampled_from(sorted(known, key=str)), label=what)
        return data.draw(st.uuids().filter(lambda u: u not in known), label=f"new {what}")

    def attempt(self, broken: set[Rule], command: Callable[..., object], **kw: Any) -> bool:
        """With ``broken`` rules: refused with one of their codes, changing nothing.
        With none: accepted, one event triggered, and saved."""
        version = self.case.version
        if not broken:
            twin = copy.deepcopy(self.case)  # the server copies cached cases like this
            unchanged = copy.deepcopy(twin.state())
            command(**kw)
            assert twin.state() == unchanged, "acting on a case changed a copy of it"
            assert self.case.version == version + 1
            assert len(self.case.pending_events) == 1
            self.ledger.save_case(self.case)
            self.model.version += 1
            return True
        before = copy.deepcopy(self.case.state())
        with pytest.raises(RuleViolation) as refused:
            command(**kw)
        assert refused.value.rule in broken, f"{refused.value.rule} is not one of {broken}"
        assert self.case.version == version
        assert self.case.pending_events == []
        assert self.case.state() == before
        return False

    # ------------------------------------------------------------ commands

    @initialize(preferred=st.sampled_from(ContactMethod), cast=st.booleans())
    def open_case(self, preferred: ContactMethod, cast: bool) -> None:
        """Opens the case; with ``cast``, a victim and an alleged perpetrator join at once."""
        self.kit = CaseKit(self.ledger, preferred=preferred)
        self.case: Case = self.kit.open(self.now)
        self.ledger.save_new_case(self.case)
        self.model = Model(preferred, self.kit.complainant)
        self.model.persons[self.kit.complainant] = {PersonRole.COMPLAINANT}
        for n, role in enumerate((PersonRole.VICTIM, PersonRole.ALLEGED_PERPETRATOR) * cast):
            ref = UUID(int=n + 1)
            self.attempt(
                set(), self.case.link_person, actor=CASEWORKER, occurred_at=self.when(),
                person_ref=ref, role=role, details=self.kit.details(ref, role.value),
            )  # fmt: skip
            self.model.persons[ref] = {role}

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)

    @rule(
        data=st.data(),
        role=st.sampled_from([PersonRole.ALLEGED_PERPETRATOR, PersonRole.VICTIM, *PersonRole]),
        bad=faults("known", "no_details"),
    )
    def link_person(self, data: st.DataObject, role: PersonRole, bad: frozenset[str]) -> None:
        m = self.model
        ref = self.choose(data, m.persons, "known" not in bad, "person")
        details = None if "no_details" in bad else self.kit.details(ref, "Pat Person")
        victim = role is PersonRole.VICTIM
        broken = m.closed_rule() | on({
            Rule.PERSON_ALREADY_LINKED: role in m.persons.get(ref, set()),
            Rule.TEXT_REQUIRED: ref not in m.persons and details is None,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.link_person, actor=CASEWORKER, occurred_at=self.when(),
            person_ref=ref, role=role, details=details,
            vulnerabilities=(Vulnerability.LIVING_ALONE, Vulnerability.AGE) if victim else (),
            vulnerability_note=self.kit.personal(ref, "vulnerable", "vulnerability_note")
            if victim else None,
            self_declared_repeat_victim=victim,
        ):  # fmt: skip
            m.persons.setdefault(ref, set()).add(role)
            if victim:
                m.vulnerable.add(ref)

    @rule(
        data=st.data(),
        criminal=st.booleans(),
        bad=faults("no_description", "duplicate", "unknown_victim", "naive", "future", "ancient"),
    )
    def record_incident(self, data: st.DataObject, criminal: bool, bad: frozenset[str]) -> None:
        m = self.model
        incident = self.choose(data, m.incidents, "duplicate" not in bad, "incident")
        victim = self.choose(data, m.persons, "unknown_victim" in bad, "victim")
        broken = m.closed_rule() | on({
            Rule.TEXT_REQUIRED: "no_description" in bad,
            Rule.INCIDENT_DUPLICATE: incident in m.incidents,
            Rule.PERSON_NOT_LINKED: victim not in m.persons,
            Rule.TIMEZONE_REQUIRED: "naive" in bad,
            Rule.DATE_IN_FUTURE: "future" in bad and "naive" not in bad,
            Rule.DATE_TOO_EARLY: "ancient" in bad and "future" not in bad and "naive" not in bad,
        })  # fmt: skip
        occurred = self.when("naive" in bad) - timedelta(days=2)
        if "future" in bad and "naive" not in bad:
            occurred = datetime.now(UTC) + timedelta(days=400)
        elif "ancient" in bad:
            occurred -= timedelta(days=366 * 180)
        if self.attempt(
            broken, self.case.record_incident, actor=CASEWORKER,
            occurred_at=occurred, incident_id=incident,
            incident_type=data.draw(st.sampled_from(IncidentType), label="type"),
            description=self.text("no_description" not in bad, "incident.description"),
            harms=(HarmIndicator.TARGETED, HarmIndicator.HATE_MOTIVATED, HarmIndicator.TARGETED),
            criminal=criminal, victim_refs=(victim,),
        ):  # fmt: skip
            m.incidents[incident] = [criminal, False]
            m.incident_times[incident] = occurred

    @rule(
        data=st.data(),
        answers=st.sampled_from([[0, 0, 0, 0, 0, 1, 2, 2], [0, 1, 2], [2, 2, 2, 2, 1, 0]]).flatmap(
            lambda mix: st.fixed_dictionaries({k: st.sampled_from(mix) for k in VRA_KEYS})
        ),
        override=st.none() | st.sampled_from(RiskLevel),
        bad=faults("instrument", "version", "missing", "extra", "range", "bool", "float",
                   "no_rationale", "unknown_victim"),
    )  # fmt: skip
    def assess_risk(
        self,
        data: st.DataObject,
        answers: dict[str, int],
        override: RiskLevel | None,
        bad: frozenset[str],
    ) -> None:
        m = self.model
        given: dict[str, Any] = dict(answers)
        key = data.draw(st.sampled_from(VRA_KEYS), label="spoilt answer")
        spoilt = {"range": data.draw(st.sampled_from([3, -1])), "bool": True, "float": 1.0}
        for fault in bad & spoilt.keys():
            given[key] = spoilt[fault]
        given.update({"q13_extra": 0} if "extra" in bad else {})
        if "missing" in bad:
            del given[key]
        rationale = self.text("no_rationale" not in bad, "risk.override_rationale")
        overriding = None if override is None else RiskOverride(level=override, rationale=rationale)
        victim = self.choose(data, m.persons, "unknown_victim" in bad, "victim")
        broken = m.closed_rule() | on({
            Rule.RISK_UNKNOWN_INSTRUMENT: bool(bad & {"instrument", "version"}),
            Rule.RISK_ANSWERS_INVALID: bool(bad & {"missing", "extra", *spoilt}),
            Rule.RISK_OVERRIDE_RATIONALE: override is not None and rationale is None,
            Rule.PERSON_NOT_LINKED: victim not in m.persons,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.assess_risk, actor=CASEWORKER, occurred_at=self.when(),
            instrument="asb-vrx" if "instrument" in bad else "asb-vra",
            instrument_version=2 if "version" in bad else 1, answers=given, victim_ref=victim,
            override=overriding,
        ):  # fmt: skip
            m.score, computed = model_risk(answers)
            m.level = computed if override is None else override
            last = self.case.assessments[-1]
            assert (last.score, last.computed_level, last.level) == (m.score, computed, m.level)

    @rule(
        data=st.data(),
        bad=faults("no_description", "no_agency", "no_officer", "no_due", "duplicate", "naive"),
    )
    def plan_action(self, data: st.DataObject, bad: frozenset[str]) -> None:
        m = self.model
        known = sorted(m.actions)
        action = (
            data.draw(st.sampled_from(known))
            if known and "duplicate" in bad
            else f"a{len(m.actions)}"
        )
        broken = m.closed_rule() | on({
            Rule.TEXT_REQUIRED: "no_description" in bad,
            Rule.ACTION_OWNER_REQUIRED: bool(bad & {"no_agency", "no_officer"}),
            Rule.ACTION_DUE_REQUIRED: "no_due" in bad,
            Rule.ACTION_DUPLICATE: action in m.actions,
            Rule.TIMEZONE_REQUIRED: "naive" in bad,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.plan_action, actor=CASEWORKER, occurred_at=self.when("naive" in bad),
            action_id=action, description=self.text("no_description" not in bad, "action.desc"),
            owner_agency=None if "no_agency" in bad else Agency.HOUSING_PROVIDER,
            owner_officer=" " if "no_officer" in bad else " ho-7 ",
            due=None if "no_due" in bad else (self.now + timedelta(days=14)).date(),
        ):  # fmt: skip
            m.actions[action] = ActionStatus.OPEN

    @rule(data=st.data(), complete=st.booleans(), bad=faults("unknown", "no_outcome"))
    def finish_action(self, data: st.DataObject, complete: bool, bad: frozenset[str]) -> None:
        m = self.model
        known = sorted(m.actions)
        action = data.draw(st.sampled_from(known)) if known and "unknown" not in bad else "a-none"
        broken = m.closed_rule() | on({
            Rule.TEXT_REQUIRED: "no_outcome" in bad,
            Rule.ACTION_UNKNOWN: action not in m.actions,
            Rule.ACTION_NOT_OPEN: m.actions.get(action, ActionStatus.OPEN) is not ActionStatus.OPEN,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.complete_action if complete else self.case.cancel_action,
            actor=CASEWORKER, occurred_at=self.when(), action_id=action,
            outcome=self.text("no_outcome" not in bad, "action.outcome"),
        ):  # fmt: skip
            m.actions[action] = ActionStatus.COMPLETED if complete else ActionStatus.CANCELLED

    @rule(first=st.integers(-5, 60), review=st.integers(-5, 60), resolve=st.integers(-5, 60))
    def agree_timescales(self, first: int, review: int, resolve: int) -> None:
        day = self.now.date()
        self.attempt(
            self.model.closed_rule() | on({Rule.TIMESCALES_ORDER: max(first, review) > resolve}),
            self.case.agree_timescales, actor=CASEWORKER, occurred_at=self.when(),
            first_contact_due=day + timedelta(first), next_review_due=day + timedelta(review),
            target_resolution=day + timedelta(resolve),
            agreed_with=(Agency.POLICE, Agency.POLICE, Agency.HOUSING_PROVIDER),
        )  # fmt: skip

    def _contact(self, person: UUID, method: ContactMethod, direction: ContactDirection,
                 summary: bool = True, partner: bool = False) -> None:  # fmt: skip
        m = self.model
        at = self.when()
        broken = m.closed_rule() | on({
            Rule.TEXT_REQUIRED: not summary,
            Rule.PERSON_NOT_LINKED: person not in m.persons,
            Rule.PARTNER_NOT_SHARED: partner and person in m.persons
            and str(person) not in m.shared_with_police,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.record_contact, actor=POLICE_PARTNER if partner else CASEWORKER,
            occurred_at=at, person_ref=person,
            method=method, direction=direction, outcome=ContactOutcome.NO_ANSWER,
            summary=self.text(summary, "contact.summary"),
        ):  # fmt: skip
            m.contacts.append((person, method, direction, at))

    @rule(
        data=st.data(),
        whom=st.sampled_from(["complainant", "linked", "unknown"]),
        method=st.sampled_from(ContactMethod),
        direction=st.sampled_from(ContactDirection),
        summary=st.booleans(),
        partner=st.booleans(),
    )
    def record_contact(self, data: st.DataObject, whom: str, method: ContactMethod,
                       direction: ContactDirection, summary: bool,
                       partner: bool) -> None:  # fmt: skip
        m = self.model
        person = m.complainant if whom == "complainant" else self.choose(
            data, m.persons, whom == "unknown", "person"
        )  # fmt: skip
        self._contact(person, method, direction, summary, partner)

    @rule()
    def chase_complainant(self) -> None:
        for method in (ContactMethod.PHONE,) * 3 + (ContactMethod.LETTER,):
            self._contact(self.model.complainant, method, ContactDirection.OUTBOUND)

    @rule(
        data=st.data(),
        consent=st.sampled_from(ConsentStatus),
        bad=faults("no_needs", "unknown", "no_note", "no_organisation"),
    )
    def refer_for_support(
        self, data: st.DataObject, consent: ConsentStatus, bad: frozenset[str]
    ) -> None:
        m = self.model
        person = self.choose(data, m.persons, "unknown" in bad, "person")
        note = self.text("no_note" not in bad, "support.consent_note")
        broken = m.closed_rule() | on({
            Rule.TEXT_REQUIRED: bool(bad & {"no_needs", "no_organisation"}),
            Rule.PERSON_NOT_LINKED: person not in m.persons,
            Rule.SUPPORT_CONSENT_REQUIRED: consent is ConsentStatus.NOT_SOUGHT and note is None,
        })  # fmt: skip
        self.attempt(
            broken, self.case.refer_for_support, actor=CASEWORKER, occurred_at=self.when(),
            person_ref=person, service=SupportService.VICTIMS_GATEWAY,
            organisation=" " if "no_organisation" in bad else "Victims Gateway",
            needs=self.text("no_needs" not in bad, "support.needs"), consent=consent,
            consent_note=note,
        )  # fmt: skip

    @rule(
        data=st.data(),
        basis=st.sampled_from(LawfulBasis),
        special=st.booleans(),
        bad=faults("no_recipient", "blank_recipient", "no_purpose", "no_justification",
                   "no_basis", "no_condition", "no_consent", "not_sought_no_note",
                   "no_authoriser", "no_protocol", "no_items", "whole_file", "bare_incident",
                   "unknown_incident", "unknown_person"),
    )  # fmt: skip
    def share_information(self, data: st.DataObject, basis: LawfulBasis, special: bool,
                          bad: frozenset[str]) -> None:  # fmt: skip
        m = self.model
        nameable = [*PLAIN_ITEMS, *(f"incident:{i}" for i in m.incidents)]
        nameable += [f"person:{p}" for p in m.persons]
        items = data.draw(st.lists(st.sampled_from(nameable), min_size=1, max_size=3))
        spoilt = {
            "whole_file": "the_whole_file",
            "bare_incident": "incident",
            "unknown_incident": f"incident:{self.choose(data, m.incidents, True, 'incident')}",
            "unknown_person": f"person:{self.choose(data, m.persons, True, 'person')}",
        }
        items = [] if "no_items" in bad else items + [v for k, v in spoilt.items() if k in bad]
        consent = ConsentStatus.GIVEN
        if bad & {"no_consent", "not_sought_no_note"}:
            consent = ConsentStatus.REFUSED if "no_consent" in bad else ConsentStatus.NOT_SOUGHT
        kw: dict[str, Any] = dict(
            recipient=None if "no_recipient" in bad else Recipient(
                agency=Agency.POLICE, person=self.text(True, "share.recipient.person"),
                organisation=" " if "blank_recipient" in bad else "Staffordshire Police"),
            purpose=None if "no_purpose" in bad else SharePurpose.PREVENT_CRIME_AND_DISORDER,
            justification=self.text("no_justification" not in bad, "share.justification"),
            lawful_basis=None if "no_basis" in bad else basis, includes_special_category=special,
            condition=None if "no_condition" in bad or not special
            else SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS,
            consent=consent,
            consent_note=self.text("not_sought_no_note" not in bad, "share.consent_note"),
            authoriser=None if "no_authoriser" in bad else SUPERVISOR,
            protocol_reference=" " if "no_protocol" in bad else "One Staffordshire ISP",
        )  # fmt: skip
        to: Recipient | None = kw["recipient"]
        broken = m.closed_rule() | on({
            Rule.SHARE_RECIPIENT_REQUIRED: not (to and to.organisation.strip()),
            Rule.SHARE_PURPOSE_REQUIRED: kw["purpose"] is None or not kw["justification"],
            Rule.SHARE_LAWFUL_BASIS_REQUIRED: kw["lawful_basis"] is None,
            Rule.SHARE_CONDITION_REQUIRED: (special or any(map(m.carries_special_data, items)))
            and kw["condition"] is None,
            Rule.SHARE_CONSENT_REQUIRED: kw["lawful_basis"] is LawfulBasis.CONSENT
            and consent is not ConsentStatus.GIVEN,
            Rule.SHARE_CONSENT_REASON: consent is ConsentStatus.NOT_SOUGHT
            and not kw["consent_note"],
            Rule.SHARE_AUTHORISER_REQUIRED: kw["authoriser"] is None,
            Rule.SHARE_ITEMS_REQUIRED: not items or not all(m.item_ok(i) for i in items),
            Rule.TEXT_REQUIRED: not kw["protocol_reference"].strip(),
        })  # fmt: skip
        if self.attempt(
            broken, self.case.share_information, actor=CASEWORKER, occurred_at=self.when(),
            share_id=data.draw(st.uuids()), items=tuple(items),
            gateway=LegalGateway.CRIME_AND_DISORDER_ACT_S115, **kw,
        ):  # fmt: skip
            m.shared_with_police |= {i.removeprefix("person:") for i in items}

    @rule(data=st.data(), bad=faults("none", "unknown", "no_reference", "naive", "early"))
    def refer_to_police(self, data: st.DataObject, bad: frozenset[str]) -> None:
        m = self.model
        known = sorted(m.incidents, key=str)
        ids = data.draw(st.lists(st.sampled_from(known), min_size=1, max_size=2)) if known else []
        if "unknown" in bad or not known:
            ids.append(self.choose(data, m.incidents, True, "incident"))
        ids = [] if "none" in bad else ids
        broken = m.closed_rule() | on({
            Rule.POLICE_REFERRAL_INCIDENTS: not ids,
            Rule.INCIDENT_UNKNOWN: any(i not in m.incidents for i in ids),
            Rule.POLICE_REFERRAL_DUPLICATE: all(m.incidents.get(i, [0, 0])[1] for i in ids),
            Rule.TEXT_REQUIRED: "no_reference" in bad,
            Rule.TIMEZONE_REQUIRED: "naive" in bad,
            Rule.DATE_BEFORE_INCIDENT: "early" in bad and bool(ids)
            and all(i in m.incidents for i in ids),
        })  # fmt: skip
        disseminated = self.when("naive" in bad)
        if "early" in bad:
            disseminated -= timedelta(days=400)
        if self.attempt(
            broken, self.case.refer_to_police, actor=CASEWORKER, occurred_at=self.when(),
            incident_ids=tuple(ids), disseminated_at=disseminated,
            police_reference=" " if "no_reference" in bad else "SP/123/26",
            organisation="test-police",
        ):  # fmt: skip
            for i in ids:
                m.incidents[i][1] = True

    @precondition(lambda self: not self.model.closed and self.model.unreferred())
    @rule()
    def refer_every_criminal_incident(self) -> None:
        m = self.model
        ids = m.unreferred()
        if self.attempt(
            set(), self.case.refer_to_police, actor=CASEWORKER, occurred_at=self.when(),
            incident_ids=ids, disseminated_at=self.now, police_reference="SP/124/26",
            organisation="test-police",
        ):  # fmt: skip
            for i in ids:
                m.incidents[i][1] = True

    @rule(data=st.data(), bad=faults("again", "no_organisation", "no_role"))
    def add_agency(self, data: st.DataObject, bad: frozenset[str]) -> None:
        m = self.model
        known = sorted(m.agencies)
        name = (
            data.draw(st.sampled_from(known)) if known and "again" in bad else f"Org {len(known)}"
        )
        organisation = " " if "no_organisation" in bad else f"  {name} "
        broken = m.closed_rule() | on({
            Rule.TEXT_REQUIRED: bool(bad & {"no_organisation", "no_role"}),
            Rule.AGENCY_ALREADY_JOINED: organisation.strip() in m.agencies,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.add_agency, actor=CASEWORKER, occurred_at=self.when(),
            agency=Agency.HOUSING_PROVIDER, organisation=organisation,
            role=self.text("no_role" not in bad, "agency.role"),
            contact=self.kit.text("landlord contact", "agency.contact"),
        ):  # fmt: skip
            m.agencies.add(organisation.strip())

    @rule(
        data=st.data(),
        tool=st.sampled_from([CPN, CPW]) | st.sampled_from(EnforcementTool),
        bad=faults("no_outcome", "not_perpetrator"),
    )
    def take_enforcement(
        self, data: st.DataObject, tool: EnforcementTool, bad: frozenset[str]
    ) -> None:
        m = self.model
        perps = {p for p, roles in m.persons.items() if PersonRole.ALLEGED_PERPETRATOR in roles}
        subject = self.choose(data, perps, "not_perpetrator" in bad, "subject")
        broken = m.closed_rule() | on({
            Rule.TEXT_REQUIRED: "no_outcome" in bad,
            Rule.ENFORCEMENT_SUBJECT: subject not in perps,
            Rule.ENFORCEMENT_CPN_NEEDS_CPW: tool is CPN and subject not in m.warned,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.take_enforcement_action, actor=CASEWORKER, occurred_at=self.when(),
            tool=tool, subject_ref=subject,
            legislation=Provision.ASBCPA_2014_S43,
            outcome=self.text("no_outcome" not in bad, "enforcement.outcome"),
        ) and tool is CPW:  # fmt: skip
            m.warned.add(subject)

    @precondition(lambda self: not self.model.closed)
    @rule(data=st.data())
    def warn_then_serve_notice(self, data: st.DataObject) -> None:
        m = self.model
        perps = {p for p, roles in m.persons.items() if PersonRole.ALLEGED_PERPETRATOR in roles}
        subject = self.choose(data, perps, False, "subject")
        for tool in (CPW, CPN):
            broken = on({
                Rule.ENFORCEMENT_SUBJECT: subject not in perps,
                Rule.ENFORCEMENT_CPN_NEEDS_CPW: tool is CPN and subject not in m.warned,
            })  # fmt: skip
            if self.attempt(
                broken,
                self.case.take_enforcement_action, actor=CASEWORKER, occurred_at=self.when(),
                tool=tool, subject_ref=subject, legislation=Provision.ASBCPA_2014_S43,
                outcome=self.text(True, "enforcement.outcome"),
            ) and tool is CPW:  # fmt: skip
                m.warned.add(subject)

    @rule(outcome=st.sampled_from(ReviewOutcome), bad=faults("no_notes"))
    def review(self, outcome: ReviewOutcome, bad: frozenset[str]) -> None:
        self.attempt(
            self.model.closed_rule() | on({Rule.TEXT_REQUIRED: "no_notes" in bad}),
            self.case.review, actor=CASEWORKER, occurred_at=self.when(), outcome=outcome,
            notes=self.text("no_notes" not in bad, "review.notes"),
            next_review_due=(self.now + timedelta(28)).date(),
        )  # fmt: skip

    @rule(
        team=st.sampled_from(["north", "south", " "]),
        officer=st.sampled_from([None, "", "cw-1", "cw-2 "]),
    )
    def assign(self, team: str, officer: str | None) -> None:
        wanted = (team.strip() or None, (officer or "").strip() or None)
        broken = self.model.closed_rule() | on(
            {
                Rule.TEXT_REQUIRED: wanted[0] is None,
                Rule.ASSIGNMENT_UNCHANGED: wanted == self.model.assigned,
            }
        )
        if self.attempt(
            broken, self.case.assign, actor=SUPERVISOR, occurred_at=self.when(), team=team,
            officer=officer,
        ):  # fmt: skip
            self.model.assigned = wanted

    @rule(data=st.data(), bad=faults("unknown_applicant", "again"))
    def request_case_review(self, data: st.DataObject, bad: frozenset[str]) -> None:
        m = self.model
        applicant = self.choose(data, m.persons, "unknown_applicant" in bad, "applicant")
        request = self.choose(data, m.reviews, "again" not in bad, "request")
        broken = on({  # a closed case takes a request too
            Rule.CASE_REVIEW_DUPLICATE: request in m.reviews,
            Rule.PERSON_NOT_LINKED: applicant not in m.persons,
        })  # fmt: skip
        if self.attempt(
            broken,
            self.case.request_case_review, actor=CASEWORKER, occurred_at=self.when(),
            request_id=request, applicant_ref=applicant, received_at=self.now - timedelta(days=1),
        ):  # fmt: skip
            m.reviews[request] = False

    @rule(
        data=st.data(),
        decision=st.sampled_from([CaseReviewDecision.THRESHOLD_MET, *CaseReviewDecision]),
        bad=faults("unknown", "no_outcome"),
    )
    def decide_case_review(self, data: st.DataObject, decision: CaseReviewDecision,
                           bad: frozenset[str]) -> None:  # fmt: skip
        m = self.model
        request = self.choose(data, m.reviews, "unknown" in bad, "request")
        decided = m.reviews.get(request, False) or decision is CaseReviewDecision.PENDING
        broken = on({  # and its decision
            Rule.TEXT_REQUIRED: "no_outcome" in bad,
            Rule.CASE_REVIEW_UNKNOWN: request not in m.reviews,
            Rule.CASE_REVIEW_DECIDED: request in m.reviews and decided,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.decide_case_review, actor=CASEWORKER, occurred_at=self.when(),
            request_id=request, decision=decision,
            outcome=self.text("no_outcome" not in bad, "case_review.outcome"),
        ):  # fmt: skip
            m.reviews[request] = True
            if decision is CaseReviewDecision.THRESHOLD_MET:
                m.reviews_met.add(request)

    @rule(data=st.data(), bad=faults("unknown", "again"))
    def acknowledge_case_review(self, data: st.DataObject, bad: frozenset[str]) -> None:
        m = self.model
        request = self.choose(data, m.reviews, "unknown" in bad, "request")
        broken = on({  # once, and before the decision (which acknowledges it)
            Rule.CASE_REVIEW_UNKNOWN: request not in m.reviews,
            Rule.CASE_REVIEW_ACKNOWLEDGED: request in m.reviews_acknowledged
            or m.reviews.get(request, False),
        })  # fmt: skip
        if self.attempt(
            broken, self.case.acknowledge_case_review, actor=CASEWORKER, occurred_at=self.when(),
            request_id=request,
        ):  # fmt: skip
            m.reviews_acknowledged.add(request)

    @rule(data=st.data(), bad=faults("unknown", "no_recommendations"))
    def conclude_case_review(self, data: st.DataObject, bad: frozenset[str]) -> None:
        m = self.model
        request = self.choose(data, m.reviews, "unknown" in bad, "request")
        known = request in m.reviews
        text = self.text("no_recommendations" not in bad, "case_review.recommendations")
        broken = on({  # once, after the threshold was decided met
            Rule.TEXT_REQUIRED: "no_recommendations" in bad,
            Rule.CASE_REVIEW_UNKNOWN: not known,
            Rule.CASE_REVIEW_NOT_DECIDED: known and not m.reviews[request],
            Rule.CASE_REVIEW_THRESHOLD_NOT_MET: known and m.reviews[request]
            and request not in m.reviews_met,
            Rule.CASE_REVIEW_CONCLUDED: request in m.reviews_concluded,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.conclude_case_review, actor=SUPERVISOR, occurred_at=self.when(),
            request_id=request,
            recommendations=text,
        ):  # fmt: skip
            m.reviews_concluded.add(request)

    @rule(
        reason=st.sampled_from(ClosureReason),
        method=st.sampled_from(ContactMethod),
        supervisor=st.booleans(),
        bad=faults("naive", "no_reasons", "no_feedback", "no_why_not", "no_explanation",
                   "no_advice", "naive_feedback"),
    )  # fmt: skip
    def close(self, reason: ClosureReason, method: ContactMethod, supervisor: bool,
              bad: frozenset[str]) -> None:  # fmt: skip
        self._close(reason, method, SUPERVISOR if supervisor else CASEWORKER, bad)

    @rule()
    def close_properly(self) -> None:
        self._close(ClosureReason.RESOLVED, self.model.preferred, SUPERVISOR, frozenset())

    @rule(wait=st.integers(8, 20), supervisor=st.booleans())
    def close_for_no_contact(self, wait: int, supervisor: bool) -> None:
        """Closes for no contact about 10 working days after the last attempt, either side."""
        last = self.model.last_attempt()
        if last is not None:
            self.now = max(self.now, last.replace(hour=8) + timedelta(days=wait))
        actor = SUPERVISOR if supervisor else CASEWORKER
        self._close(ClosureReason.NO_CONTACT, self.model.preferred, actor, frozenset())

    def _close(
        self, reason: ClosureReason, method: ContactMethod, actor: Actor, bad: frozenset[str]
    ) -> None:
        m = self.model
        at = self.when("naive" in bad)
        feedback = None if "no_feedback" in bad else Feedback(
            method=method, given_by="cw-1", preferred_method_used=True,  # computed, not taken
            given_at=self.now.replace(tzinfo=None) if "naive_feedback" in bad else self.now,
            why_not_preferred=self.text("no_why_not" not in bad, "feedback.why_not"),
        )  # fmt: skip
        explanation = self.text("no_explanation" not in bad, "closure.explanation")
        advice = self.text("no_advice" not in bad, "closure.advice")
        broken = m.closed_rule() | on({
            Rule.TIMEZONE_REQUIRED: "naive" in bad or ("naive_feedback" in bad and bool(feedback)),
            Rule.CLOSURE_REASONS_REQUIRED: "no_reasons" in bad,
            Rule.CLOSURE_FEEDBACK_REQUIRED: feedback is None,
            Rule.CLOSURE_PREFERRED_METHOD: feedback is not None and method is not m.preferred
            and feedback.why_not_preferred is None,
            Rule.CLOSURE_EXPLANATION_REQUIRED: reason in EXPLAINED
            and None in (explanation, advice),
            Rule.CLOSURE_NEEDS_SUPERVISOR: actor is not SUPERVISOR and m.needs_supervisor(self.now),
            Rule.CLOSURE_NO_CONTACT_ATTEMPTS: reason is ClosureReason.NO_CONTACT
            and m.no_contact_unmet(self.now),
        })  # fmt: skip
        if self.attempt(
            broken, self.case.close, actor=actor, occurred_at=at, reason=reason,
            full_reasons=self.text("no_reasons" not in bad, "closure.full_reasons"),
            feedback=feedback, explanation=explanation, advice=advice,
        ):  # fmt: skip
            m.closed = True
            for action, status in m.actions.items():  # a closure cancels what is open
                if status is ActionStatus.OPEN:
                    m.actions[action] = ActionStatus.CANCELLED

    @rule(bad=faults("no_reason", "naive"))
    def reopen(self, bad: frozenset[str]) -> None:
        m = self.model
        broken = on({
            Rule.CASE_NOT_CLOSED: not m.closed,
            Rule.REOPEN_REASON_REQUIRED: "no_reason" in bad,
            Rule.TIMEZONE_REQUIRED: "naive" in bad,
        })  # fmt: skip
        if self.attempt(
            broken, self.case.reopen, actor=CASEWORKER, occurred_at=self.when("naive" in bad),
            reason=self.text("no_reason" not in bad, "reopen.reason"),
        ):  # fmt: skip
            m.closed = False

    @precondition(lambda self: self.model.closed)
    @rule()
    def reopen_closed_case(self) -> None:
        self.reopen(frozenset())

    # ---------------------------------------------------------- invariants

    @invariant()
    def the_store_holds_exactly_this_case(self) -> None:
        case = self.case
        assert case.pending_events == []
        assert case.version == self.model.version
        loaded = self.ledger.get_case(case.id)
        assert (loaded.version, loaded.head_hash) == (case.version, case.head_hash)
        assert loaded.state() == case.state()
        assert copy.deepcopy(case).state() == case.state()
        verdict = self.ledger.verify_case(case.id)
        assert verdict.intact, verdict
        assert (verdict.events, verdict.head_hash) == (case.version, case.head_hash)

    @invariant()
    def the_case_agrees_with_the_model(self) -> None:
        case, m = self.case, self.model
        assert case.closed is m.closed
        assert {p: lp.roles for p, lp in case.persons.items()} == m.persons
        assert {
            i: [x.criminal, x.police_referred] for i, x in case.incidents.items()
        } == m.incidents
        assert {a: x.status for a, x in case.actions.items()} == m.actions
        assert set(case.agencies) == m.agencies
        assert {
            r: x.decision is not CaseReviewDecision.PENDING for r, x in case.case_reviews.items()
        } == m.reviews
        reviews = case.case_reviews.items()
        assert {r for r, x in reviews if x.acknowledged_at is not None} == m.reviews_acknowledged
        assert {r for r, x in reviews if x.decision is CaseReviewDecision.THRESHOLD_MET} == (
            m.reviews_met
        )
        assert {r for r, x in reviews if x.concluded_at is not None} == m.reviews_concluded
        assert case.risk_level is m.level
        assert (case.team, case.officer) == m.assigned
        assert (case.assessments[-1].score if case.assessments else None) == m.score


class OnSQLite(CaseMachine):
    def make_ledger(self, tmp: Path) -> CaseLedger:
        return CaseLedger(Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'db.sqlite3'}"))


TestCaseMachineInMemory = CaseMachine.TestCase
TestCaseMachineInMemory.settings = settings(
    max_examples=150,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseMachineOnSQLite = OnSQLite.TestCase
TestCaseMachineOnSQLite.settings = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# ------------------------------------------------------- the model's oracle, by hand


def test_the_risk_model_matches_the_published_bands() -> None:
    # The model above is the oracle: check it against DOMAIN §2 by hand.
    zero = dict.fromkeys(VRA_KEYS, 0)
    assert model_risk(zero) == (2, RiskLevel.STANDARD)  # Q11 "no support" scores 2
    assert model_risk({**zero, "q11_support": 2}) == (0, RiskLevel.STANDARD)
    assert model_risk({**zero, "q3_identity": 2}) == (4, RiskLevel.MEDIUM)
    assert model_risk({**zero, "q4_violence": 1, "q1_happened_before": 2}) == (
        5,
        RiskLevel.STANDARD,
    )
    eight = {
        **zero,
        "q11_support": 2,
        "q1_happened_before": 2,
        "q2_targeted": 2,
        "q5_property_damaged": 2,
        "q6_health": 2,
    }
    assert model_risk(eight) == (8, RiskLevel.STANDARD)
    assert model_risk({**eight, "q8_unsafe_at_home": 1}) == (9, RiskLevel.MEDIUM)
    fifteen = {
        **eight,
        "q8_unsafe_at_home": 2,
        "q9_afraid_to_go_out": 2,
        "q10_children": 2,
        "q12_reported_elsewhere": 1,
    }
    assert model_risk(fifteen) == (15, RiskLevel.MEDIUM)
    assert model_risk({**fifteen, "q12_reported_elsewhere": 2}) == (16, RiskLevel.HIGH)
    assert model_risk(dict.fromkeys(VRA_KEYS, 1)) == (12, RiskLevel.MEDIUM)
    assert model_risk({**dict.fromkeys(VRA_KEYS, 2), "q11_support": 2}) == (22, RiskLevel.HIGH)
