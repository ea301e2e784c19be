"""The names that bind each sealed field to its place (part of every seal's associated data).

Commands seal under these names and readers unseal under the same ones, so a ciphertext
moved from one kind of field to another fails authentication instead of reading as it.
A person's details use the same names wherever they appear (opening or linking).
"""

from __future__ import annotations

PERSON_NAME = "person.name"
PERSON_CONTACT = "person.contact"
PERSON_ADDRESS = "person.address"
PERSON_DATE_OF_BIRTH = "person.date_of_birth"
PERSON_VULNERABILITY_NOTE = "person.vulnerability_note"

CASE_DESCRIPTION = "case.description"
CASE_LOCATION = "case.location"
INCIDENT_DESCRIPTION = "incident.description"
INCIDENT_LOCATION = "incident.location"
RISK_RATIONALE = "risk.rationale"
RISK_OVERRIDE_RATIONALE = "risk.override_rationale"
ACTION_DESCRIPTION = "action.description"
ACTION_OUTCOME = "action.outcome"
CONTACT_SUMMARY = "contact.summary"
SUPPORT_NEEDS = "support.needs"
SUPPORT_CONSENT_NOTE = "support.consent_note"
SHARE_JUSTIFICATION = "share.justification"
SHARE_CONSENT_NOTE = "share.consent_note"
SHARE_RECIPIENT_PERSON = "share.recipient_person"
AGENCY_ROLE = "agency.role"
AGENCY_CONTACT = "agency.contact"
ENFORCEMENT_OUTCOME = "enforcement.outcome"
REVIEW_NOTES = "review.notes"
CASE_REVIEW_OUTCOME = "case_review.outcome"
"""The reasons for an ASB Case Review's threshold decision (``CaseReviewDecided.outcome``)."""
CASE_REVIEW_RECOMMENDATIONS = "case_review.recommendations"
CLOSURE_REASONS = "closure.full_reasons"
CLOSURE_EXPLANATION = "closure.explanation"
CLOSURE_ADVICE = "closure.advice"
CLOSURE_WHY_NOT_PREFERRED = "closure.why_not_preferred"
REOPEN_REASON = "reopen.reason"

PERSON_DETAILS = {  # a PersonDetails' fields, by attribute
    "name": PERSON_NAME,
    "contact": PERSON_CONTACT,
    "address": PERSON_ADDRESS,
    "date_of_birth": PERSON_DATE_OF_BIRTH,
}

BOUND: dict[str, dict[str, str]] = {
    "CaseOpened": {
        **{f"complainant.{k}": v for k, v in PERSON_DETAILS.items()},
        "description": CASE_DESCRIPTION,
        "location": CASE_LOCATION,
    },
    "PersonLinked": {
        **{f"details.{k}": v for k, v in PERSON_DETAILS.items()},
        "vulnerability_note": PERSON_VULNERABILITY_NOTE,
    },
    "IncidentRecorded": {"description": INCIDENT_DESCRIPTION, "location": INCIDENT_LOCATION},
    "RiskAssessed": {"rationale": RISK_RATIONALE, "override.rationale": RISK_OVERRIDE_RATIONALE},
    "ActionPlanned": {"description": ACTION_DESCRIPTION},
    "ActionCompleted": {"outcome": ACTION_OUTCOME},
    "ActionCancelled": {"outcome": ACTION_OUTCOME},
    "ContactRecorded": {"summary": CONTACT_SUMMARY},
    "SupportReferralMade": {"needs": SUPPORT_NEEDS, "consent_note": SUPPORT_CONSENT_NOTE},
    "InformationShared": {
        "justification": SHARE_JUSTIFICATION,
        "consent_note": SHARE_CONSENT_NOTE,
        "recipient.person": SHARE_RECIPIENT_PERSON,
    },
    "AgencyJoined": {"role": AGENCY_ROLE, "contact": AGENCY_CONTACT},
    "EnforcementActionTaken": {"outcome": ENFORCEMENT_OUTCOME},
    "CaseReviewed": {"notes": REVIEW_NOTES},
    "CaseReviewDecided": {"outcome": CASE_REVIEW_OUTCOME},
    "CaseReviewConcluded": {"recommendations": CASE_REVIEW_RECOMMENDATIONS},
    "CaseClosed": {
        "full_reasons": CLOSURE_REASONS,
        "explanation": CLOSURE_EXPLANATION,
        "advice": CLOSURE_ADVICE,
        "feedback.why_not_preferred": CLOSURE_WHY_NOT_PREFERRED,
    },
    "CaseReopened": {"reason": REOPEN_REASON},
}
"""Where each sealed field of each case event is bound (event kind, then the field's path
within the event): what a reader of stored events, rather than of the aggregate, unseals
it under. ``tests/unit/test_sealed_binding.py`` checks that every sealed field of every
case event class is here."""

BREAK_GLASS_RATIONALE = "break_glass.rationale"
"""A supervisor's reason, in their words, for reading a case outside their team."""
BREAK_GLASS_NOTE = "break_glass.review_note"
"""The DPO's note on closing a break-glass alert."""
