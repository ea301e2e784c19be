"""Each rule code in plain words, for the error summaries of the pages.

A page shows the rule's plain words as the summary's link text and the ledger's own detail
beneath; the code itself is shown too, small, for support and auditors. A test checks that
every rule has words here.
"""

from __future__ import annotations

from ledger.errors import Rule

PLAIN: dict[Rule, str] = {
    Rule.CASE_CLOSED: "The case is closed",
    Rule.CASE_NOT_CLOSED: "The case is not closed",
    Rule.TEXT_REQUIRED: "Enter the text this needs",
    Rule.TEXT_INVALID: "The text contains characters that cannot be kept",
    Rule.TIMEZONE_REQUIRED: "Give the time with its time zone",
    Rule.PERSON_NOT_LINKED: "That person is not on this case",
    Rule.PERSON_ALREADY_LINKED: "That person is already on this case in that role",
    Rule.INCIDENT_DUPLICATE: "That incident is already recorded",
    Rule.INCIDENT_UNKNOWN: "That incident is not on this case",
    Rule.RISK_UNKNOWN_INSTRUMENT: "That risk assessment form is not known",
    Rule.RISK_ANSWERS_INVALID: "The risk assessment answers are not complete or not valid",
    Rule.RISK_OVERRIDE_RATIONALE: "Explain why the risk level differs from the score",
    Rule.ACTION_OWNER_REQUIRED: "Name who owns the action",
    Rule.ACTION_DUE_REQUIRED: "Give the date the action is due",
    Rule.ACTION_DUPLICATE: "That action is already planned",
    Rule.ACTION_UNKNOWN: "That action is not on this case",
    Rule.ACTION_NOT_OPEN: "That action is already completed or cancelled",
    Rule.TIMESCALES_ORDER: "The timescales are in the wrong order",
    Rule.SUPPORT_CONSENT_REQUIRED: "A support referral needs the person's consent",
    Rule.SHARE_RECIPIENT_REQUIRED: "Choose the organisation to share with",
    Rule.SHARE_PURPOSE_REQUIRED: "Give the purpose of the share",
    Rule.SHARE_LAWFUL_BASIS_REQUIRED: "Choose the lawful basis for the share",
    Rule.SHARE_ITEMS_REQUIRED: "Choose what to share",
    Rule.SHARE_CONDITION_REQUIRED: "Special category data needs a condition for processing",
    Rule.SHARE_CONSENT_REQUIRED: "Sharing on consent needs the consent recorded",
    Rule.SHARE_CONSENT_REASON: "Explain why consent was not sought",
    Rule.SHARE_AUTHORISER_REQUIRED: "A share needs a supervisor's authorisation",
    Rule.POLICE_REFERRAL_INCIDENTS: "Choose the incidents to refer to the police",
    Rule.POLICE_REFERRAL_DUPLICATE: "That incident is already referred to the police",
    Rule.AGENCY_ALREADY_JOINED: "That agency is already working on the case",
    Rule.ENFORCEMENT_SUBJECT: "Enforcement must be against an alleged perpetrator on the case",
    Rule.ENFORCEMENT_CPN_NEEDS_CPW: "A community protection notice needs a written warning first",
    Rule.CASE_REVIEW_UNKNOWN: "That ASB Case Review is not on this case",
    Rule.CASE_REVIEW_DUPLICATE: "That ASB Case Review request is already recorded",
    Rule.CASE_REVIEW_DECIDED: "The ASB Case Review threshold is already decided",
    Rule.CASE_REVIEW_ACKNOWLEDGED: "The ASB Case Review request is already acknowledged",
    Rule.CASE_REVIEW_NOT_DECIDED: "Decide the ASB Case Review threshold first",
    Rule.CASE_REVIEW_THRESHOLD_NOT_MET: "The ASB Case Review threshold is not met",
    Rule.CASE_REVIEW_CONCLUDED: "The ASB Case Review is already concluded",
    Rule.CLOSURE_REASONS_REQUIRED: "Give the full reasons for closing",
    Rule.CLOSURE_FEEDBACK_REQUIRED: "Record the feedback given to the complainant",
    Rule.CLOSURE_EXPLANATION_REQUIRED: "No further action needs an explanation and advice",
    Rule.CLOSURE_PREFERRED_METHOD: "Explain why feedback was not by the preferred method",
    Rule.CLOSURE_NEEDS_SUPERVISOR: "A supervisor must close this case",
    Rule.CLOSURE_NO_CONTACT_ATTEMPTS: "Closing for no contact needs every contact attempt",
    Rule.REOPEN_REASON_REQUIRED: "Give the reason for reopening",
    Rule.ASSIGNMENT_UNCHANGED: "The case is already assigned that way",
    Rule.KEY_DESTROYED: "That person's data has been erased",
    Rule.SEAL_SCOPE: "The sealed data does not belong to this case",
    Rule.PARTNER_NOT_SHARED: "This was not shared with your organisation",
    Rule.DATE_IN_FUTURE: "The date cannot be in the future",
    Rule.DATE_TOO_EARLY: "The date is too far in the past",
    Rule.DATE_BEFORE_CASE: "The date is before the complaint was received",
    Rule.DATE_BEFORE_INCIDENT: "The date is before the incident",
    Rule.WARD_UNKNOWN: "That ward is not one of the council's",
    Rule.ORGANISATION_UNKNOWN: "That organisation is not registered",
    Rule.ORGANISATION_RETIRED: "That organisation is not a signatory of the protocol",
    Rule.ORGANISATION_ALREADY_REGISTERED: "That organisation is already registered",
    Rule.ORGANISATION_AGENCY_MISMATCH: "That organisation is not that kind of agency",
    Rule.SHARE_PROTOCOL_MISMATCH: "That is not the recipient's sharing protocol",
    Rule.POLICE_FORCE_REQUIRED: "Choose the police force",
    Rule.ORGANISATION_NOT_NAMED: "That organisation is not named on the case",
    Rule.PERSON_NOTHING_TO_CORRECT: "Nothing was changed",
    Rule.PERSON_MERGE: "These records cannot be merged",
    Rule.PERSON_POSSIBLE_DUPLICATE: "This person may already be on the register",
    Rule.PERSON_UNKNOWN: "That person is not on the register",
    Rule.PLACE_UNRECOGNISED: "That address was not recognised",
    Rule.ERASURE_CASE_OPEN: "The person is on an open case",
    Rule.ERASURE_OPEN_SAR: "A subject access request about the person is open",
    Rule.SAR_CLOSED: "The subject access request is closed",
    Rule.SAR_CLOCK: "The request's clock cannot be changed that way",
    Rule.SAR_EXTENSION: "The request cannot be extended",
    Rule.SAR_GROUND: "Withholding needs a ground",
    Rule.SAR_ITEM_UNKNOWN: "That item is not in the draft",
    Rule.SAR_DATE: "The date is not valid for the request",
    Rule.POLICE_REFERENCE_FORMAT: "The police reference is not in the force's format",
    Rule.BREAK_GLASS_NOT_NEEDED: "You can already see this case",
    Rule.BREAK_GLASS_ACTIVE: "You already have emergency access to this case",
    Rule.ALERT_CLOSED: "That alert is already reviewed",
    Rule.ERASURE_LEGAL_HOLD: "A legal hold covers the person",
    Rule.HOLD_LIFTED: "The legal hold is already lifted",
    Rule.HOLD_SCOPE_UNKNOWN: "The hold names nothing the ledger holds",
    Rule.HOLD_REFERENCE_FORMAT: "The hold's reference is not in the expected format",
    Rule.RETENTION_CASE_OPEN: "The case is open",
    Rule.RETENTION_NOT_DUE: "The case is not yet past its retention",
    Rule.RETENTION_LEGAL_HOLD: "A legal hold covers the case",
    Rule.RETENTION_OPEN_SAR: "A subject access request covers the case",
}

OTHER: dict[str, str] = {
    "case.team_not_yours": "Choose one of your own teams",
    "read.position_not_issued": "The page asked for a state the ledger has not reached",
    "idempotency.key_reused": "This form was already sent with different answers",
    "case.stale_version": "Someone else changed this case while you had this form open",
    "share.authoriser_mismatch": "The authorising supervisor is not the one named",
}
"""Codes the API gives that are not the ledger's rules."""


def plain_words(code: str) -> str:
    """The rule in plain words (its code, humanised, for one this table lacks)."""
    try:
        return PLAIN[Rule(code)]
    except ValueError:
        pass
    if code in OTHER:
        return OTHER[code]
    return code.replace("_", " ").replace(".", ": ").capitalize()
