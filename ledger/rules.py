"""Rules the Case aggregate checks that need more than a line: shares, closure, enforcement."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from ledger.calendar import add_working_days
from ledger.enums import (
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    EnforcementTool,
    LawfulBasis,
    RiskLevel,
    Role,
    SharePurpose,
    SpecialCategoryCondition,
)
from ledger.errors import Broken, Rule, RuleViolation
from ledger.values import Actor, Recipient, Sealed, case_scope, person_scope

if TYPE_CHECKING:
    from ledger.case_state import Contact, Enforcement

T = TypeVar("T")

SHARE_ITEM_KINDS = frozenset(
    {
        "case_summary",
        "incident",
        "person",
        "risk_assessment",
        "action_plan",
        "timescales",
        "contact_history",
        "enforcement",
        "police_referral",
        "support_referral",
    }
)
"""What may be named in a share. ``incident`` and ``person`` must say which one."""

_ITEM = re.compile(r"^(?P<kind>[a-z_]+)(?::(?P<ref>[0-9a-fA-F-]{36}))?$")

NO_CONTACT_PHONE_ATTEMPTS = 3
NO_CONTACT_LETTERS = 1
NO_CONTACT_WAIT_WORKING_DAYS = 10


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""No ASB record is older than this: an earlier date is a typing error."""


def check_dates(arguments: dict[str, Any], *, now: datetime, skew: timedelta) -> None:
    """Every moment an event records is in the past (``skew``: how far a client's clock may
    run ahead of ours) and not before ``EARLIEST``; ``date`` values (due dates) may be ahead."""
    for path, moment in _moments(arguments):
        if moment.tzinfo is None:
            continue  # refused, naming the field, where the aggregate makes it UTC
        if moment > now + skew:
            raise RuleViolation(Rule.DATE_IN_FUTURE, f"{path} is in the future")
        if moment < EARLIEST:
            raise RuleViolation(Rule.DATE_TOO_EARLY, f"{path} is before {EARLIEST.year}")


def _moments(arguments: dict[str, Any]) -> Iterator[tuple[str, datetime]]:
    for name, value in arguments.items():
        if isinstance(value, datetime):
            yield name, value
        elif is_dataclass(value) and not isinstance(value, type):
            for item in fields(value):
                inner = getattr(value, item.name)
                if isinstance(inner, datetime):
                    yield f"{name}.{item.name}", inner


def require(value: T | None, name: str) -> T:
    """A sealed text field must be given (sealing turns blank text into ``None``)."""
    if value is None:
        raise RuleViolation(Rule.TEXT_REQUIRED, f"{name} is required")
    return value


def text(value: str | None, name: str) -> str:
    stripped = (value or "").strip()
    if not stripped:
        raise RuleViolation(Rule.TEXT_REQUIRED, f"{name} is required")
    return stripped


def check_support_consent(consent: ConsentStatus, note: Sealed | None) -> None:
    """Consent given, or why it was not needed. ``refused`` records support offered and
    declined: the offer is a fact the record keeps, and nothing is sent to the service."""
    if consent is ConsentStatus.NOT_SOUGHT and note is None:
        raise RuleViolation(
            Rule.SUPPORT_CONSENT_REQUIRED, "record why consent was not needed for the referral"
        )


def check_share(
    *,
    recipient: Recipient | None,
    items: Sequence[str],
    purpose: SharePurpose | None,
    justification: Sealed | None,
    lawful_basis: LawfulBasis | None,
    includes_special_category: bool,
    condition: SpecialCategoryCondition | None,
    consent: ConsentStatus,
    consent_note: Sealed | None,
    authoriser: Actor | None,
    carried: Sequence[str] = (),
    known_incidents: Iterable[UUID],
    known_persons: Iterable[UUID],
) -> tuple[str, ...]:
    """Checks a share is lawful, necessary, named and authorised; returns the items,
    deduplicated. ``carried``: the items that carry special-category or criminal data.
    Every broken rule is reported at once."""
    broken = Broken()
    if recipient is None or not recipient.organisation.strip():
        broken.add(Rule.SHARE_RECIPIENT_REQUIRED, "a share needs a recipient organisation")
    if purpose is None or justification is None:
        broken.add(Rule.SHARE_PURPOSE_REQUIRED, "a share needs a purpose and why it is necessary")
    if lawful_basis is None:
        broken.add(Rule.SHARE_LAWFUL_BASIS_REQUIRED, "a share needs a lawful basis")
    if includes_special_category and condition is None:
        which = f" ({', '.join(carried)})" if carried else ""
        broken.add(
            Rule.SHARE_CONDITION_REQUIRED,
            f"special-category or criminal data{which} needs a DPA 2018 condition",
        )
    if lawful_basis is LawfulBasis.CONSENT and consent is not ConsentStatus.GIVEN:
        broken.add(Rule.SHARE_CONSENT_REQUIRED, "consent as the basis needs consent given")
    if consent is ConsentStatus.NOT_SOUGHT and consent_note is None:
        broken.add(Rule.SHARE_CONSENT_REASON, "record why consent was not sought")
    if authoriser is None or authoriser.role not in AUTHORISERS:
        broken.add(
            Rule.SHARE_AUTHORISER_REQUIRED,
            "a share is authorised by a supervisor: share as one, or with one's authorisation",
        )
    broken.check(lambda: _check_items(items, set(known_incidents), set(known_persons)))
    broken.raise_any()
    return _check_items(items, set(known_incidents), set(known_persons))


AUTHORISERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Roles whose members may authorise a share."""

CLOSERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Roles whose members may close a case that is high risk, has a victim never assessed, an
unreferred criminal incident or an open action (``check_closure_authority``)."""


def _check_items(items: Sequence[str], incidents: set[UUID], persons: set[UUID]) -> tuple[str, ...]:
    if not items:
        raise RuleViolation(
            Rule.SHARE_ITEMS_REQUIRED, "name the items shared, never the whole file"
        )
    for item in items:
        match = _ITEM.match(item)
        if match is None or match["kind"] not in SHARE_ITEM_KINDS:
            raise RuleViolation(
                Rule.SHARE_ITEMS_REQUIRED,
                f"items must be named from {sorted(SHARE_ITEM_KINDS)}",
            )
        kind, ref = match["kind"], match["ref"]
        if kind in {"incident", "person"}:
            known = incidents if kind == "incident" else persons
            if ref is None or UUID(ref) not in known:
                raise RuleViolation(
                    Rule.SHARE_ITEMS_REQUIRED, f"a shared {kind} must be one on this case"
                )
    return tuple(dict.fromkeys(items))


def check_enforcement_sequence(
    tool: EnforcementTool, subject_ref: UUID, history: Sequence[Enforcement]
) -> None:
    """A community protection notice needs an earlier warning to the same person."""
    if tool is EnforcementTool.COMMUNITY_PROTECTION_NOTICE and not any(
        e.tool is EnforcementTool.COMMUNITY_PROTECTION_WARNING and e.subject_ref == subject_ref
        for e in history
    ):
        raise RuleViolation(
            Rule.ENFORCEMENT_CPN_NEEDS_CPW,
            "a community protection notice must follow a written warning to the same person",
        )


def check_closure_authority(
    actor: Actor,
    *,
    risk_level: RiskLevel | None,
    unreferred: Sequence[UUID],
    open_actions: Sequence[str],
    unassessed_victims: Sequence[UUID] = (),
) -> None:
    """High risk (assessed, or indicated by cumulative harm), an unreferred criminal
    incident, an open action, or a victim on a case never assessed needs a supervisor."""
    blockers = []
    if risk_level is RiskLevel.HIGH:
        blockers.append("the case is high risk (assessed, or as cumulative harm indicates)")
    if unassessed_victims:
        blockers.append("the case has a victim and no risk assessment")
    if unreferred:
        blockers.append("a criminal incident has not been referred to the police")
    if open_actions:
        blockers.append(f"actions are still open: {', '.join(open_actions)}")
    if blockers and actor.role not in CLOSERS:
        raise RuleViolation(
            Rule.CLOSURE_NEEDS_SUPERVISOR,
            "a supervisor must close this case: " + "; ".join(blockers),
        )


def check_no_contact(contacts: Sequence[Contact], complainant_ref: UUID, when: datetime) -> None:
    """3 phone attempts and a letter, then 10 working days without reply (DOMAIN §3)."""
    attempts = [
        c
        for c in contacts
        if c.person_ref == complainant_ref and c.direction is ContactDirection.OUTBOUND
    ]
    phones = sum(1 for c in attempts if c.method is ContactMethod.PHONE)
    letters = sum(1 for c in attempts if c.method is ContactMethod.LETTER)
    if phones < NO_CONTACT_PHONE_ATTEMPTS or letters < NO_CONTACT_LETTERS:
        raise RuleViolation(
            Rule.CLOSURE_NO_CONTACT_ATTEMPTS,
            f"no-contact closure needs {NO_CONTACT_PHONE_ATTEMPTS} phone attempts and a letter;"
            f" found {phones} and {letters}",
        )
    last = max(c.occurred_at for c in attempts)
    replied = any(
        c.person_ref == complainant_ref
        and c.direction is ContactDirection.INBOUND
        and c.occurred_at > last
        for c in contacts
    )
    earliest = add_working_days(last.date(), NO_CONTACT_WAIT_WORKING_DAYS)
    if replied or when.date() < earliest:
        raise RuleViolation(
            Rule.CLOSURE_NO_CONTACT_ATTEMPTS,
            f"no-contact closure is possible from {earliest.isoformat()} if no reply comes",
        )


PERSONAL_ARGUMENTS = frozenset({"details", "complainant", "vulnerability_note"})
"""Arguments sealed under the person's key; every other sealed field is the case's free text."""


def check_seal_scopes(case_id: UUID, arguments: dict[str, Any]) -> None:
    """Each sealed field must be under the key it belongs to, or erasure would miss it."""
    person = arguments.get("person_ref") or arguments.get("complainant_ref")
    for name, value in arguments.items():
        personal = name in PERSONAL_ARGUMENTS and isinstance(person, UUID)
        expected = (
            person_scope(person) if isinstance(person, UUID) and personal else case_scope(case_id)
        )
        for path, sealed in sealed_in(value, name):
            if sealed.scope != expected:
                kind = "person's" if personal else "case's"
                raise RuleViolation(Rule.SEAL_SCOPE, f"{path} must be sealed under the {kind} key")


def sealed_in(value: Any, path: str) -> Iterator[tuple[str, Sealed]]:
    if isinstance(value, Sealed):
        yield path, value
    elif is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            yield from sealed_in(getattr(value, item.name), f"{path}.{item.name}")


@contextmanager
def valid_text() -> Iterator[None]:
    """Text that cannot be encoded (a lone surrogate) fails when the event is hashed, before
    any state changes: report it as a broken rule, not a crash."""
    try:
        yield
    except UnicodeEncodeError:
        raise RuleViolation(Rule.TEXT_INVALID, "text must be valid Unicode") from None
