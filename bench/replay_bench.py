"""As-of replay of a 1,000-event case, against the ordinary load of the same case.

The case is built through the aggregate (``tests/builders.py`` ``CaseKit``, real sealing
under the field names the views unseal by, ``ledger/fields.py``):
the opening, then in every ten versions incidents, contacts, an action planned and completed
and, for the first thirty cycles, a person linked; saved 100 events per save. Each event
happens an hour after the one before (``occurred_at``), so world time and version order agree
and "the middle" is version 500 on both time bases.

The baseline is ``ledger.get_case(case_id)`` on a ledger with ``case_cache_size=0`` (the
default): every load reads the 1,000 rows and folds them, verifying the chain. Interleaved
with it, one call each per round (``bench.common.compare``, median of per-round ratios):
- ``at_version(ledger, id, 1000)`` and ``at_version(ledger, id, 500)`` (``replay/asof.py``);
- ``at_recorded`` at version 500's recorded timestamp, ``at_occurred`` at its
  ``occurred_at`` (both fold the whole chain and keep a copy of the state at the boundary;
  they call each event's ``mutate`` themselves, so they skip the library projector's
  per-event ``isinstance(..., CanMutateProtocol)`` check that ``get_case`` pays);
- the difference between versions 500 and 1,000 as ``GET /cases/{id}/diff`` computes it
  (``api/replaying.py`` ``read_diff`` without HTTP, the policy decision or the access record):
  the current case by ``get_case``, both versions by ``as_of``, each rendered for a
  supervisor by ``render_as_of`` (unsealing what they may see), then ``replay.diff.diff``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from api.case_view import VIEW_IDENTITIES, render_as_of
from api.principal import Principal
from api.schemas.views import CaseOut
from bench.common import Figure, Op, compare, quiet_logging, store
from ledger import fields as F  # noqa: N812
from ledger.application import CaseLedger
from ledger.case import Case
from ledger.enums import (
    Agency,
    Category,
    Channel,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    Department,
    IncidentType,
    PersonRole,
    Role,
)
from ledger.values import PersonDetails
from replay.asof import as_of, at_occurred, at_recorded, at_version
from replay.diff import diff
from tests.builders import CASEWORKER, T0, CaseKit

EVENTS = 1_000
QUICK_EVENTS = 200
BATCH = 100
MIN_ROUNDS = 15
PEOPLE = 30
SUPERVISOR = Principal(
    user_id="sv-1",
    display_name="Sam Supervisor",
    role=Role.SUPERVISOR,
    organisation="council",
    team="north",
)


def _next(kit: CaseKit, case: Case, people: list[UUID]) -> None:
    """The event for the next version: a ten-version cycle of the usual work."""
    version = case.version + 1
    at = T0 + timedelta(hours=version)
    slot = version % 10
    if slot == 0 and len(people) <= PEOPLE:
        person = uuid4()
        case.link_person(
            actor=CASEWORKER,
            occurred_at=at,
            person_ref=person,
            role=PersonRole.VICTIM,
            details=PersonDetails(
                name=kit.personal(person, f"Victim {len(people)}", F.PERSON_NAME),
                address=kit.personal(person, "2 Test Street", F.PERSON_ADDRESS),
            ),
        )
        people.append(person)
    elif slot in (4, 5, 6):
        case.record_contact(
            actor=CASEWORKER,
            occurred_at=at,
            person_ref=people[version % len(people)],
            method=ContactMethod.PHONE,
            direction=ContactDirection.OUTBOUND,
            outcome=ContactOutcome.REACHED,
            summary=kit.text(f"contact at version {version}", F.CONTACT_SUMMARY),
        )
    elif slot == 7:
        case.plan_action(
            actor=CASEWORKER,
            occurred_at=at,
            action_id=f"a{version}",
            description=kit.text("visit the address", F.ACTION_DESCRIPTION),
            owner_agency=Agency.COUNCIL,
            owner_officer=CASEWORKER.user_id,
            due=(at + timedelta(days=14)).date(),
        )
    elif slot == 8:
        case.complete_action(
            actor=CASEWORKER,
            occurred_at=at,
            action_id=f"a{version - 1}",
            outcome=kit.text("visited; spoke to the tenant", F.ACTION_OUTCOME),
        )
    else:
        case.record_incident(
            actor=CASEWORKER,
            occurred_at=at,
            incident_id=uuid4(),
            incident_type=IncidentType.NOISE,
            description=kit.text(f"loud music, version {version}", F.INCIDENT_DESCRIPTION),
            harms=(),
            criminal=False,
            victim_refs=tuple(people[1:][-2:]),
        )


def build_case(ledger: CaseLedger, events: int) -> UUID:
    kit = CaseKit(ledger)
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
        complainant=PersonDetails(
            name=kit.personal(kit.complainant, "Cathy Complainant", F.PERSON_NAME),
            address=kit.personal(kit.complainant, "1 Test Street", F.PERSON_ADDRESS),
        ),
        preferred_contact=ContactMethod.PHONE,
        ward="Coton",
    )
    ledger.save_new_case(case)
    people = [kit.complainant]
    while case.version < events:
        for _ in range(min(BATCH, events - case.version)):
            _next(kit, case, people)
        ledger.save_case(case)
    return case.id


def _plain(view: CaseOut) -> dict[str, Any]:
    """As ``api/replaying.py`` compares views: plain data, without the version."""
    plain = view.model_dump(mode="json")
    plain.pop("version", None)
    return plain


def _diff(ledger: CaseLedger, case_id: UUID, start: int) -> int:
    """``read_diff``'s work: the current case, both versions, both renderings, the diff."""
    current = ledger.get_case(case_id)
    old = as_of(ledger, case_id, version=start)
    new = as_of(ledger, case_id, version=current.version)
    before, _ = render_as_of(old.case, current, SUPERVISOR, ledger.sealer)
    after, _ = render_as_of(new.case, current, SUPERVISOR, ledger.sealer)
    return len(diff(_plain(before), _plain(after), keyed=VIEW_IDENTITIES))


def _parts_of_diff(ledger: CaseLedger, case_id: UUID, start: int) -> tuple[float, float]:
    """Medians of 10, in ms: the two renderings, and ``diff`` of the two plain views."""
    current = ledger.get_case(case_id)
    old, new = as_of(ledger, case_id, version=start).case, current
    renders, diffs = [], []
    for _ in range(10):
        t0 = time.perf_counter()
        before, _ = render_as_of(old, current, SUPERVISOR, ledger.sealer)
        after, _ = render_as_of(new, current, SUPERVISOR, ledger.sealer)
        t1 = time.perf_counter()
        diff(_plain(before), _plain(after), keyed=VIEW_IDENTITIES)
        t2 = time.perf_counter()
        renders.append(t1 - t0)
        diffs.append(t2 - t1)
    return statistics.median(renders) * 1e3, statistics.median(diffs) * 1e3


_WHOLE_CHAIN = (
    "folds all events by calling each one's mutate (so not the library's per-event Protocol"
    " isinstance check, which get_case pays), deep-copies the state at the boundary"
)


def _once(call: Callable[[], object]) -> Op:
    def op() -> int:
        call()
        return 1

    return op


def _loads(kind: str, ledger: CaseLedger, events: int, seconds: float) -> list[Figure]:
    assert ledger.settings.case_cache_size == 0, "the ordinary load must read every event"
    t0 = time.perf_counter()
    case_id = build_case(ledger, events)
    print(
        f"  {kind}: {events:,}-event case built in {time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    middle = events // 2
    stored: list[Any] = list(ledger.repository.event_store.get(case_id))
    assert len(stored) == events
    recorded: datetime = stored[middle - 1].timestamp
    occurred: datetime = stored[middle - 1].occurred_at
    # What each variant shows, checked once before timing.
    assert ledger.get_case(case_id).version == events
    assert at_version(ledger, case_id, events).version == events
    assert at_version(ledger, case_id, middle).version == middle
    assert at_recorded(ledger, case_id, recorded).version == middle
    assert at_occurred(ledger, case_id, occurred).version == middle
    changes = _diff(ledger, case_id, middle)
    assert changes > 0
    render_ms, diff_ms = _parts_of_diff(ledger, case_id, middle)

    variants: dict[str, tuple[str, Op]] = {
        "get_case": (
            f"`ledger.get_case`, {events:,} events",
            _once(lambda: ledger.get_case(case_id)),
        ),
        "v_all": (
            f"`at_version(…, {events})`",
            _once(lambda: at_version(ledger, case_id, events)),
        ),
        "v_mid": (
            f"`at_version(…, {middle})`",
            _once(lambda: at_version(ledger, case_id, middle)),
        ),
        "recorded": (
            f"`at_recorded` at version {middle}'s timestamp",
            _once(lambda: at_recorded(ledger, case_id, recorded)),
        ),
        "occurred": (
            f"`at_occurred` at version {middle}'s occurred_at",
            _once(lambda: at_occurred(ledger, case_id, occurred)),
        ),
        "diff": (
            f"diff of versions {middle} → {events} (the diff route's work)",
            _once(lambda: _diff(ledger, case_id, middle)),
        ),
    }
    result = compare(
        {name: op for name, (_, op) in variants.items()},
        baseline="get_case",
        chunk=dict.fromkeys(variants, 1),
        seconds=seconds,
        min_rounds=5 if events < EVENTS else MIN_ROUNDS,
    )
    notes = {
        "get_case": f"case_cache_size=0; {result.rounds} interleaved rounds",
        "v_all": "the library's get(id, version=N): reads and folds N events",
        "v_mid": f"reads and folds {middle} events",
        "recorded": _WHOLE_CHAIN,
        "occurred": _WHOLE_CHAIN,
        "diff": f"3 loads + 2 renders (unsealing) + diff; {changes} changes; alone, the two"
        f" renders took {render_ms:.1f} ms and `diff` {diff_ms:.1f} ms (medians of 10)",
    }
    return [
        Figure(
            "replay",
            kind,
            label,
            result.rates[name],
            "loads/s" if name != "diff" else "diffs/s",
            result.ratios[name],
            baseline="" if name == "get_case" else "`get_case`",
            note=notes[name],
        )
        for name, (label, _) in variants.items()
    ]


def run(stores: list[str], seconds: float, *, quick: bool = False) -> list[Figure]:
    """The section for ``bench.run``: a 1,000-event case (200 with ``quick``) on each store."""
    figures: list[Figure] = []
    for kind in stores:
        with store(kind) as where:
            ledger = where.ledger()
            try:
                figures += _loads(kind, ledger, QUICK_EVENTS if quick else EVENTS, seconds)
            finally:
                ledger.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args(argv)
    from bench.run import table

    quiet_logging()
    print(table(run(args.stores.split(","), args.seconds, quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
