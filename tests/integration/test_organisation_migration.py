"""The documented migration of free-text organisations (issue 12, §2): a case recorded before
the register names its share's recipient, an agency and a support service by text. A name
that is a registered organisation's name exactly is mapped to its id, recorded on the case,
after which the partner of that id sees the share; any other name stays unmatched, shown
to no one. Both stores, through the command line as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

from commands import identify_organisations
from ledger.application import CaseLedger
from ledger.enums import Agency, ConsentStatus, Role, SupportService
from ledger.settings import Settings
from ledger.values import Actor, Recipient
from projections import CaseDirectory, ViewRunner, Visibility, open_view_store
from replay.timeline import timeline
from tests.builders import CASEWORKER, T0, CaseKit

ADMIN = Actor(user_id="ad-1", display_name="Ad", role=Role.ADMIN, organisation="council")
ASB = str(Path(sys.executable).parent / "asb-ledger")


def _legacy_case(ledger: CaseLedger) -> CaseKit:
    """A case as a store from before the register holds it: organisations by name."""
    kit = CaseKit(ledger)
    case = kit.open()
    police = Recipient(agency=Agency.POLICE, organisation="Staffordshire Police")
    case.share_information(**kit.share_kwargs(recipient=police))  # type: ignore[arg-type]
    case.share_information(**kit.share_kwargs())  # type: ignore[arg-type]  # to "Test Homes"
    case.add_agency(
        actor=CASEWORKER, occurred_at=T0, agency=Agency.POLICE,
        organisation="Staffordshire Police", role=kit.text("neighbourhood team", "role"),
    )  # fmt: skip
    case.refer_for_support(
        actor=CASEWORKER, occurred_at=T0, person_ref=kit.complainant,
        service=SupportService.VICTIMS_GATEWAY, organisation="Staffordshire Victims Gateway",
        needs=kit.text("support", "needs"), consent=ConsentStatus.GIVEN, consent_note=None,
    )  # fmt: skip
    ledger.save_new_case(case)
    for org_id, name, agency in (
        ("staffordshire-police", "Staffordshire Police", Agency.POLICE),
        ("victims-gateway", "Staffordshire Victims Gateway", Agency.VICTIM_SUPPORT),
        ("test-homes-ltd", "Test Homes Ltd", Agency.HOUSING_PROVIDER),  # not "Test Homes"
    ):
        ledger.organisations.register(
            actor=ADMIN, occurred_at=datetime(2020, 1, 1, tzinfo=UTC), org_id=org_id,
            name=name, agency=agency, protocol_reference="One Staffordshire ISP",
            joined=date(2020, 1, 1),
        )  # fmt: skip
    return kit


def _migrate(settings: Settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    assert settings.database_url is not None
    env |= {"ASB_DATA_DIR": str(settings.data_dir), "ASB_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [ASB, "organisations", "migrate", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_exact_names_are_mapped_to_ids_and_the_rest_stay_unmatched(
    ledger: CaseLedger, settings: Settings, tmp_path: Path
) -> None:
    kit = _legacy_case(ledger)
    case = ledger.get_case(kit.case_id)
    assert case.agency_of("staffordshire-police") is None, "a name is not an id"

    listed = _migrate(settings, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{case.reference}\tStaffordshire Police\tstaffordshire-police",
        f"{case.reference}\tStaffordshire Victims Gateway\tvictims-gateway",
        f"{case.reference}\tTest Homes\tunmatched",
    ]
    assert "2 would be recorded (--apply), 1 unmatched" in listed.stderr
    assert ledger.get_case(kit.case_id).version == case.version, "a listing records nothing"

    applied = _migrate(settings, tmp_path, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "2 recorded, 1 unmatched" in applied.stderr
    after = ledger.get_case(kit.case_id)
    assert after.version == case.version + 2
    assert [s.organisation for s in after.shares] == ["staffordshire-police", "Test Homes"]
    assert after.agency_of("staffordshire-police") is Agency.POLICE
    assert [r.organisation for r in after.support_referrals] == ["victims-gateway"]
    lines = [line.what for line in timeline(ledger, kit.case_id)][-2:]
    assert lines[0] == (
        "Organisation named 'Staffordshire Police' identified as the registered"
        " staffordshire-police (its shares now name it)"
    )

    again = _migrate(settings, tmp_path, "--apply")
    assert again.stdout.splitlines() == [f"{case.reference}\tTest Homes\tunmatched"]
    assert ledger.get_case(kit.case_id).version == after.version, "applied once"


def test_the_partners_case_list_follows_the_identification(
    ledger: CaseLedger, settings: Settings
) -> None:
    kit = _legacy_case(ledger)
    store = open_view_store(ledger.store_config)
    directory = CaseDirectory(store)
    runner = ViewRunner(ledger, [directory], page_size=7, interval=0.02)
    police = Visibility(organisation="staffordshire-police")

    def listed(visibility: Visibility) -> list[UUID]:
        runner.catch_up()
        return [c.case_id for c in directory.list_cases(visibility=visibility, limit=50).items]

    try:
        assert listed(police) == []
        found = identify_organisations.find(ledger)
        assert identify_organisations.apply(ledger, ADMIN, T0, found) == 2
        assert listed(police) == [kit.case_id]
        assert listed(Visibility(organisation="test-homes-ltd")) == []
    finally:
        runner.stop()
        store.close()
