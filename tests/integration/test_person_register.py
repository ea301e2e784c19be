"""The person register on both stores: what counts as the same person, the blind index
beside the events, corrections that keep what was not given, merges, and erasure taking a
person's index tokens with their key."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from commands import merge_people
from ledger import fields
from ledger.application import CaseLedger
from ledger.blind_index import INDEX_SCOPE
from ledger.enums import Agency, ErasureReason, PersonRole, Role
from ledger.errors import Rule, RuleViolation
from ledger.identity import TokenKind
from ledger.people import person_stream
from ledger.person_register import PlainDetails, PossibleDuplicate
from ledger.settings import Settings
from ledger.values import Actor, PersonDetails
from tests.builders import CASEWORKER, SUPERVISOR, T0, CaseKit
from tests.integration.test_organisation_migration import ASB
from tests.integration.test_tamper import RawEvents, edited, run_cli

MOTHER = PlainDetails(
    name="Fiona Example",
    contact="07700 900321",
    address="12 Barwell Close, Stafford ST17 4AA",
    date_of_birth="1960-03-05",
)


def register(ledger: CaseLedger, details: PlainDetails, *, check: bool = True) -> UUID:
    ref = uuid4()
    known = ledger.people.screen(ref, details, check_duplicates=check, field="details")
    intake = ledger.people.intake(known, ref, details, actor=CASEWORKER, occurred_at=T0)
    assert intake.person is not None
    ledger.save(intake.person)
    ledger.people.add_tokens(ref, intake.tokens)
    return ref


def strong(ledger: CaseLedger, details: PlainDetails) -> list[UUID]:
    return [c.person_ref for c in ledger.people.search(details) if c.strong]


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (PlainDetails(name="fiona  EXAMPLE", date_of_birth="05/03/1960"), True),
        (PlainDetails(name="Fiona Example", contact="+44 7700 900321"), True),
        (PlainDetails(name="Fiona Example", address="12 barwell close st174aa"), True),
        (PlainDetails(name="Fiona Example"), False),  # a name alone: many share one
        # Her daughter: the household's phone and address, another name.
        (
            PlainDetails(name="Frankie Example", contact="07700900321", address=MOTHER.address),
            False,
        ),
        # A namesake at the same address, born on another day.
        (
            PlainDetails(name="Fiona Example", address=MOTHER.address, date_of_birth="1988-01-01"),
            False,
        ),
        (PlainDetails(name="Fiona Exampel", date_of_birth="1960-03-05"), False),
    ],
)
def test_what_counts_as_the_same_person(
    ledger: CaseLedger, other: PlainDetails, same: bool
) -> None:
    mother = register(ledger, MOTHER)
    assert strong(ledger, other) == ([mother] if same else [])
    if same:
        with pytest.raises(PossibleDuplicate) as refused:
            ledger.people.screen(uuid4(), other, check_duplicates=True, field="details")
        assert refused.value.rule is Rule.PERSON_POSSIBLE_DUPLICATE
        assert [c.person_ref for c in refused.value.candidates] == [mother]
    else:
        register(ledger, other)  # recorded as someone new, without a question


def test_the_index_holds_keyed_hashes_only_and_the_search_ranks_by_what_matched(
    ledger: CaseLedger,
) -> None:
    mother = register(ledger, MOTHER)
    daughter = register(
        ledger, PlainDetails(name="Frankie Example", contact=MOTHER.contact, address=MOTHER.address)
    )
    found = ledger.people.search(MOTHER)
    assert [c.person_ref for c in found] == [mother, daughter]
    every = set(TokenKind) - {TokenKind.EMAIL}  # she gave a phone, not an e-mail address
    assert set(found[0].matched) == every
    assert set(found[1].matched) == {
        TokenKind.PHONE,
        TokenKind.POSTCODE_AND_HOUSE,
        TokenKind.SURNAME_SOUND,
    }
    assert (found[0].strong, found[1].strong) == (True, False)
    table = ledger.keys.table
    assert table.count_tokens(str(mother)) == len(every)
    index_key = ledger.keys.index_key(INDEX_SCOPE)
    assert len(index_key) == 32
    hashed = ledger.people.index.tokens(MOTHER.tokens())
    assert all(len(token) == 64 for token in hashed)
    assert {ref for ref, _ in table.match_tokens(list(hashed))} == {str(mother), str(daughter)}


def test_a_correction_keeps_what_was_not_given_and_is_itself_recorded(
    ledger: CaseLedger,
) -> None:
    ref = register(ledger, MOTHER)
    record = ledger.people.get(ref)
    given = PlainDetails(name=MOTHER.name, contact="07700 900999")
    intake = ledger.people.intake(record, ref, given, actor=CASEWORKER, occurred_at=T0)
    assert intake.person is not None
    ledger.save(intake.person)
    ledger.people.add_tokens(ref, intake.tokens)
    corrected = ledger.people.get(ref)
    assert corrected is not None
    assert corrected.version == 2
    assert ledger.people.details(corrected) == {
        "name": MOTHER.name,
        "contact": "07700 900999",
        "address": MOTHER.address,
        "date_of_birth": MOTHER.date_of_birth,
    }
    # The same details again change nothing.
    again = ledger.people.intake(corrected, ref, given, actor=CASEWORKER, occurred_at=T0)
    assert again.person is None
    assert strong(ledger, PlainDetails(name=MOTHER.name, contact="07700900999")) == [ref]


def test_a_merge_joins_two_records_and_erasing_either_erases_both(ledger: CaseLedger) -> None:
    first = register(ledger, MOTHER)
    second = register(ledger, MOTHER, check=False)
    assert {c.person_ref for c in ledger.people.search(MOTHER)} == {first, second}
    merge_people.handle(
        merge_people.MergePeople(
            actor=SUPERVISOR, occurred_at=T0, survivor=first, duplicate=second
        ),
        ledger,
    )
    assert ledger.keys.table.count_tokens(str(second)) == 0  # they find the survivor now
    assert ledger.people.resolve(second) == first
    assert ledger.people.same_person(second) == [first, second]
    assert [c.person_ref for c in ledger.people.search(MOTHER)] == [first]
    with pytest.raises(RuleViolation) as twice:
        ledger.people.merge(second, first, actor=SUPERVISOR, occurred_at=T0)
    assert twice.value.rule is Rule.PERSON_MERGE
    with pytest.raises(RuleViolation) as unknown:
        ledger.people.merge(uuid4(), first, actor=SUPERVISOR, occurred_at=T0)
    assert unknown.value.rule is Rule.PERSON_UNKNOWN
    with pytest.raises(RuleViolation) as stale:
        ledger.people.screen(second, MOTHER, check_duplicates=False, field="details")
    assert stale.value.rule is Rule.PERSON_MERGE

    scopes = ledger.erase_person(
        second, actor=SUPERVISOR, occurred_at=T0, reason=ErasureReason.SUBJECT_REQUEST
    )
    assert sorted(scopes) == sorted([f"person:{first}", f"person:{second}"])
    table = ledger.keys.table
    assert table.count_tokens(str(first)) == table.count_tokens(str(second)) == 0
    assert ledger.people.search(MOTHER) == []
    record = ledger.people.get(first)
    assert record is not None
    assert ledger.people.details(record)["name"] is None
    assert all(v.intact for v in ledger.verify_all())


def test_people_recorded_before_the_register_are_brought_in_by_the_backfill(
    ledger: CaseLedger, settings: Settings, tmp_path: Path
) -> None:
    """A store from before the register: people only in their cases' events. The backfill
    counts them (no detail printed), registers them with --apply, indexes them, leaves the
    erased erased, and changes nothing when run again."""
    kit = CaseKit(ledger)
    case = kit.open()
    victim, erased = uuid4(), uuid4()
    for ref, name in ((victim, "Lena Legacy"), (erased, "Gone Person")):
        case.link_person(
            actor=CASEWORKER,
            occurred_at=T0,
            person_ref=ref,
            role=PersonRole.VICTIM,
            details=PersonDetails(
                name=kit.personal(ref, name, fields.PERSON_NAME),
                contact=kit.personal(ref, "07700 900777", fields.PERSON_CONTACT),
            ),
        )
    ledger.save_new_case(case)
    ledger.destroy_key(
        f"person:{erased}", actor=SUPERVISOR, occurred_at=T0, reason=ErasureReason.SUBJECT_REQUEST
    )
    lena = PlainDetails(name="Lena Legacy", contact="+447700900777")
    assert strong(ledger, lena) == []  # the register does not know her yet

    counted = _backfill(settings, tmp_path)
    # The builder's complainant is sealed under another field name: it does not open.
    assert counted.returncode == 1, counted.stderr
    assert "1 unreadable" in counted.stderr
    assert "1 to register" in counted.stderr
    assert "1 erased" in counted.stderr
    assert "Lena" not in counted.stderr + counted.stdout
    assert strong(ledger, lena) == []  # counting changes nothing

    applied = _backfill(settings, tmp_path, "--apply")
    assert "1 registered" in applied.stderr
    fresh = CaseLedger(settings)
    try:
        assert strong(fresh, lena) == [victim]
        assert fresh.people.get(erased) is None
        record = fresh.people.get(victim)
        assert record is not None
        assert fresh.people.details(record)["contact"] == "07700 900777"
    finally:
        fresh.close()
    again = _backfill(settings, tmp_path, "--apply")
    assert "0 registered, 1 registered already" in again.stderr


def _backfill(settings: Settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASB_")}
    assert settings.database_url is not None
    env |= {"ASB_DATA_DIR": str(settings.data_dir), "ASB_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [ASB, "people", "backfill", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_verify_all_checks_the_chains_of_people_and_organisations_too(
    ledger: CaseLedger, settings: Settings, tmp_path: Path
) -> None:
    """A person corrected and merged, and an organisation retired, are streams of several
    events: `verify --all` checks each chain version by version, and catches an edit."""
    first = register(ledger, MOTHER)
    second = register(ledger, MOTHER, check=False)
    record = ledger.people.get(first)
    given = PlainDetails(name=MOTHER.name, contact="07700 900999")
    intake = ledger.people.intake(record, first, given, actor=CASEWORKER, occurred_at=T0)
    assert intake.person is not None
    ledger.save(intake.person)
    merge_people.handle(
        merge_people.MergePeople(
            actor=SUPERVISOR, occurred_at=T0, survivor=first, duplicate=second
        ),
        ledger,
    )
    admin = Actor(user_id="ad-1", display_name="Ad", role=Role.ADMIN, organisation="council")
    ledger.organisations.register(
        actor=admin, occurred_at=T0, org_id="gone-homes", name="Gone Homes",
        agency=Agency.HOUSING_PROVIDER, protocol_reference="One Staffordshire ISP",
        joined=date(2020, 1, 1),
    )  # fmt: skip
    ledger.organisations.retire(
        actor=admin, occurred_at=T0, org_id="gone-homes", left=date(2025, 1, 1)
    )
    verified = run_cli(ledger, "--all")
    assert (verified.returncode, verified.stdout) == (0, "intact\n"), verified

    stream = person_stream(first)
    raw = RawEvents(ledger)
    _, state = raw.row(stream, 2)
    raw.set_state(stream, 2, edited(state, b'"user_id":"cw-1"', b'"user_id":"cw-9"'))
    broken = run_cli(ledger, "--all")
    assert broken.returncode == 1, broken
    assert broken.stdout.startswith(f"FAILED case {stream} version 2: "), broken
