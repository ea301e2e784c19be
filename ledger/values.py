"""Value types carried by events: the actor, sealed fields and small records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ledger.enums import Agency, ContactMethod, RiskLevel, Role


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who did something: a member of staff or a partner officer, never a member of the public.

    Staff identity is the audit trail itself, so it stays in the clear.
    """

    user_id: str
    display_name: str
    role: Role
    organisation: str
    team: str | None = None


@dataclass(frozen=True)
class Sealed:
    """A personal field sealed with AES-256-GCM.

    ``blob`` is nonce (12 bytes) then ciphertext and tag; ``scope`` names the data key
    (``person:<ref>`` or ``case:<id>``). The chain commits to ``digest``, never plaintext.
    """

    scope: str
    blob: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.blob).hexdigest()


def person_scope(person_ref: UUID) -> str:
    """The key scope for a person's identifying details (and notes about them)."""
    return f"person:{person_ref}"


def case_scope(case_id: UUID) -> str:
    """The key scope for a case's free text."""
    return f"case:{case_id}"


@dataclass(frozen=True, kw_only=True)
class PersonDetails:
    """A person's identifying details, each sealed under that person's key."""

    name: Sealed
    contact: Sealed | None = None
    address: Sealed | None = None
    date_of_birth: Sealed | None = None


@dataclass(frozen=True, kw_only=True)
class RiskOverride:
    """An assessor's override of the computed level, with a sealed rationale."""

    level: RiskLevel
    rationale: Sealed | None


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """Feedback given to the complainant on closure."""

    method: ContactMethod
    given_at: datetime
    given_by: str
    preferred_method_used: bool
    why_not_preferred: Sealed | None = None


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """Who received shared information: an organisation and a named officer (sealed)."""

    agency: Agency
    organisation: str
    person: Sealed | None = None


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """What a save returns: the case's new version and the event's notification position."""

    case_id: UUID
    version: int
    position: int
