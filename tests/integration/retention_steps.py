"""Cases opened and closed in the past through the commands, and the retention sweep run on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from api.retention import RetentionSweep
from commands import close_case, link_person
from commands.common import PersonText
from commands.erase_closed_case import Outcome
from commands.open_case import OpenCase
from commands.open_case import handle as open_case
from commands.unit_of_work import UnitOfWork
from ledger.application import CaseLedger
from ledger.enums import (
    Category,
    Channel,
    ClosureReason,
    ContactMethod,
    Department,
    HoldReason,
    PersonRole,
    Role,
)
from ledger.holds import HoldScope, LegalHold
from ledger.settings import Retention
from ledger.values import Actor
from projections import ViewRunner, open_view_store
from projections.caseload.projection import Caseload
from tests.builders import CASEWORKER, SUPERVISOR

DPO = Actor(user_id="dpo-1", display_name="Dee Pio", role=Role.DPO, organisation="council")
RETENTION = Retention(years=6, by_category={Category.NUISANCE: 10})


class Council:
    """A ledger with cases closed years ago, its caseload view, and sweeps over them."""

    def __init__(self, ledger: CaseLedger, view: Caseload) -> None:
        self.ledger = ledger
        self.view = view
        self.runner = ViewRunner(ledger, [view], page_size=7)

    def case(
        self,
        closed: datetime | None,
        *,
        category: Category = Category.PERSONAL,
        victims: tuple[UUID, ...] = (),
        text: str = "Fictional: music at night",
    ) -> UUID:
        """A case received 30 days before ``closed`` (or a year ago, if left open), with
        ``victims`` linked (new ones with details), closed on ``closed``."""
        opened = (closed or datetime.now(UTC)) - timedelta(days=30)
        case_id = uuid4()
        uow = UnitOfWork(ledger=self.ledger)
        open_case(
            OpenCase(
                case_id=case_id,
                actor=CASEWORKER,
                occurred_at=opened,
                channel=Channel.PHONE,
                received_at=opened,
                category=category,
                description=text,
                location="Fictional: 1 Test Street",
                lead_department=Department.COMMUNITY_SAFETY,
                complainant_ref=uuid4(),
                complainant=PersonText(name=f"Fictional Complainant {case_id.hex[:6]}"),
                preferred_contact=ContactMethod.PHONE,
                check_duplicates=False,
            ),
            uow,
        )
        for victim in victims:
            known = self.ledger.people.get(victim) is not None
            link_person.handle(
                link_person.LinkPerson(
                    case_id=case_id,
                    actor=CASEWORKER,
                    occurred_at=opened + timedelta(days=1),
                    person_ref=victim,
                    role=PersonRole.VICTIM,
                    details=None if known else PersonText(name=f"Fictional Victim {victim.hex}"),
                    check_duplicates=False,
                ),
                uow,
            )
        if closed is not None:
            close_case.handle(
                close_case.CloseCase(
                    case_id=case_id,
                    actor=SUPERVISOR,
                    occurred_at=closed,
                    reason=ClosureReason.NO_FURTHER_ACTION,
                    full_reasons="Fictional: nothing more to do",
                    feedback_method=ContactMethod.PHONE,
                    feedback_given_at=closed,
                    explanation="Fictional: explanation",
                    advice="Fictional: advice",
                ),
                uow,
            )
        return case_id

    def hold(self, scope: HoldScope, reason: HoldReason = HoldReason.LITIGATION) -> UUID:
        hold = LegalHold.place(
            hold_id=uuid4(),
            actor=DPO,
            occurred_at=datetime.now(UTC),
            scope=scope,
            reason=reason,
            reference="KB-2025-000123",
        )
        self.ledger.holds.place(hold)
        return hold.id

    def sweep(self, now: datetime) -> RetentionSweep:
        self.runner.catch_up()
        return RetentionSweep(self.ledger, self.view, actor=DPO, now=now)

    def apply(self, now: datetime) -> dict[UUID, Outcome]:
        sweep = self.sweep(now)
        return {o.case_id: o for o in sweep.apply([due.row for due in sweep.due()])}


@contextmanager
def council(ledger: CaseLedger) -> Iterator[Council]:
    store = open_view_store(ledger.store_config)
    try:
        yield Council(ledger, Caseload(store, application_name=ledger.name, retention=RETENTION))
    finally:
        store.close()
