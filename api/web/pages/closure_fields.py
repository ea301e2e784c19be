"""What the forms for a case's standing read and offer: the closure's fields as the API's
request model's data (the explanation and advice of each reason that needs them), where its
rules are shown, its reasons and contact methods; and the ASB Case Review's requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.policy import Guard
from api.schemas.views import CaseOut
from api.web.forms import Kept
from api.web.pages.case_forms import Values, local_time
from api.web.pages.partner_fields import given, named_people
from api.web.rendering import humanise
from ledger.case import Case
from ledger.enums import CaseReviewDecision, ClosureReason, ContactMethod
from ledger.errors import Rule

REASONS = {
    ClosureReason.RESOLVED: "Resolved, by early intervention or formal action",
    ClosureReason.NO_FURTHER_ACTION: "No further action",
    ClosureReason.NOT_ASB: "Not anti-social behaviour (for example normal living noise,"
    " children playing or lifestyle differences)",
    ClosureReason.INSUFFICIENT_EVIDENCE: "Insufficient evidence",
    ClosureReason.NO_CONTACT: "No contact (3 phone attempts and a letter, then 10 working"
    " days without a reply)",
    ClosureReason.COMPLAINANT_WITHDREW: "The complainant withdrew",
    ClosureReason.REFERRED_TO_OTHER_AGENCY: "Referred to another agency",
    ClosureReason.EQUAL_FAULT_DISPUTE: "A dispute in which both sides are equally at fault",
    ClosureReason.PERPETRATOR_MOVED: "The alleged perpetrator moved away",
}

EXPLAINED = tuple(r for r in ClosureReason if r.needs_explanation_and_advice)


def close_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    reason = values.get("reason")
    explained = reason in {r.value for r in EXPLAINED}
    how = values.get("feedback")
    other = how == "other"
    return {
        "reason": reason,
        "full_reasons": values.get("full_reasons"),
        "feedback": Kept(
            given(
                method=values.get("feedback-method") if other else how,
                given_at=local_time(values.get("feedback-given_at"), zone),
                why_not_preferred=values.get("feedback-why_not_preferred") if other else None,
            )
            if how
            else None
        ),
        "explanation": values.get(f"explanation_{reason}") if explained else None,
        "advice": values.get(f"advice_{reason}") if explained else None,
    }


CLOSE_RULE_FIELDS = {
    Rule.CLOSURE_REASONS_REQUIRED.value: "full_reasons",
    Rule.CLOSURE_FEEDBACK_REQUIRED.value: "feedback",
    Rule.CLOSURE_PREFERRED_METHOD.value: "feedback-why_not_preferred",
    Rule.CLOSURE_EXPLANATION_REQUIRED.value: "explanation_{reason}",
    Rule.CLOSURE_NO_CONTACT_ATTEMPTS.value: "reason",
}


def closure_choices(case: Case) -> dict[str, Any]:
    """The reasons (those that need the explanation and advice marked), and the
    complainant's preferred contact method with the others."""
    preferred = case.preferred_contact
    return {
        "reasons": [(r.value, REASONS[r]) for r in ClosureReason],
        "explained": [r.value for r in EXPLAINED],
        "preferred": preferred.value,
        "preferred_words": humanise(preferred.value).lower(),
        "other_methods": [
            (m.value, humanise(m.value)) for m in ContactMethod if m is not preferred
        ],
    }


def dated(request: dict[str, Any]) -> dict[str, Any]:
    """A case review request as the case view gives it, its times as times again."""
    return {
        **request,
        **{
            k: datetime.fromisoformat(request[k])
            for k in ("received_at", "acknowledged_at", "decided_at", "concluded_at")
            if request.get(k)
        },
    }


def case_review_choices(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
    """The case's ASB Case Review requests by id, the names of the people on it, and the
    threshold decisions a request may take."""
    return {
        "requests": {r["request_id"]: dated(r) for r in shown.case_reviews},
        "people": dict(named_people(shown)),
        "decisions": [
            (d.value, humanise(d.value))
            for d in CaseReviewDecision
            if d is not CaseReviewDecision.PENDING
        ],
    }
