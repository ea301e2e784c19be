"""Domain errors; every broken rule carries a stable rule code."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from uuid import UUID


class Rule(Enum):
    """Stable rule codes. Clients and auditors rely on these strings: never rename one."""

    CASE_CLOSED = "case.closed"
    CASE_NOT_CLOSED = "case.not_closed"
    TEXT_REQUIRED = "field.text_required"
    TEXT_INVALID = "field.text_invalid"
    TIMEZONE_REQUIRED = "field.timezone_required"
    PERSON_NOT_LINKED = "person.not_linked"
    PERSON_ALREADY_LINKED = "person.already_linked"
    INCIDENT_DUPLICATE = "incident.duplicate"
    INCIDENT_UNKNOWN = "incident.unknown"
    RISK_UNKNOWN_INSTRUMENT = "risk.unknown_instrument"
    RISK_ANSWERS_INVALID = "risk.answers_invalid"
    RISK_OVERRIDE_RATIONALE = "risk.override_needs_rationale"
    ACTION_OWNER_REQUIRED = "action.owner_required"
    ACTION_DUE_REQUIRED = "action.due_date_required"
    ACTION_DUPLICATE = "action.duplicate"
    ACTION_UNKNOWN = "action.unknown"
    ACTION_NOT_OPEN = "action.not_open"
    TIMESCALES_ORDER = "timescales.out_of_order"
    SUPPORT_CONSENT_REQUIRED = "support.consent_required"
    SHARE_RECIPIENT_REQUIRED = "share.recipient_required"
    SHARE_PURPOSE_REQUIRED = "share.purpose_required"
    SHARE_LAWFUL_BASIS_REQUIRED = "share.lawful_basis_required"
    SHARE_ITEMS_REQUIRED = "share.items_required"
    SHARE_CONDITION_REQUIRED = "share.special_category_condition_required"
    SHARE_CONSENT_REQUIRED = "share.consent_basis_needs_consent"
    SHARE_CONSENT_REASON = "share.consent_not_sought_needs_reason"
    SHARE_AUTHORISER_REQUIRED = "share.authoriser_required"
    POLICE_REFERRAL_INCIDENTS = "police_referral.incidents_required"
    POLICE_REFERRAL_DUPLICATE = "police_referral.already_referred"
    AGENCY_ALREADY_JOINED = "agency.already_joined"
    ENFORCEMENT_SUBJECT = "enforcement.subject_not_alleged_perpetrator"
    ENFORCEMENT_CPN_NEEDS_CPW = "enforcement.cpn_needs_prior_warning"
    CASE_REVIEW_UNKNOWN = "case_review.unknown"
    CASE_REVIEW_DUPLICATE = "case_review.duplicate_request"
    CASE_REVIEW_DECIDED = "case_review.already_decided"
    CASE_REVIEW_ACKNOWLEDGED = "case_review.already_acknowledged"
    CASE_REVIEW_NOT_DECIDED = "case_review.not_decided"
    CASE_REVIEW_THRESHOLD_NOT_MET = "case_review.threshold_not_met"
    CASE_REVIEW_CONCLUDED = "case_review.already_concluded"
    CLOSURE_REASONS_REQUIRED = "closure.reasons_required"
    CLOSURE_FEEDBACK_REQUIRED = "closure.feedback_required"
    CLOSURE_EXPLANATION_REQUIRED = "closure.explanation_and_advice_required"
    CLOSURE_PREFERRED_METHOD = "closure.preferred_method_not_used_needs_reason"
    CLOSURE_NEEDS_SUPERVISOR = "closure.needs_supervisor"
    CLOSURE_NO_CONTACT_ATTEMPTS = "closure.no_contact_attempts_incomplete"
    REOPEN_REASON_REQUIRED = "reopen.reason_required"
    ASSIGNMENT_UNCHANGED = "assignment.unchanged"
    KEY_DESTROYED = "sealing.key_destroyed"
    SEAL_SCOPE = "sealing.wrong_scope"
    PARTNER_NOT_SHARED = "partner.not_shared_with_you"
    DATE_IN_FUTURE = "date.in_future"
    DATE_TOO_EARLY = "date.too_early"
    DATE_BEFORE_CASE = "date.before_complaint_received"
    DATE_BEFORE_INCIDENT = "date.before_incident"
    WARD_UNKNOWN = "ward.unknown"
    ORGANISATION_UNKNOWN = "organisation.unknown"
    ORGANISATION_RETIRED = "organisation.not_a_signatory"
    ORGANISATION_ALREADY_REGISTERED = "organisation.already_registered"
    ORGANISATION_AGENCY_MISMATCH = "organisation.agency_mismatch"
    SHARE_PROTOCOL_MISMATCH = "share.protocol_not_the_recipients"
    POLICE_FORCE_REQUIRED = "police_referral.force_required"
    ORGANISATION_NOT_NAMED = "organisation.not_named_on_case"
    PERSON_NOTHING_TO_CORRECT = "person.nothing_to_correct"
    PERSON_MERGE = "person.merge_refused"
    PERSON_POSSIBLE_DUPLICATE = "person.possible_duplicate"
    PERSON_UNKNOWN = "person.unknown"
    PLACE_UNRECOGNISED = "place.unrecognised"
    ERASURE_CASE_OPEN = "erasure.case_open"
    ERASURE_OPEN_SAR = "erasure.open_sar"
    SAR_CLOSED = "sar.closed"
    SAR_CLOCK = "sar.clock"
    SAR_EXTENSION = "sar.extension_refused"
    SAR_GROUND = "sar.ground"
    SAR_ITEM_UNKNOWN = "sar.item_unknown"
    SAR_DATE = "sar.date"
    POLICE_REFERENCE_FORMAT = "police_referral.reference_format"
    BREAK_GLASS_NOT_NEEDED = "break_glass.not_needed"
    BREAK_GLASS_ACTIVE = "break_glass.already_granted"
    ALERT_CLOSED = "break_glass.alert_closed"
    ERASURE_LEGAL_HOLD = "erasure.legal_hold"
    HOLD_LIFTED = "hold.already_lifted"
    HOLD_SCOPE_UNKNOWN = "hold.scope_unknown"
    HOLD_REFERENCE_FORMAT = "hold.reference_format"
    RETENTION_CASE_OPEN = "retention.case_open"
    RETENTION_NOT_DUE = "retention.not_due"
    RETENTION_LEGAL_HOLD = "retention.legal_hold"
    RETENTION_OPEN_SAR = "retention.open_sar"


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


class RuleViolation(LedgerError):
    """A domain rule was broken; nothing was recorded. Where a command broke several at
    once, ``also`` holds the others (``all`` is every one, this first)."""

    def __init__(self, rule: Rule, detail: str, *, also: tuple[RuleViolation, ...] = ()) -> None:
        super().__init__(f"{rule.value}: {detail}")
        self.rule = rule
        self.detail = detail
        self.also = also

    @property
    def all(self) -> tuple[RuleViolation, ...]:
        return (self, *self.also)

    @classmethod
    def of(cls, broken: list[RuleViolation]) -> RuleViolation:
        """One error for every rule in ``broken`` (at least one), the first leading."""
        first, *rest = [v for violation in broken for v in violation.all]
        return cls(first.rule, first.detail, also=tuple(rest))


class Broken:
    """Collects the rules a command breaks, so that it reports them all at once."""

    def __init__(self) -> None:
        self.found: list[RuleViolation] = []

    def add(self, rule: Rule, detail: str) -> None:
        self.found.append(RuleViolation(rule, detail))

    def check(self, check: Callable[[], object]) -> None:
        """Runs ``check``, keeping what it raises."""
        try:
            check()
        except RuleViolation as violation:
            self.found.append(violation)

    def raise_any(self) -> None:
        if self.found:
            raise RuleViolation.of(self.found)


class CaseNotFound(LedgerError):
    def __init__(self, case_id: UUID | str) -> None:
        super().__init__(f"case {case_id} not found")
        self.case_id = case_id


class HoldNotFound(LedgerError):
    def __init__(self, hold_id: UUID) -> None:
        super().__init__(f"legal hold {hold_id} not found")
        self.hold_id = hold_id


class StaleVersion(LedgerError):
    """The caller's expected version is not the case's current version."""

    def __init__(self, case_id: UUID, expected: int, current: int) -> None:
        super().__init__(f"case {case_id} is at version {current}, not {expected}")
        self.case_id = case_id
        self.expected = expected
        self.current = current


class ConcurrentWrite(LedgerError):
    """Another writer saved the case first; this save recorded nothing."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"case {case_id} was changed by another writer; reload and retry")
        self.case_id = case_id


class NothingToSave(LedgerError):
    """A save with no new events: after a lost conflict, reload the case and act again."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"case {case_id} has nothing new to save; reload it and act again")
        self.case_id = case_id


class MasterKeyError(LedgerError):
    """The master key is missing, or is not the one the store's data keys were wrapped with."""


class IntegrityFailure(LedgerError):
    """A stored case does not match its hash chain."""

    def __init__(self, case_id: UUID, version: int, reason: str) -> None:
        super().__init__(f"case {case_id} version {version}: {reason}")
        self.case_id = case_id
        self.version = version
        self.reason = reason


class SealBroken(LedgerError):
    """A ciphertext failed authentication: altered, moved from its place, or its key is lost."""

    def __init__(self, scope: str, field: str, why: str = "failed authentication") -> None:
        super().__init__(f"sealed field {field} under {scope}: {why}")
        self.scope = scope
        self.field = field


class UnknownKey(LedgerError):
    """No key was ever stored for a scope: lost, or a ciphertext relabelled. Never an erasure."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"no data key was ever stored for {scope}")
        self.scope = scope
