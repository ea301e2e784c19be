"""What the partnership forms read and offer: their fields as the API's request
models' data, where each rule's message is shown, and the choices from the case and the
council's registers (read as the API's own routes read them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from api.policy import Guard
from api.schemas.reference import ReferenceDataOut
from api.schemas.views import CaseOut
from api.web.forms import Kept, as_list
from api.web.legal_words import CONDITIONS, GATEWAYS, LAWFUL_BASES
from api.web.pages.case_commands import options
from api.web.pages.case_forms import Values, local_time, yes
from api.web.rendering import humanise
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import Agency, ConsentStatus, SharePurpose
from ledger.errors import Rule
from ledger.rules import AUTHORISERS
from ledger.vocabulary import DEFAULT_POLICE_REFERENCE_FORMAT

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


def fields(*names: str) -> Callable[[Values, ZoneInfo], dict[str, Any]]:
    """A form's data: each model field from the form's field of the same name."""

    def data(values: Values, zone: ZoneInfo) -> dict[str, Any]:
        return {name: values.get(name) for name in names}

    return data


def share_choices(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
    return {
        "items": share_items(case, shown),
        "purposes": options(SharePurpose),
        "lawful_bases": worded(LAWFUL_BASES),
        "gateways": worded(GATEWAYS),
        "conditions": worded(CONDITIONS),
        "consents": options(ConsentStatus),
        "may_authorise": guard.caller.role in AUTHORISERS,
    }


def people_choices(case: Case, shown: CaseOut, guard: Guard) -> dict[str, Any]:
    return {"people": named_people(shown)}
