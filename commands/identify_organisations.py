"""The documented migration of organisations named by free text before the register.

Events recorded before the organisation register name a share's recipient, an agency and
a support service by whatever text the caller typed. Such a name is never an id (ids are
lower-case slugs), so it matches no partner's token and is shown to no one. This finds
each such name on each case, maps it to the registered organisation whose name it is
exactly (character for character), and, when applied, records that mapping on the case as
an ``OrganisationIdentified`` event. A name that matches no registered name exactly stays
unmatched: it is listed, and never shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ledger.application import CaseLedger
from ledger.case import Case
from ledger.values import Actor


@dataclass(frozen=True, kw_only=True)
class LegacyName:
    """One free-text organisation on one case, and the registered id it is (if any)."""

    case_id: UUID
    reference: str
    named: str
    organisation: str | None


def find(ledger: CaseLedger) -> list[LegacyName]:
    """Every free-text organisation on every case, matched exactly to the register."""
    registered = ledger.organisations.all()
    ids = frozenset(o.org_id for o in registered)
    by_name = {o.name: o.org_id for o in registered}
    found: list[LegacyName] = []
    for case_id in ledger.case_ids():
        case: Case = ledger.get_case(case_id)
        for named in sorted(case.legacy_organisations(ids)):
            found.append(
                LegacyName(
                    case_id=case_id,
                    reference=case.reference,
                    named=named,
                    organisation=by_name.get(named),
                )
            )
    return found


def apply(ledger: CaseLedger, actor: Actor, now: datetime, names: list[LegacyName]) -> int:
    """Records each matched name on its case; returns how many were recorded."""
    recorded = 0
    for name in names:
        organisation = name.organisation
        if organisation is None:
            continue

        def decide(case: Case, named: str = name.named, org: str = organisation) -> None:
            case.identify_organisation(actor=actor, occurred_at=now, named=named, organisation=org)

        ledger.update(name.case_id, None, decide)
        recorded += 1
    return recorded
