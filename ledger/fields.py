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
BREAK_GLASS_RATIONALE = "break_glass.rationale"
"""A supervisor's reason, in their words, for reading a case outside their team."""
BREAK_GLASS_NOTE = "break_glass.review_note"
"""The DPO's note on closing a break-glass alert."""
