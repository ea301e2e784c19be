"""The subject access request aggregate (issue 13 §1), with a frozen clock: given its events,
when a step, then its events or the rule it breaks. Its deadline is ``sar_deadline``'s
(``test_sar_deadline.py``); here the events drive it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import uuid4

import pytest

from ledger.application import CaseLedger
from ledger.enums import (
    ErasureReason,
    Role,
    SarClosure,
    SarDecision,
    SarExtensionReason,
    SarPart,
    SarRequester,
    SarStopReason,
    WithholdGround,
)
from ledger.errors import Rule, RuleViolation
from ledger.people import Person, person_stream
from ledger.sar import SarClockStopped, SarItemReviewed, SubjectAccessRequest
from ledger.values import Actor, PersonDetails

DPO = Actor(user_id="dpo-1", display_name="D", role=Role.DPO, organisation="council")
ITEM = f"third_party:{uuid4()}:name"
SHA = "a" * 64


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), UTC)


def requested(received: date, checked: date | None = None) -> SubjectAccessRequest:
    return SubjectAccessRequest.request(
        actor=DPO,
        occurred_at=at(max(received, checked or received)),
        sar_id=uuid4(),
        person_ref=uuid4(),
        requester=SarRequester.DATA_SUBJECT,
        representative_ref=None,
        received_on=received,
        identity_checked_on=checked,
        asks_for=(),
    )


def rule_of(step: object) -> Rule:
    with pytest.raises(RuleViolation) as raised:
        step()  # type: ignore[operator]
    return raised.value.rule


def test_the_month_runs_from_receipt_when_identity_is_already_known() -> None:
    sar = requested(date(2026, 1, 31), date(2026, 1, 31))
    assert sar.asks_for == tuple(SarPart)
    assert sar.due() == date(2026, 3, 2)  # 28 February 2026 is a Saturday
    assert sar.status(date(2026, 3, 2)) == "open"
    assert sar.status(date(2026, 3, 3)) == "overdue"


def test_it_waits_for_identity_then_runs_from_that_day() -> None:
    sar = requested(date(2026, 2, 2))
    assert (sar.due(), sar.status(date(2026, 9, 1))) == (None, "awaiting_identity")
    assert (
        rule_of(
            lambda: sar.extend(
                actor=DPO,
                occurred_at=at(date(2026, 2, 3)),
                months=1,
                reason=SarExtensionReason.COMPLEX,
            )
        )
        is Rule.SAR_CLOCK
    )
    assert (
        rule_of(
            lambda: sar.check_identity(
                actor=DPO, occurred_at=at(date(2026, 2, 3)), on=date(2026, 2, 1)
            )
        )
        is Rule.SAR_DATE
    )  # before it was received
    assert (
        rule_of(
            lambda: sar.check_identity(
                actor=DPO, occurred_at=at(date(2026, 2, 3)), on=date(2026, 2, 9)
            )
        )
        is Rule.SAR_DATE
    )  # in the future
    sar.check_identity(actor=DPO, occurred_at=at(date(2026, 2, 10)), on=date(2026, 2, 10))
    assert sar.due() == date(2026, 3, 10)
    assert (
        rule_of(
            lambda: sar.check_identity(
                actor=DPO, occurred_at=at(date(2026, 2, 11)), on=date(2026, 2, 11)
            )
        )
        is Rule.SAR_CLOCK
    )


def test_a_stopped_clock_runs_none_and_restarts_the_month() -> None:
    sar = requested(date(2026, 3, 2), date(2026, 3, 2))
    sar.stop_clock(
        actor=DPO,
        occurred_at=at(date(2026, 3, 9)),
        on=date(2026, 3, 9),
        reason=SarStopReason.AWAITING_CLARIFICATION,
    )
    assert isinstance(sar.pending_events[-1], SarClockStopped)
    assert (sar.due(), sar.status(date(2026, 6, 1))) == (None, "stopped")
    stop_again = lambda: sar.stop_clock(  # noqa: E731
        actor=DPO,
        occurred_at=at(date(2026, 3, 10)),
        on=date(2026, 3, 10),
        reason=SarStopReason.AWAITING_CLARIFICATION,
    )
    assert rule_of(stop_again) is Rule.SAR_CLOCK
    assert (
        rule_of(
            lambda: sar.issue(
                actor=DPO,
                occurred_at=at(date(2026, 3, 10)),
                report_sha256=SHA,
                bundle_sha256=SHA,
                released=0,
                withheld=0,
            )
        )
        is Rule.SAR_CLOCK
    )
    assert (
        rule_of(
            lambda: sar.restart_clock(
                actor=DPO, occurred_at=at(date(2026, 3, 20)), on=date(2026, 3, 8)
            )
        )
        is Rule.SAR_DATE
    )
    sar.restart_clock(actor=DPO, occurred_at=at(date(2026, 3, 20)), on=date(2026, 3, 20))
    assert sar.due() == date(2026, 4, 20)  # a fresh month, from the clarification
    assert (
        rule_of(
            lambda: sar.restart_clock(
                actor=DPO, occurred_at=at(date(2026, 3, 21)), on=date(2026, 3, 21)
            )
        )
        is Rule.SAR_CLOCK
    )


def test_an_extension_of_up_to_two_months_only_while_the_first_month_runs() -> None:
    sar = requested(date(2026, 9, 2), date(2026, 9, 2))  # due Friday 2 October

    def extend(day: date, months: int) -> None:
        sar.extend(actor=DPO, occurred_at=at(day), months=months, reason=SarExtensionReason.COMPLEX)

    extend(date(2026, 9, 20), 1)
    assert sar.due() == date(2026, 11, 2)
    assert rule_of(lambda: extend(date(2026, 9, 21), 2)) is Rule.SAR_EXTENSION  # 3 in all
    extend(date(2026, 10, 2), 1)  # the first month's last day
    assert sar.due() == date(2026, 12, 2)
    late = requested(date(2026, 9, 2), date(2026, 9, 2))
    assert (
        rule_of(
            lambda: late.extend(
                actor=DPO,
                occurred_at=at(date(2026, 10, 3)),
                months=1,
                reason=SarExtensionReason.NUMEROUS,
            )
        )
        is Rule.SAR_EXTENSION
    )


def test_a_withheld_item_needs_a_ground_and_a_released_one_has_none() -> None:
    sar = requested(date(2026, 3, 2), date(2026, 3, 2))

    def review(decision: SarDecision, ground: WithholdGround | None) -> None:
        sar.review(
            actor=DPO,
            occurred_at=at(date(2026, 3, 3)),
            item=ITEM,
            decision=decision,
            ground=ground,
        )

    assert rule_of(lambda: review(SarDecision.WITHHOLD, None)) is Rule.SAR_GROUND
    assert rule_of(lambda: review(SarDecision.RELEASE, WithholdGround.CRIME)) is Rule.SAR_GROUND
    review(SarDecision.WITHHOLD, WithholdGround.RIGHTS_OF_OTHERS)
    review(SarDecision.RELEASE, None)  # a later decision replaces it
    assert isinstance(sar.pending_events[-1], SarItemReviewed)
    assert sar.decisions[ITEM].decision is SarDecision.RELEASE


def test_once_issued_or_closed_nothing_more_is_recorded() -> None:
    sar = requested(date(2026, 3, 2), date(2026, 3, 2))
    sar.issue(
        actor=DPO,
        occurred_at=at(date(2026, 3, 30)),
        report_sha256=SHA,
        bundle_sha256=SHA,
        released=3,
        withheld=1,
    )
    assert (sar.open, sar.status(date(2026, 9, 1))) == (False, "issued")
    assert (
        rule_of(
            lambda: sar.close(
                actor=DPO, occurred_at=at(date(2026, 3, 31)), closure=SarClosure.WITHDRAWN
            )
        )
        is Rule.SAR_CLOSED
    )
    closed = requested(date(2026, 3, 2), date(2026, 3, 2))
    closed.close(actor=DPO, occurred_at=at(date(2026, 3, 5)), closure=SarClosure.EXCESSIVE)
    assert closed.status(date(2026, 3, 6)) == "closed"
    assert (
        rule_of(
            lambda: closed.check_identity(
                actor=DPO, occurred_at=at(date(2026, 3, 6)), on=date(2026, 3, 6)
            )
        )
        is Rule.SAR_CLOSED
    )


def test_a_representative_is_named_exactly_when_one_asked() -> None:
    with pytest.raises(RuleViolation):
        SubjectAccessRequest.request(
            actor=DPO,
            occurred_at=at(date(2026, 3, 2)),
            sar_id=uuid4(),
            person_ref=uuid4(),
            requester=SarRequester.REPRESENTATIVE,
            representative_ref=None,
            received_on=date(2026, 3, 2),
            identity_checked_on=None,
            asks_for=(),
        )
    assert (
        rule_of(
            lambda: SubjectAccessRequest.request(
                actor=DPO,
                occurred_at=at(date(2026, 3, 2)),
                sar_id=uuid4(),
                person_ref=uuid4(),
                requester=SarRequester.DATA_SUBJECT,
                representative_ref=None,
                received_on=date(2026, 3, 9),
                identity_checked_on=None,
                asks_for=(),
            )
        )
        is Rule.SAR_DATE
    )  # received in the future


def test_an_open_request_holds_the_person_until_it_ends(memory_ledger: CaseLedger) -> None:
    """Given a request about a registered person (DPA 2018 s173): erasing them is refused;
    a decision names an item of the draft or is refused; once closed, erasure goes ahead."""
    from commands import erase_person, progress_sar, request_sar, review_sar_item

    person = uuid4()
    name = memory_ledger.sealer.seal_personal(
        "Rita Requester", case_id=person_stream(person), person_ref=person, field="person.name"
    )
    assert name is not None
    memory_ledger.save(
        Person.register(
            actor=DPO,
            occurred_at=at(date(2026, 3, 1)),
            person_ref=person,
            details=PersonDetails(name=name),
        )
    )
    sar_id = uuid4()
    request_sar.handle(
        request_sar.RequestSar(
            actor=DPO,
            occurred_at=at(date(2026, 3, 2)),
            sar_id=sar_id,
            person_ref=person,
            requester=SarRequester.DATA_SUBJECT,
            representative_ref=None,
            received_on=date(2026, 3, 2),
            identity_checked_on=date(2026, 3, 2),
            asks_for=(),
        ),
        memory_ledger,
    )
    assert memory_ledger.sars.open_for([person]) == [sar_id]
    erase = erase_person.ErasePerson(
        actor=DPO,
        occurred_at=at(date(2026, 3, 3)),
        person_ref=person,
        ground=ErasureReason.SUBJECT_REQUEST,
    )
    assert rule_of(lambda: erase_person.handle(erase, memory_ledger, [])) is Rule.ERASURE_OPEN_SAR
    review = review_sar_item.ReviewSarItem(
        actor=DPO,
        occurred_at=at(date(2026, 3, 3)),
        sar_id=sar_id,
        item=ITEM,
        decision=SarDecision.RELEASE,
        ground=None,
    )
    assert rule_of(lambda: review_sar_item.handle(review, memory_ledger, {"record:x"})) is (
        Rule.SAR_ITEM_UNKNOWN
    )
    progress_sar.handle(
        progress_sar.CloseSar(
            actor=DPO,
            occurred_at=at(date(2026, 3, 4)),
            sar_id=sar_id,
            closure=SarClosure.WITHDRAWN,
        ),
        memory_ledger,
    )
    assert memory_ledger.sars.open_for([person]) == []
    assert erase_person.handle(erase, memory_ledger, []) == [f"person:{person}"]


def test_the_sweep_names_an_open_request_as_what_holds_a_case(memory_ledger: CaseLedger) -> None:
    from ledger.enums import HoldKind
    from ledger.holds import Cover, HoldScope
    from ledger.retention import check_erasable
    from tests.builders import CaseKit

    kit = CaseKit(memory_ledger)
    case = kit.open()
    case.closed, case.closed_at = True, at(date(2018, 1, 10))
    sar_id = uuid4()
    cover = Cover(
        HoldKind.SUBJECT_ACCESS_REQUEST,
        sar_id,
        HoldKind.SUBJECT_ACCESS_REQUEST.value,
        HoldScope(person_ref=kit.complainant),
    )
    today = date(2025, 6, 2)
    assert (
        rule_of(lambda: check_erasable(case, due_on=date(2024, 1, 10), today=today, holds=[cover]))
        is Rule.RETENTION_OPEN_SAR
    )
    check_erasable(case, due_on=date(2024, 1, 10), today=today, holds=[])
