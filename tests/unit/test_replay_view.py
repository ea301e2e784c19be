"""What a replayed view may show: only what both the version shown and the case as it stands
entitle the caller to, so a view of the past never shows what the plain read hides."""

from __future__ import annotations

from uuid import UUID, uuid4

from api.case_view import Entitlement, render, render_as_of
from api.principal import Principal
from ledger import fields as F  # noqa: N812
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import Category, Channel, ContactMethod, Department, PersonRole, Role
from ledger.values import PersonDetails
from replay.asof import at_version
from tests.builders import CASEWORKER, T0, CaseKit

HOMES = "Test Homes"
PARTNER = Principal(user_id="p-1", display_name="P", role=Role.PARTNER, organisation=HOMES)
AUDITOR = Principal(user_id="a-1", display_name="A", role=Role.AUDITOR, organisation="council")


def test_what_both_entitle_is_the_intersection() -> None:
    a, b = uuid4(), uuid4()
    then = Entitlement({"case_summary", "timescales"}, {a}, {a, b}, HOMES)
    now = Entitlement({"case_summary", "action_plan"}, {a, b}, {b}, HOMES)
    both = now.within(then)
    assert (both.sections, both.incidents, both.people) == ({"case_summary"}, {a}, {b})
    assert both.organisation == HOMES
    assert Entitlement({"all"}).within(then) is then
    assert then.within(Entitlement({"all"})) is then
    assert now.within(Entitlement(organisation="Elsewhere")).organisation is None


def shared_case(ledger: CaseLedger) -> tuple[Case, UUID]:
    """v1 opened, v2 a victim linked, v3 the summary and the victim shared with HOMES; text
    sealed under the names the view unseals it by."""
    kit = CaseKit(ledger)
    victim = uuid4()

    def person(ref: UUID, name: str) -> PersonDetails:
        return PersonDetails(name=kit.personal(ref, name, F.PERSON_NAME))

    case = Case.open(
        case_id=kit.case_id,
        actor=CASEWORKER,
        occurred_at=T0,
        reference=ledger.prepare_opening(kit.case_id, [kit.complainant], T0),
        channel=Channel.PHONE,
        received_at=T0,
        category=Category.PERSONAL,
        description=kit.text("noise from next door", F.CASE_DESCRIPTION),
        location=kit.text("1 Test Street", F.CASE_LOCATION),
        lead_department=Department.COMMUNITY_SAFETY,
        complainant_ref=kit.complainant,
        complainant=person(kit.complainant, "Cathy Complainant"),
        preferred_contact=ContactMethod.PHONE,
    )
    case.link_person(
        actor=CASEWORKER,
        occurred_at=T0,
        person_ref=victim,
        role=PersonRole.VICTIM,
        details=person(victim, "Vic Tim"),
    )
    case.share_information(
        **kit.share_kwargs(  # type: ignore[arg-type]
            items=("case_summary", f"person:{victim}"),
            justification=kit.text("the landlord must act", F.SHARE_JUSTIFICATION),
        )
    )
    ledger.save_new_case(case)
    return case, victim


def test_a_partner_sees_neither_what_was_shared_later_nor_what_is_not_shared_now(
    memory_ledger: CaseLedger,
) -> None:
    case, victim = shared_case(memory_ledger)
    sealer = memory_ledger.sealer
    before_share = at_version(memory_ledger, case.id, 2).case
    view, subjects = render_as_of(before_share, case, PARTNER, sealer)
    assert (view.sections, view.people, view.team, subjects) == ([], [], None, set())
    # the other way round: a share in the version shown that the case no longer has
    view, subjects = render_as_of(case, before_share, PARTNER, sealer)
    assert (view.sections, view.people, view.description, subjects) == ([], [], None, set())
    view, subjects = render_as_of(case, case, PARTNER, sealer)
    assert view == render(case, PARTNER, sealer)[0]
    assert subjects == {victim}
    assert view.description == "noise from next door"


def test_staff_see_every_version_whole(memory_ledger: CaseLedger) -> None:
    case, victim = shared_case(memory_ledger)
    before_share = at_version(memory_ledger, case.id, 2).case
    view, subjects = render_as_of(before_share, case, AUDITOR, memory_ledger.sealer)
    assert view == render(before_share, AUDITOR, memory_ledger.sealer)[0]
    assert subjects == {case.complainant_ref, victim}
