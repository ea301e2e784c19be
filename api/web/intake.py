"""The complaint form's fields as the API's request models: a new complaint (``OpenCaseIn``)
and, where the complainant is also a victim, their link as one (``LinkPersonIn``).

The form's field names are the models' locations (``complainant-name``), so that the
models' own validation errors land next to their fields. What the models do not hold is
the form's own: a date of birth typed as day, month and year; the complainant's address
taken from the place the complaint is about (entered once, WCAG 3.3.7); the choice made
after a duplicate warning (``match``: a person's reference, or ``new``); and whether the
complainant is a victim, with their vulnerabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from api.schemas.opening import OpenCaseIn
from api.schemas.plan import LinkPersonIn
from api.web.forms import Refused, as_list, validate
from ledger.enums import Channel, ContactMethod, Department, PersonRole, Vulnerability

NEW_PERSON = "new"

CHANNELS = {
    Channel.PHONE: "Phone",
    Channel.EMAIL: "Email",
    Channel.WEB_FORM: "Online form",
    Channel.LETTER: "Letter",
    Channel.IN_PERSON: "In person",
    Channel.PARTNER_REFERRAL: "Referred by a partner agency",
}
CATEGORIES = (
    ("personal", "Personal", "Aimed at a person or a group, rather than the community at large"),
    ("nuisance", "Nuisance", "Trouble, annoyance or suffering to a local community"),
    ("environmental", "Environmental", "Harm to public spaces, buildings or the surroundings"),
)
"""The National Standard for Incident Recording's categories, as the form explains them."""
DEPARTMENTS = {
    Department.COMMUNITY_SAFETY: "Community safety",
    Department.HOUSING: "Housing",
    Department.ENVIRONMENTAL_HEALTH: "Environmental health",
    Department.LICENSING: "Licensing",
    Department.STREET_SCENE: "Street scene",
}
CONTACT_METHODS = {
    ContactMethod.PHONE: "Phone",
    ContactMethod.EMAIL: "Email",
    ContactMethod.LETTER: "Letter",
    ContactMethod.TEXT_MESSAGE: "Text message",
    ContactMethod.IN_PERSON: "In person",
    ContactMethod.VIDEO_CALL: "Video call",
}
VULNERABILITIES = {
    Vulnerability.DISABILITY: "Disability",
    Vulnerability.LONG_TERM_ILLNESS: "Long-term illness",
    Vulnerability.AGE: "Age",
    Vulnerability.MENTAL_HEALTH: "Mental health",
    Vulnerability.ISOLATION: "Isolation",
    Vulnerability.LIVING_ALONE: "Lives alone",
    Vulnerability.ECONOMIC_HARDSHIP: "Economic hardship",
    Vulnerability.HIGH_ASB_AREA: "Lives where anti-social behaviour is high",
    Vulnerability.REPEATED_INCIDENTS: "Repeated incidents",
    Vulnerability.FEAR_OF_REPORTING: "Afraid to report",
}

ORDER = (
    "channel",
    "category",
    "description",
    "location",
    "place-uprn",
    "ward",
    "lead_department",
    "team",
    "officer",
    "complainant-name",
    "complainant-date_of_birth",
    "complainant-contact",
    "complainant-address",
    "match",
    "preferred_contact",
    "victim",
    "vulnerabilities",
    "vulnerability_note",
)
"""The fields in the order the page shows them: the error summary follows it."""

MISSING: dict[str, str] = {
    "channel": "Select how the complaint was received",
    "category": "Select the kind of anti-social behaviour",
    "description": "Enter what is happening",
    "location": "Enter where it is happening",
    "lead_department": "Select the department that will lead",
    "complainant-name": "Enter the complainant's name",
    "preferred_contact": "Select how the complainant would like to be contacted",
}
"""GOV.UK's messages for a required field left empty, by field."""

RULE_FIELDS: dict[str, str] = {
    "ward.unknown": "ward",
    "place.unrecognised": "place-uprn",
    "person.possible_duplicate": "match",
    "person.merge": "match",
    "case.team_not_yours": "team",
}
"""The field a rule the API answers with is about, so that it is shown beside it."""

CHOOSE = "Select the person this complaint is from, or that they are someone new"
_DUPLICATE = (
    "The complainant's details match {people} already registered: link the complaint to the"
    " person it is from, or say they are someone new."
)


@dataclass
class Complaint:
    """A complaint form read: what goes to the API, and what the form itself found wrong."""

    opening: dict[str, Any]
    victim: bool | None
    victim_link: dict[str, Any]
    match: str
    refused: Refused = field(default_factory=Refused)

    @property
    def linked_ref(self) -> UUID | None:
        return _uuid(self.match)


def text(values: Mapping[str, Any], name: str) -> str:
    """A field's text, trimmed (a field of spaces is a field left empty)."""
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def read_date(values: Mapping[str, Any], name: str, what: str) -> tuple[str | None, str | None]:
    """A date typed as ``<name>-day``, ``-month`` and ``-year``: ``YYYY-MM-DD`` or None when
    left empty, with GOV.UK's message when it is incomplete or not a real date in the past."""
    parts = {p: text(values, f"{name}-{p}") for p in ("day", "month", "year")}
    if not any(parts.values()):
        return None, None
    missing = [p for p, v in parts.items() if not v]
    if missing:
        return None, f"{what} must include a {' and a '.join(missing)}"
    if not all(v.isdigit() for v in parts.values()) or len(parts["year"]) != 4:
        return None, f"{what} must be a real date"
    try:
        when = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None, f"{what} must be a real date"
    if when >= date.today():
        return None, f"{what} must be in the past"
    return when.isoformat(), None


def read_complaint(values: Mapping[str, Any]) -> Complaint:
    """The form's values as the API's request bodies (not yet validated)."""
    refused = Refused()
    born, wrong = read_date(values, "complainant-date_of_birth", "Date of birth")
    if wrong:
        refused.add(wrong, field_id="complainant-date_of_birth")
    location = text(values, "location")
    same = values.get("same_address") == "yes"
    address = location if same else text(values, "complainant-address")
    complainant = {
        "name": text(values, "complainant-name"),
        "contact": text(values, "complainant-contact"),
        "address": address,
        "date_of_birth": born,
    }
    match = text(values, "match")
    opening: dict[str, Any] = {
        name: text(values, name)
        for name in (
            "channel",
            "category",
            "description",
            "lead_department",
            "preferred_contact",
            "ward",
            "team",
            "officer",
        )
    }
    opening.update(
        location=location,
        complainant={k: v for k, v in complainant.items() if v},
        place={"uprn": text(values, "place-uprn")} if text(values, "place-uprn") else None,
        complainant_ref=match if _uuid(match) else None,
        confirm_new_person=match == NEW_PERSON,
    )
    answer = text(values, "victim")
    victim = {"yes": True, "no": False}.get(answer)
    if victim is None:
        refused.add("Select yes if the complainant is also a victim", field_id="victim")
    link = {
        "role": PersonRole.VICTIM.value,
        "vulnerabilities": as_list(values.get("vulnerabilities")) if victim else [],
        "vulnerability_note": text(values, "vulnerability_note") if victim else "",
    }
    return Complaint(
        opening={k: v for k, v in opening.items() if v not in ("", None)},
        victim=victim,
        victim_link={k: v for k, v in link.items() if v not in ("", None)},
        match=match,
        refused=refused,
    )


def check(form: Complaint, values: Mapping[str, Any]) -> tuple[OpenCaseIn | None, Refused]:
    """The complaint validated by the API's models: the opening, and the victim's link as it
    will be sent (with a stand-in reference until the case names the complainant)."""
    refused = form.refused
    body, opening = validate(OpenCaseIn, form.opening)
    merge(refused, opening, values)
    if form.victim:
        placeholder = {**form.victim_link, "person_ref": str(UUID(int=0))}
        _, link = validate(LinkPersonIn, placeholder)
        merge(refused, link, values)
    return (body if not refused.summary else None), refused


def merge(into: Refused, found: Refused, values: Mapping[str, Any] | None = None) -> None:
    """Adds ``found``'s messages to ``into``: each tied to its field (a rule's, where the API
    named none), GOV.UK's words for a required field left empty, in the page's order."""
    if found.summary and not into.summary:
        into.status = found.status
    for entry in found.summary:
        where = entry["field"] or RULE_FIELDS.get(entry.get("rule") or "")
        words = entry["text"]
        if where in MISSING and values is not None and not text(values, where):
            words = MISSING[where]
        detail = entry["detail"]
        if entry.get("rule") == "person.possible_duplicate":
            into.fields.setdefault("match", CHOOSE)
            n = len(found.candidates)
            detail = _DUPLICATE.format(people="1 person" if n == 1 else f"{n} people")
        into.add(words, field_id=where, detail=detail, rule=entry["rule"])
    into.summary.sort(key=lambda e: ORDER.index(e["field"]) if e["field"] in ORDER else len(ORDER))
    into.candidates = into.candidates or found.candidates


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
