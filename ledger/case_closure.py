"""Formal closure with reasons and feedback, and reopening."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from ledger import events, rules
from ledger.case_steps import CaseSteps
from ledger.case_steps import utc as _utc
from ledger.enums import ClosureReason, PersonRole, RiskLevel
from ledger.errors import Broken, Rule, RuleViolation
from ledger.harm import cumulative_harm
from ledger.harm_model import IncidentFact, highest
from ledger.thresholds import RiskThresholds
from ledger.values import Actor, Feedback, Sealed

DEFAULT_THRESHOLDS = RiskThresholds.model_construct()
"""The thresholds' defaults, read from no environment (the ledger passes its settings')."""


class ClosureSteps(CaseSteps):
    """Formal closure with reasons and feedback, and reopening."""

    def close(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        reason: ClosureReason,
        full_reasons: Sealed | None,
        feedback: Feedback | None,
        explanation: Sealed | None = None,
        advice: Sealed | None = None,
        harm_rules: RiskThresholds | None = None,
    ) -> None:
        """Closes the case formally, with full reasons and feedback to the complainant.

        Every rule the closure breaks is reported at once. Open actions are settled by the
        closure: it cancels them (``cancelled_actions``), so a reopened case does not bring
        them back overdue. Cumulative harm is judged on the case's own incidents with
        ``harm_rules`` (the defaults when not given)."""
        self._open("close it again")
        when = _utc(occurred_at, "occurred_at")
        broken = Broken()
        if full_reasons is None:
            broken.add(Rule.CLOSURE_REASONS_REQUIRED, "a closure needs full reasons")
        if feedback is None:
            broken.add(Rule.CLOSURE_FEEDBACK_REQUIRED, "a closure needs feedback given")
        used_preferred = feedback is not None and feedback.method is self.preferred_contact
        if feedback is not None and not used_preferred and feedback.why_not_preferred is None:
            broken.add(
                Rule.CLOSURE_PREFERRED_METHOD,
                f"feedback was not by the preferred method ({self.preferred_contact.value}):"
                " record why",
            )
        if reason.needs_explanation_and_advice and (explanation is None or advice is None):
            broken.add(
                Rule.CLOSURE_EXPLANATION_REQUIRED,
                f"a {reason.value} closure needs the explanation and the advice given",
            )
        derived = self.derived_risk(when, harm_rules)
        broken.check(
            lambda: rules.check_closure_authority(
                actor,
                risk_level=derived,
                unreferred=self.unreferred_criminal_incidents,
                open_actions=self.open_actions,
                unassessed_victims=self.unassessed_victims,
            )
        )
        if reason is ClosureReason.NO_CONTACT:
            broken.check(lambda: rules.check_no_contact(self.contacts, self.complainant_ref, when))
        broken.raise_any()
        assert full_reasons is not None
        assert feedback is not None
        self.trigger_event(
            events.CaseClosed,
            actor=actor,
            occurred_at=when,
            reason=reason,
            full_reasons=full_reasons,
            feedback=replace(
                feedback,
                given_at=_utc(feedback.given_at, "feedback.given_at"),
                preferred_method_used=used_preferred,
            ),
            explanation=explanation,
            advice=advice,
            cancelled_actions=tuple(self.open_actions),
        )

    def derived_risk(self, now: datetime, harm_rules: RiskThresholds | None = None) -> RiskLevel:
        """The case's risk level at ``now``: the last assessed level, raised to what
        cumulative harm on the case's own incidents indicates (DOMAIN §2), for the case
        and for each victim on it (standard when neither says more)."""
        rules_used = harm_rules or DEFAULT_THRESHOLDS
        facts = {
            incident_id: IncidentFact(
                incident_id=incident_id,
                case_id=self.id,
                occurred_at=incident.occurred_at,
                harms=incident.harms,
                criminal=incident.criminal,
            )
            for incident_id, incident in self.incidents.items()
        }
        victims = {ref: p for ref, p in self.persons.items() if PersonRole.VICTIM in p.roles}
        harms = [
            cumulative_harm(
                facts.values(),
                now=now,
                rules=rules_used,
                vulnerabilities=frozenset().union(*(p.vulnerabilities for p in victims.values())),
                self_declared_repeat=any(p.self_declared_repeat_victim for p in victims.values()),
            )
        ]
        for ref, person in victims.items():
            named = [
                facts[i] for i, incident in self.incidents.items() if ref in incident.victim_refs
            ]
            harms.append(
                cumulative_harm(
                    named,
                    now=now,
                    rules=rules_used,
                    vulnerabilities=person.vulnerabilities,
                    self_declared_repeat=person.self_declared_repeat_victim,
                )
            )
        levels = [self.risk_level, *(h.indicated for h in harms)]
        return highest(levels) or RiskLevel.STANDARD

    @property
    def unassessed_victims(self) -> list[UUID]:
        """Victims linked to the case when no risk assessment was ever made on it."""
        if self.risk_level is not None:
            return []
        return [ref for ref, p in self.persons.items() if PersonRole.VICTIM in p.roles]

    def reopen(self, *, actor: Actor, occurred_at: datetime, reason: Sealed | None) -> None:
        """Reopens a closed case."""
        if not self.closed:
            raise RuleViolation(Rule.CASE_NOT_CLOSED, "only a closed case can be reopened")
        if reason is None:
            raise RuleViolation(Rule.REOPEN_REASON_REQUIRED, "a reopening needs a reason")
        self.trigger_event(
            events.CaseReopened,
            actor=actor,
            occurred_at=occurred_at,
            reason=reason,
        )
