"""What the disclosure log answers with: its entries, a query's filter, pages and opaque cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from projections.paging import Cursor

DisclosureKind = Literal["access", "share", "police_referral"]
KINDS: tuple[DisclosureKind, ...] = ("access", "share", "police_referral")


@dataclass(frozen=True, kw_only=True)
class Disclosure:
    """One disclosure: a read of a case's data (granted or refused), a share with a partner,
    or a referral to the police. References, ids, codes and staff ids only, never plaintext.

    ``actor_*`` is who saw the data (an access) or who disclosed it (a share or referral);
    ``recipient_*`` is who received it (a share or referral). ``occurred_at`` is when it
    was shown or disclosed (a referral: when it was disseminated); ``recorded_at`` is when
    the ledger recorded it. ``case_version`` is the version shown (an access) or the
    version the disclosure made (a share or referral). ``grant_id`` marks a read made under a
    break-glass grant.
    """

    position: int
    kind: DisclosureKind
    occurred_at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    actor_organisation: str
    case_id: UUID | None
    case_version: int | None
    view: str
    subjects: tuple[UUID, ...]
    items: tuple[str, ...]
    recipient_agency: str | None = None
    recipient_organisation: str | None = None
    purpose: str | None = None
    lawful_basis: str | None = None
    gateway: str | None = None
    condition: str | None = None
    consent: str | None = None
    authorised_by: str | None = None
    protocol_reference: str | None = None
    share_id: UUID | None = None
    police_reference: str | None = None
    request_id: str | None = None
    outcome: str = "disclosed"
    reason: str | None = None
    grant_id: UUID | None = None
    """A read under a supervisor's break-glass grant: the grant (its purpose is
    ``break_glass``); None for every other entry."""


@dataclass(frozen=True, kw_only=True)
class DisclosureQuery:
    """Which disclosures: about a subject, on a case, by an actor, in a time window
    (``since`` inclusive, ``until`` exclusive, on ``occurred_at``). All given filters apply."""

    subject: UUID | None = None
    also: tuple[UUID, ...] = ()
    """Other references of the subject: records merged with theirs (the person register)."""
    case_id: UUID | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must carry a time zone")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("since must not be after until")


@dataclass(frozen=True)
class DisclosurePage:
    """A page of the log, newest first; ``next_cursor`` is None on the last page."""

    items: list[Disclosure]
    next_cursor: str | None


CURSOR = Cursor("dl1")
"""The disclosure log's cursors: the position of the last entry listed."""
