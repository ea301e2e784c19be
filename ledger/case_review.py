"""The ASB Case Review (Community Trigger) on a case: request, acknowledgement, threshold
decision and outcome (DOMAIN §4).

Every step is taken on a closed case too: a request often follows a closure the victim
disputes, and the case stays closed while the review runs."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ledger import events, rules
from ledger.case_state import CaseReviewRequest
from ledger.case_steps import CaseSteps
from ledger.case_steps import utc as _utc
from ledger.enums import CaseReviewDecision
from ledger.errors import Rule, RuleViolation
from ledger.values import Actor, Sealed


class CaseReviewSteps(CaseSteps):
    """The ASB Case Review's steps, each once and in order."""

    def request_case_review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        request_id: UUID,
        applicant_ref: UUID,
        received_at: datetime,
    ) -> None:
        """Records an ASB Case Review (Community Trigger) request by a linked person. A
        closed case takes one too: a request often follows a closure the victim disputes."""
        if request_id in self.case_reviews:
            raise RuleViolation(Rule.CASE_REVIEW_DUPLICATE, f"request {request_id} already made")
        self._require_linked((applicant_ref,), "applicant_ref")
        self.trigger_event(
            events.CaseReviewRequested,
            actor=actor,
            occurred_at=occurred_at,
            request_id=request_id,
            applicant_ref=applicant_ref,
            received_at=_utc(received_at, "received_at"),
        )

    def acknowledge_case_review(
        self, *, actor: Actor, occurred_at: datetime, request_id: UUID
    ) -> None:
        """Records that a request was acknowledged to the applicant. Once, and before the
        threshold decision: a decision already answers the applicant."""
        request = self._case_review(request_id)
        if request.acknowledged_at is not None:
            raise RuleViolation(Rule.CASE_REVIEW_ACKNOWLEDGED, "a request is acknowledged once")
        if request.decision is not CaseReviewDecision.PENDING:
            raise RuleViolation(
                Rule.CASE_REVIEW_ACKNOWLEDGED,
                "the request is decided: the decision acknowledged it",
            )
        self.trigger_event(
            events.CaseReviewAcknowledged,
            actor=actor,
            occurred_at=occurred_at,
            request_id=request_id,
        )

    def decide_case_review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        request_id: UUID,
        decision: CaseReviewDecision,
        outcome: Sealed | None,
    ) -> None:
        """Records the threshold decision on an ASB Case Review request and its reasons
        (``outcome``). A request not yet acknowledged is acknowledged by the decision."""
        rules.require(outcome, "outcome")
        request = self._case_review(request_id)
        if decision is CaseReviewDecision.PENDING:
            raise RuleViolation(
                Rule.CASE_REVIEW_DECIDED,
                "pending is not a decision: decide a case review as threshold_met or"
                " threshold_not_met",
            )
        if request.decision is not CaseReviewDecision.PENDING:
            raise RuleViolation(Rule.CASE_REVIEW_DECIDED, "a case review is decided once")
        self.trigger_event(
            events.CaseReviewDecided,
            actor=actor,
            occurred_at=occurred_at,
            request_id=request_id,
            decision=decision,
            outcome=outcome,
        )

    def conclude_case_review(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        request_id: UUID,
        recommendations: Sealed | None,
    ) -> None:
        """Records the outcome of an ASB Case Review (its findings and recommendations):
        once, after the threshold was decided as met."""
        rules.require(recommendations, "recommendations")
        request = self._case_review(request_id)
        if request.decision is CaseReviewDecision.PENDING:
            raise RuleViolation(
                Rule.CASE_REVIEW_NOT_DECIDED, "the threshold is not decided yet: decide it first"
            )
        if request.decision is CaseReviewDecision.THRESHOLD_NOT_MET:
            raise RuleViolation(
                Rule.CASE_REVIEW_THRESHOLD_NOT_MET,
                "the threshold was not met: there is no review to conclude",
            )
        if request.concluded_at is not None:
            raise RuleViolation(Rule.CASE_REVIEW_CONCLUDED, "a case review is concluded once")
        self.trigger_event(
            events.CaseReviewConcluded,
            actor=actor,
            occurred_at=occurred_at,
            request_id=request_id,
            recommendations=recommendations,
        )

    def _case_review(self, request_id: UUID) -> CaseReviewRequest:
        request = self.case_reviews.get(request_id)
        if request is None:
            raise RuleViolation(Rule.CASE_REVIEW_UNKNOWN, f"no case review request {request_id}")
        return request
