"""Every field of every stored event that can hold text is sealed, or is on this list with
the reason it cannot carry personal data: a closed list, a strict format, a value the ledger
makes itself, or staff identity from the verified token (the audit trail, in the clear by
design: docs/ledger.md).

The walk reads each stored event class's annotations, and the value types inside them, so a
new ``str`` field fails here until it is sealed or listed with its check (issue 11, point
12). A type the walk does not know also fails, so it cannot be skipped by accident.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate

from ledger.type_names import stored_types
from ledger.values import Sealed

CLOSED_LIST = "checked against a closed list"
FORMAT = "checked against a strict format"
MADE_BY_THE_LEDGER = "made by the ledger, never given by a caller"
TOKEN = "staff identity from the verified token: the audit trail, in the clear by design"

PLAIN: dict[str, str] = {
    # who acted
    "Actor.user_id": TOKEN,
    "Actor.display_name": TOKEN,
    "Actor.team": TOKEN,
    "RiskAssessed.assessor": TOKEN + " (the assessing actor's id)",
    "InformationShared.authorised_by": TOKEN + " (the authorising supervisor's, issue 11.7)",
    "Feedback.given_by": TOKEN + " (the closing actor's id)",
    # staff the case is assigned to, or an action is owned by: a staff id's format
    "CaseAssigned.team": FORMAT + ": a staff id (api.schemas.base.StaffId)",
    "CaseAssigned.officer": FORMAT + ": a staff id (api.schemas.base.StaffId)",
    "ActionPlanned.owner_officer": FORMAT + ": a staff id (api.schemas.base.StaffId)",
    # identifiers
    "ActionPlanned.action_id": FORMAT + ": an action id (api.schemas.plan.ActionId)",
    "ActionCompleted.action_id": FORMAT + ": an action id of the case's plan",
    "ActionCancelled.action_id": FORMAT + ": an action id of the case's plan",
    "CaseClosed.cancelled_actions": FORMAT + ": the action ids of the case's plan",
    "CaseOpened.reference": MADE_BY_THE_LEDGER + " (ASB-YYYY-NNNNNN)",
    "ReferenceRegistered.reference": MADE_BY_THE_LEDGER + " (ASB-YYYY-NNNNNN)",
    "InformationShared.items": FORMAT + ": an item kind and a UUID (ledger.rules._ITEM)",
    "CaseEvent.prev_hash": MADE_BY_THE_LEDGER + " (a SHA-256 in hex)",
    # the fields kept plain for counting, matching and the disclosure log (point 12)
    "CaseOpened.ward": CLOSED_LIST + ": the council's wards (ASB_WARDS, ledger.vocabulary)",
    "PoliceReferralMade.police_reference": FORMAT
    + ": the force's (ASB_POLICE_REFERENCE_FORMAT, ledger.vocabulary)",
    "EnforcementActionTaken.legislation": CLOSED_LIST + ": ledger.enums.Provision",
    "RiskAssessed.instrument": CLOSED_LIST + ": the registered instruments (ledger.risk)",
    "RiskAssessed.answers": CLOSED_LIST + ": the instrument's question ids",
    # records the ledger writes about its own work
    "Accessed.request_id": FORMAT + ": [A-Za-z0-9._-]{1,64} or a UUID (api.middleware)",
    "Accessed.view": MADE_BY_THE_LEDGER + " (the route's name)",
    "Accessed.reason": MADE_BY_THE_LEDGER + " (the policy's fixed-form decision)",
    "KeyDestroyed.scope": MADE_BY_THE_LEDGER + " (person:<uuid> or case:<uuid>)",
    "BreakGlassGranted.reference": MADE_BY_THE_LEDGER + " (the case's, ASB-YYYY-NNNNNN)",
    "BreakGlassGranted.teams": TOKEN + " (the supervisor's teams)",
    "BreakGlassIndexOpened.user_id": TOKEN + " (the supervisor's id)",
    "CommandRecorded.command": MADE_BY_THE_LEDGER + " (a command's stable name)",
    "CommandRecorded.fingerprint": MADE_BY_THE_LEDGER + " (a keyed hash of the request)",
    # legal holds and retention (issue 13 §3)
    "HoldPlaced.reference": FORMAT + ": a matter's reference, no spaces (ledger.holds.REFERENCE)",
    "CaseErased.reference": MADE_BY_THE_LEDGER + " (ASB-YYYY-NNNNNN)",
    "CaseErased.scopes": MADE_BY_THE_LEDGER + " (case:<uuid> or person:<uuid>)",
}

REGISTERED = CLOSED_LIST + ": a registered organisation's id (ledger/organisations.py)"
PLAIN |= {
    "Actor.organisation": TOKEN + " (a partner's is a registered id, checked on every request)",
    "Recipient.organisation": REGISTERED,
    "AgencyJoined.organisation": REGISTERED,
    "SupportReferralMade.organisation": REGISTERED,
    "PoliceReferralMadeV2.organisation": REGISTERED + " (a police signatory)",
    "TimescalesAgreedV2.organisations": REGISTERED,
    "OrganisationIdentified.organisation": REGISTERED,
    "OrganisationIdentified.named": CLOSED_LIST + ": a registered organisation's name, exactly"
    " (commands/identify_organisations.py)",
    "InformationShared.protocol_reference": CLOSED_LIST + ": the recipient's, from the register",
    "OrganisationRegistered.org_id": FORMAT + ": a slug (ledger.organisations.ORGANISATION_ID)",
    "OrganisationRegistered.name": "the register's own record: a signatory's public name,"
    " entered by an admin, never about a case's people",
    "OrganisationRegistered.protocol_reference": "the register's own record: the protocol a"
    " signatory signed, entered by an admin",
    "CaseOpenedV2.place": FORMAT + ": a UPRN or a keyed hash of an address (ledger.places.check)",
    "IncidentRecordedV2.place": FORMAT + ": a UPRN or a keyed hash of an address"
    " (ledger.places.check)",
    "SarItemReviewed.item": CLOSED_LIST + ": an item of the request's draft, as the ledger"
    " names them (replay.sar_items: third_party:<ref>:<field>, actor:<staff id>,"
    " record:<case>:<version>); anything else is refused (sar.item_unknown)",
    "SarIssued.report_sha256": FORMAT + ": 64 hex digits (ledger.sar.SubjectAccessRequest.issue)",
    "SarIssued.bundle_sha256": FORMAT + ": 64 hex digits (ledger.sar.SubjectAccessRequest.issue)",
}

SAFE = (bool, int, float, UUID, datetime, date, Sealed, type(None))
TOPIC_FIELDS = {"originator_topic"}


def _annotations(cls: type) -> Iterator[tuple[type, str, object]]:
    """Each field the class (and its bases but the library's) declares, with its type."""
    for klass in reversed(cls.__mro__):
        if klass.__module__.split(".")[0] in {"eventsourcing", "builtins", "typing"}:
            continue
        module = sys.modules[klass.__module__]
        for name, hint in vars(klass).get("__annotations__", {}).items():
            if typing.get_origin(hint) is typing.ClassVar or "ClassVar" in str(hint):
                continue
            yield klass, name, eval(hint, vars(module)) if isinstance(hint, str) else hint


def _texts(owner: str, name: str, hint: object) -> Iterator[str]:
    """The dotted names of every place under ``hint`` that can hold a ``str``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        yield f"{owner}.{name}"
    elif origin in (types.UnionType, typing.Union, tuple):
        for arg in args:
            if arg is not Ellipsis:
                yield from _texts(owner, name, arg)
    elif origin is dict:
        key, value = args
        if key is str:
            yield f"{owner}.{name}"
        yield from _texts(owner, name, value)
    elif isinstance(hint, type) and issubclass(hint, (Enum, *SAFE)):
        return
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        for _, field, inner in _annotations(hint):
            yield from _texts(hint.__name__, field, inner)
    else:
        raise AssertionError(f"{owner}.{name}: the walk does not know {hint!r}: teach it")


def text_fields() -> set[str]:
    found: set[str] = set()
    for cls in stored_types().values():
        if not issubclass(cls, CanMutateAggregate):
            continue  # aggregates are stored as their events
        for declarer, name, hint in _annotations(cls):
            if name in TOPIC_FIELDS:
                continue
            found |= set(_texts(declarer.__name__, name, hint))
    return found


def test_every_text_field_of_every_stored_event_is_sealed_or_checked() -> None:
    unsealed = text_fields() - PLAIN.keys()
    assert unsealed == set(), "seal these, or check them against a closed list or format"


def test_the_list_names_only_fields_that_exist() -> None:
    stale = PLAIN.keys() - text_fields()
    assert stale == set()


def test_the_walk_finds_a_new_free_text_field() -> None:
    """The control: a stored event with a plain ``str`` is found."""
    from ledger.events import CaseEvent
    from ledger.type_names import stored_as

    @stored_as("asb.case.WalkControl.v1")
    class WalkControl(CaseEvent):
        note: str
        sealed_note: Sealed | None

    try:
        assert "WalkControl.note" in text_fields()
        assert "WalkControl.sealed_note" not in text_fields()
    finally:
        from ledger import type_names

        del type_names._by_name["asb.case.WalkControl.v1"]
        del type_names._by_class[WalkControl]
