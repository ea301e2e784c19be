"""Stored type names: every stored class declares one, the registry refuses duplicates, and
the names themselves are a contract that changes only on purpose."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, BaseAggregate, CanMutateAggregate
from eventsourcing.persistence import StoredEvent

from ledger.application import CaseLedger
from ledger.events import CASE_EVENT_TYPES, CaseEvent, CaseOpened
from ledger.type_names import (
    TypeNameError,
    UnknownTypeName,
    stored_as,
    stored_class,
    stored_types,
    type_name,
)
from ledger.verify import UNREADABLE

OURS = ("ledger", "commands", "projections", "replay", "api")

NAMES = {
    "asb.access.AccessRecord.v1",
    "asb.access.Accessed.v1",
    "asb.access.Accessed.v2",
    "asb.break_glass.BreakGlassGrant.v1",
    "asb.break_glass.BreakGlassGranted.v1",
    "asb.break_glass.BreakGlassIndex.v1",
    "asb.break_glass.BreakGlassIndexOpened.v1",
    "asb.break_glass.BreakGlassIndexed.v1",
    "asb.break_glass.BreakGlassReviewed.v1",
    "asb.case.ActionCancelled.v1",
    "asb.case.ActionCompleted.v1",
    "asb.case.ActionPlanned.v1",
    "asb.case.AgencyJoined.v1",
    "asb.case.Case.v1",
    "asb.case.CaseAssigned.v1",
    "asb.case.CaseClosed.v1",
    "asb.case.CaseOpened.v1",
    "asb.case.CaseReopened.v1",
    "asb.case.CaseReviewAcknowledged.v1",
    "asb.case.CaseReviewConcluded.v1",
    "asb.case.CaseReviewDecided.v1",
    "asb.case.CaseReviewRequested.v1",
    "asb.case.CaseReviewed.v1",
    "asb.case.ContactRecorded.v1",
    "asb.case.EnforcementActionTaken.v1",
    "asb.case.IncidentRecorded.v1",
    "asb.case.InformationShared.v1",
    "asb.case.OrganisationIdentified.v1",
    "asb.case.PersonLinked.v1",
    "asb.case.PoliceReferralMade.v1",
    "asb.case.PoliceReferralMade.v2",
    "asb.case.RiskAssessed.v1",
    "asb.case.SupportReferralMade.v1",
    "asb.case.TimescalesAgreed.v1",
    "asb.case.TimescalesAgreed.v2",
    "asb.case.CaseOpened.v2",
    "asb.case.IncidentRecorded.v2",
    "asb.erasure.KeyDestroyed.v1",
    "asb.erasure.KeyErasure.v1",
    "asb.hold.ActiveHolds.v1",
    "asb.hold.HoldActivated.v1",
    "asb.hold.HoldDeactivated.v1",
    "asb.hold.HoldIndexStarted.v1",
    "asb.hold.HoldLifted.v1",
    "asb.hold.HoldPlaced.v1",
    "asb.hold.RequestHoldActivated.v1",
    "asb.hold.LegalHold.v1",
    "asb.retention.CaseErased.v1",
    "asb.retention.CaseErasure.v1",
    "asb.idempotency.CommandRecorded.v1",
    "asb.idempotency.IdempotencyRecord.v1",
    "asb.organisation.Organisation.v1",
    "asb.organisation.OrganisationRegistered.v1",
    "asb.organisation.OrganisationRetired.v1",
    "asb.person.Person.v1",
    "asb.person.PersonCorrected.v1",
    "asb.sar.SarClockRestarted.v1",
    "asb.sar.SarClockStopped.v1",
    "asb.sar.SarClosed.v1",
    "asb.sar.SarExtended.v1",
    "asb.sar.SarIdentityChecked.v1",
    "asb.sar.SarIssued.v1",
    "asb.sar.SarItemReviewed.v1",
    "asb.sar.SarRequested.v1",
    "asb.sar.SubjectAccessRequest.v1",
    "asb.sar.SubjectRequestEnded.v1",
    "asb.sar.SubjectRequestOpened.v1",
    "asb.sar.SubjectRequests.v1",
    "asb.sar.SubjectRequestsStarted.v1",
    "asb.person.PersonAbsorbed.v1",
    "asb.person.PersonMerged.v1",
    "asb.person.PersonRegistered.v1",
    "asb.reference.CaseReferenceIndex.v1",
    "asb.reference.ReferenceRegistered.v1",
}
"""Every stored type name. A name here is written in stored rows and hashed into the chain:
changing one is a change to the stored contract (a new ``.vN``, with an upcaster), never a
tidy-up."""


def _all_modules() -> None:
    for package in OURS:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if info.name.endswith(".entry") or ".web." in info.name:
                continue
            importlib.import_module(info.name)


def _subclasses(base: type) -> Iterator[type]:
    cls: type
    for cls in base.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def _stored_classes() -> set[type]:
    """Every event and aggregate class of ours the ledger could write. The library defines
    an ``Event`` and a ``Created`` class on every aggregate; ours are never triggered."""
    _all_modules()
    found: set[type] = set()
    for base in (CanMutateAggregate, BaseAggregate):
        for cls in _subclasses(base):
            if cls.__module__.split(".")[0] not in OURS or cls is CaseEvent:
                continue
            if cls.__qualname__.endswith((".Event", ".Created")):
                continue
            found.add(cls)
    return found


def test_every_stored_class_declares_a_name() -> None:
    classes = _stored_classes()
    assert CaseOpened in classes
    assert len(classes) >= len(NAMES)
    for cls in classes:
        assert "TOPIC" in vars(cls), f"{cls.__qualname__} declares no stored type name"
        assert type_name(cls) == vars(cls)["TOPIC"]
        assert stored_class(type_name(cls)) is cls


def test_the_names_are_the_stored_contract() -> None:
    _all_modules()
    assert set(stored_types()) == NAMES
    assert all(name.startswith("asb.case.") for name in map(type_name, CASE_EVENT_TYPES))


def test_a_name_is_never_a_module_path() -> None:
    for name, cls in stored_types().items():
        assert cls.__module__ not in name
        assert ":" not in name


def test_a_second_class_for_a_name_is_refused() -> None:
    class Impostor(CaseEvent):
        note: str

    with pytest.raises(TypeNameError, match="already names CaseOpened"):
        stored_as("asb.case.CaseOpened.v1")(Impostor)
    assert stored_class("asb.case.CaseOpened.v1") is CaseOpened


def test_a_second_name_for_a_class_is_refused() -> None:
    with pytest.raises(TypeNameError, match="already stored as"):
        stored_as("asb.case.CaseOpenedAgain.v1")(CaseOpened)
    assert type_name(CaseOpened) == "asb.case.CaseOpened.v1"


@pytest.mark.parametrize(
    "name",
    [
        "ledger.events:CaseOpened",
        "asb.case.CaseOpened",
        "asb.CaseOpened.v1",
        "asb.case.caseOpened.v1",
        "asb.case.CaseOpened.v0",
        "case.CaseOpened.v1",
    ],
)
def test_a_malformed_name_is_refused(name: str) -> None:
    with pytest.raises(TypeNameError):
        stored_as(name)


def test_an_undeclared_class_has_no_name_even_if_its_parent_has_one() -> None:
    class Subclass(CaseOpened):
        pass

    with pytest.raises(TypeNameError, match="declares no stored type name"):
        type_name(Subclass)


class Unnamed(Aggregate):
    """An aggregate whose class never declared a stored type name."""

    def __init__(self, note: str) -> None:
        self.note = note


def test_the_ledger_never_writes_an_unnamed_class(memory_ledger: CaseLedger) -> None:
    with pytest.raises(TypeNameError):
        memory_ledger.save(Unnamed(note="x"))
    assert memory_ledger.recorder.max_notification_id() in (None, 0)


def test_a_row_naming_a_module_path_is_unreadable_not_imported(
    memory_ledger: CaseLedger,
) -> None:
    row = StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic="ledger.events:CaseOpened",
        state=b"{}",
    )
    with pytest.raises(UnknownTypeName):
        memory_ledger.mapper.to_domain_event(row)
    assert issubclass(UnknownTypeName, UNREADABLE)  # so the integrity tools name the row
