"""What the partnership and closure forms read and offer: their fields as the API's request
models' data, where each rule's message is shown, and the choices from the case and the
council's registers (read as the API's own routes read them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.policy import Guard
from api.schemas.reference import ReferenceDataOut
from api.schemas.views import CaseOut
from api.web.forms import Kept, as_list
from api.web.pages.case_forms import Values, local_time, yes
from api.web.rendering import humanise
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Agency,
    CaseReviewDecision,
    ClosureReason,
    ContactMethod,
    LawfulBasis,
    LegalGateway,
    SpecialCategoryCondition,
)
from ledger.errors import Rule
from ledger.vocabulary import DEFAULT_POLICE_REFERENCE_FORMAT

LAWFUL_BASES = {
    LawfulBasis.PUBLIC_TASK: "Public task (UK GDPR Article 6(1)(e))",
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation (UK GDPR Article 6(1)(c))",
    LawfulBasis.VITAL_INTERESTS: "Vital interests (UK GDPR Article 6(1)(d))",
    LawfulBasis.CONSENT: "Consent (UK GDPR Article 6(1)(a))",
    LawfulBasis.LAW_ENFORCEMENT: "Law enforcement (Data Protection Act 2018, Part 3)",
}
GATEWAYS = {
    LegalGateway.CRIME_AND_DISORDER_ACT_S115: "Crime and Disorder Act 1998, section 115",
    LegalGateway.ASB_CRIME_POLICING_ACT_2014: "Anti-social Behaviour, Crime and Policing Act 2014",
    LegalGateway.NONE: "No statutory gateway",
}
CONDITIONS = {
    SpecialCategoryCondition.STATUTORY_PURPOSES: "Statutory and government purposes"
    " (Data Protection Act 2018, Schedule 1)",
    SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS: "Preventing or detecting unlawful acts"
    " (Data Protection Act 2018, Schedule 1)",
    SpecialCategoryCondition.SAFEGUARDING: "Safeguarding of children and of individuals at"
    " risk (Data Protection Act 2018, Schedule 1)",
    SpecialCategoryCondition.LAW_ENFORCEMENT_SCH8: "Law enforcement processing"
    " (Data Protection Act 2018, Schedule 8)",
}
SHARE_KINDS = {
    "risk_assessment": "Risk assessment",
    "action_plan": "Action plan",
    "timescales": "Agreed timescales",
    "contact_history": "Contact history",
    "enforcement": "Enforcement actions",
    "police_referral": "Police referrals",
    "support_referral": "Support referrals",
}
"""The named parts of a case a share may include besides its summary, incidents and people."""

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


def worded(words: dict[Any, str]) -> list[tuple[str, str]]:
    return [(str(k.value), v) for k, v in words.items()]


def given(**fields: Any) -> dict[str, Any] | None:
    """A nested object's fields that were filled in, or None if none was."""
    kept = {k: v for k, v in fields.items() if v not in (None, "", [])}
    return kept or None


def register_choices(ledger: CaseLedger, today: date) -> dict[str, Any]:
    """The protocol's signatories today (as ``GET /organisations?active=true`` lists them),
    the police forces among them, and the provisions and the police reference format (as
    ``GET /reference-data`` gives them)."""
    listed = [o for o in ledger.organisations.all() if o.active_on(today)]
    reference = ReferenceDataOut.of(ledger.vocabulary)
    return {
        "organisations": [(o.org_id, f"{o.name} ({humanise(o.agency.value)})") for o in listed],
        "police_forces": [(o.org_id, o.name) for o in listed if o.agency is Agency.POLICE],
        "legislation": [(p, p) for p in reference.legislation],
        "police_reference_format": reference.police_reference_format,
        "police_reference_example": (
            "SP-2026-0001234"
            if reference.police_reference_format == DEFAULT_POLICE_REFERENCE_FORMAT
            else None
        ),
    }


def named_people(shown: CaseOut) -> list[tuple[str, str]]:
    """Everyone on the case as (reference, "name (roles)"), as the caller may see them."""
    return [
        (
            str(p.person_ref),
            f"{p.name if isinstance(p.name, str) else 'Name withheld or erased'}"
            f" ({', '.join(humanise(r).lower() for r in p.roles)})",
        )
        for p in shown.people
    ]


def share_items(case: Case, shown: CaseOut) -> list[dict[str, Any]]:
    """What a share may name, each marked where it carries special-category or criminal
    offence data (as the ledger judges it: ``Case.special_items``)."""
    items: list[dict[str, Any]] = [{"value": "case_summary", "label": "Case summary"}]
    items += [
        {
            "value": f"incident:{i.incident_id}",
            "label": f"Incident: {humanise(i.incident_type).lower()}",
            "when": i.occurred_at,
        }
        for i in shown.incidents
    ]
    items += [
        {"value": f"person:{ref}", "label": f"Person: {words}"}
        for ref, words in named_people(shown)
    ]
    present = {
        "risk_assessment": shown.assessments,
        "action_plan": shown.actions,
        "timescales": shown.timescales,
        "contact_history": shown.contacts,
        "enforcement": shown.enforcement,
        "police_referral": shown.police_referrals,
        "support_referral": shown.support_referrals,
    }
    items += [{"value": k, "label": v} for k, v in SHARE_KINDS.items() if present[k]]
    special = set(case.special_items(tuple(i["value"] for i in items)))
    return [{**i, "special": i["value"] in special} for i in items]


def share_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    special = yes(values.get("includes_special_category"))
    return {
        "recipient": Kept(
            given(
                organisation=values.get("recipient-organisation"),
                person=values.get("recipient-person"),
            )
        ),
        "items": Kept(as_list(values.get("items"))),
        "purpose": Kept(values.get("purpose") or None),
        "justification": Kept(values.get("justification") or None),
        "lawful_basis": Kept(values.get("lawful_basis") or None),
        "gateway": values.get("gateway"),
        "includes_special_category": special,
        "condition": values.get("condition") if special else None,
        "consent": values.get("consent"),
        "consent_note": values.get("consent_note"),
        "onward_use_permitted": yes(values.get("onward_use_permitted")),
    }


ORGANISATION_RULES = (
    Rule.ORGANISATION_UNKNOWN.value,
    Rule.ORGANISATION_RETIRED.value,
    Rule.ORGANISATION_AGENCY_MISMATCH.value,
)


SHARE_RULE_FIELDS = {
    Rule.SHARE_RECIPIENT_REQUIRED.value: "recipient-organisation",
    **{rule: "recipient-organisation" for rule in ORGANISATION_RULES},
    Rule.SHARE_PURPOSE_REQUIRED.value: "purpose",
    Rule.SHARE_LAWFUL_BASIS_REQUIRED.value: "lawful_basis",
    Rule.SHARE_ITEMS_REQUIRED.value: "items",
    Rule.INCIDENT_UNKNOWN.value: "items",
    Rule.PERSON_NOT_LINKED.value: "items",
    Rule.SHARE_CONDITION_REQUIRED.value: "includes_special_category",
    Rule.SHARE_CONSENT_REQUIRED.value: "consent",
    Rule.SHARE_CONSENT_REASON.value: "consent_note",
    Rule.SHARE_PROTOCOL_MISMATCH.value: "recipient-organisation",
}


def police_data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "incident_ids": Kept(as_list(values.get("incident_ids"))),
        "police_reference": values.get("police_reference"),
        "organisation": values.get("organisation"),
        "disseminated_at": local_time(values.get("disseminated_at"), zone),
    }


POLICE_RULE_FIELDS = {
    Rule.POLICE_REFERRAL_INCIDENTS.value: "incident_ids",
    Rule.POLICE_REFERRAL_DUPLICATE.value: "incident_ids",
    Rule.INCIDENT_UNKNOWN.value: "incident_ids",
    Rule.POLICE_REFERENCE_FORMAT.value: "police_reference",
    Rule.POLICE_FORCE_REQUIRED.value: "organisation",
    Rule.DATE_BEFORE_INCIDENT.value: "disseminated_at",
    **{rule: "organisation" for rule in ORGANISATION_RULES},
}

ORGANISATION_RULE_FIELDS = {rule: "organisation" for rule in ORGANISATION_RULES}


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
