"""The case directory's page-folded writes and the runner's partial decoding, on both stores.

A page keeps one pending row per case and writes it once at its end; these tests hold it
to what the events applied one at a time (one page each) give, whatever the page holds."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from eventsourcing.persistence import MapperDeserialisationError, Notification, Tracking
from eventsourcing.utils import get_topic

from ledger.application import CaseLedger
from ledger.enums import RiskLevel
from ledger.errors import IntegrityFailure
from ledger.events import CASE_EVENT_TYPES
from ledger.type_names import stored_class
from projections import CaseDirectory, ViewRunner, ViewStore
from projections.directory.projection import CaseDirectoryProjection
from projections.projection import FieldDecoder
from tests.integration.test_directory import Cases, cases, view_store
from tests.integration.test_tamper import RawEvents

__all__ = ["cases", "view_store"]


def one_case(cases: Cases) -> list[Notification]:
    """A case opened, assigned twice, assessed, shared, closed, reopened and closed again."""
    case = cases.open(team="north", officer="cw-1")
    cases.assess(case, RiskLevel.HIGH)
    cases.assign(case, "south")
    cases.share(case, "Police")
    cases.close(case)
    cases.reopen(case)
    cases.assess(case, RiskLevel.MEDIUM)
    cases.close(case)
    return list(cases.ledger.recorder.select_notifications(1, 100))


def apply(ledger: CaseLedger, view: CaseDirectory, notes: list[Notification]) -> None:
    """``notes`` in one page, at positions after the view's tracking (as if new events)."""
    projection = view.projection()
    with view.page() as start:
        for offset, note in enumerate(notes, start=1):
            tracking = Tracking(ledger.name, start + offset)
            if note.topic in projection.topics:
                projection.process_event(ledger.mapper.to_domain_event(note), tracking)
            else:
                projection.skip(tracking)


def one_by_one(ledger: CaseLedger, view: CaseDirectory, notes: list[Notification]) -> None:
    for note in notes:
        apply(ledger, view, [note])


def test_one_page_equals_the_events_applied_one_page_each(
    ledger: CaseLedger, cases: Cases, view_store: ViewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = one_case(cases)
    single = CaseDirectory(view_store, suffix="_single")
    one_by_one(ledger, single, notes)

    folded = CaseDirectory(view_store, suffix="_folded")
    sent: list[str] = []

    def spy(name: str) -> None:
        real = getattr(CaseDirectory, name)

        def record(self: CaseDirectory, sql: str, params: Any = ()) -> None:
            sent.append(sql)
            real(self, sql, params)

        monkeypatch.setattr(CaseDirectory, name, record)

    spy("execute")
    spy("executemany")
    assert ViewRunner(ledger, [folded], page_size=500).catch_up() == len(notes)
    assert folded.contents() == single.contents()
    entry = folded.get(notes[0].originator_id)  # type: ignore[arg-type]
    assert entry is not None
    assert (entry.status, entry.team, entry.officer, entry.risk_level) == (
        "closed",
        "south",
        None,
        RiskLevel.MEDIUM,
    )
    # The case's row, its share, and the (here idle) guarded update: one statement each.
    assert [sql.split()[0] for sql in sent] == ["INSERT", "INSERT", "UPDATE"]


@pytest.mark.parametrize(
    ("have", "again"),
    [
        (4, (2, 5, 6)),  # team: north (v2) again, after south (v4): stays south
        (8, (3, 6, 9)),  # risk high (v3) after medium (v8); closed (v6) after reopened (v7)
        (7, (1, 2, 3, 4, 5, 6, 7, 8, 9)),
        (1, (1, 4, 9)),
        (9, (9,)),
    ],
)
def test_a_page_applied_again_past_the_tracking_changes_only_what_one_by_one_would(
    ledger: CaseLedger,
    cases: Cases,
    view_store: ViewStore,
    have: int,
    again: tuple[int, ...],
) -> None:
    """The rows' own guard, without the tracking's: the view has the case's first ``have``
    versions, then a page brings ``again`` (some old, some new) under later positions.
    Each column moves only if the event that set it is newer than the row, as it would
    event by event: the page's latest value of a column may be older than the row's."""
    notes = one_case(cases)
    version = {n.originator_version: n for n in notes if n.topic in CaseDirectoryProjection.topics}
    assert sorted(version) == list(range(1, 10))
    first = [version[v] for v in range(1, have + 1)]
    later = [version[v] for v in again]
    single = CaseDirectory(view_store, suffix="_single")
    one_by_one(ledger, single, first + later)

    folded = CaseDirectory(view_store, suffix="_folded")
    apply(ledger, folded, first)
    apply(ledger, folded, later)
    assert folded.contents() == single.contents()

    apply(ledger, folded, list(reversed(notes)))  # everything again, newest first
    apply(ledger, single, list(reversed(notes)))
    assert folded.contents() == single.contents()


def test_a_failed_page_forgets_its_pending_rows(
    ledger: CaseLedger, cases: Cases, view_store: ViewStore
) -> None:
    first = cases.open(team="north")
    notes = ledger.recorder.select_notifications(1, 100)
    view = CaseDirectory(view_store, suffix="_failing")
    projection = view.projection()

    def fail_after_the_opening() -> None:
        with view.page():
            event = ledger.mapper.to_domain_event(notes[0])
            projection.process_event(event, Tracking(ledger.name, 1))
            raise RuntimeError("injected")

    with pytest.raises(RuntimeError, match="injected"):
        fail_after_the_opening()
    assert view.contents() == ([], [])
    assert view.position() == 0

    second = cases.open(team="south")
    later = [n for n in ledger.recorder.select_notifications(1, 100) if n.id > notes[-1].id]
    apply(ledger, view, later)  # a page without the first case's events
    assert [entry.case_id for entry in view.contents()[0]] == [second.id]
    assert first.id not in {entry.case_id for entry in view.contents()[0]}


def test_a_page_opened_inside_a_page_is_refused_and_the_outer_keeps_its_rows(
    ledger: CaseLedger, cases: Cases, view_store: ViewStore
) -> None:
    case = cases.open(team="north")
    notes = ledger.recorder.select_notifications(1, 100)
    view = CaseDirectory(view_store, suffix="_nested")
    projection = view.projection()
    with view.page() as start:
        for offset, note in enumerate(notes, start=1):
            with pytest.raises(RuntimeError, match="already open"), view.page():
                pass
            tracking = Tracking(ledger.name, start + offset)
            if note.topic in projection.topics:
                projection.process_event(ledger.mapper.to_domain_event(note), tracking)
            else:
                projection.skip(tracking)
    [entry] = view.contents()[0]
    assert (entry.case_id, entry.team) == (case.id, "north")


def test_writing_outside_a_page_is_refused(
    ledger: CaseLedger, cases: Cases, view_store: ViewStore
) -> None:
    cases.open()
    note = ledger.recorder.select_notifications(1, 1)[0]
    view = CaseDirectory(view_store, suffix="_outside")
    event: Any = ledger.mapper.to_domain_event(note)
    with pytest.raises(RuntimeError, match="only inside a page"):
        view.update(event, status="closed")


# ------------------------------------------------------------------ decoding less


def test_the_runner_decodes_only_what_the_directory_reads(ledger: CaseLedger, cases: Cases) -> None:
    one_case(cases)
    reads = CaseDirectoryProjection.reads
    assert reads is not None
    decoder = FieldDecoder(ledger.mapper, reads)
    topics = set(CaseDirectoryProjection.topics)
    for note in ledger.recorder.select_notifications(1, 100):
        if note.topic not in topics:
            continue
        full: Any = ledger.mapper.to_domain_event(note)
        part: Any = decoder.to_domain_event(note)
        assert type(part) is type(full)
        assert set(vars(part)) == (set(vars(full)) & reads) | {
            "originator_id",
            "originator_version",
        }
        for name in vars(part):
            assert getattr(part, name) == getattr(full, name), name
        with pytest.raises(AttributeError):
            part.actor  # noqa: B018 - not read by the directory, so not decoded


def test_decoding_every_field_gives_what_the_ledgers_mapper_gives(
    ledger: CaseLedger, cases: Cases
) -> None:
    """Every case event field, nested values (sealed, actor, override, feedback, harms)
    included, through the decoder's own walk of the transcoder's hook."""
    one_case(cases)
    for _ in range(2):
        cases.note(cases.open())
    every = frozenset(f.name for cls in CASE_EVENT_TYPES for f in dataclasses.fields(cls))
    decoder = FieldDecoder(ledger.mapper, every)
    topics = {get_topic(cls) for cls in CASE_EVENT_TYPES}
    seen = set()
    for note in ledger.recorder.select_notifications(1, 1000):
        if note.topic in topics:
            full = vars(ledger.mapper.to_domain_event(note))
            full.pop("event_hash", None)  # set by ChainMapper for the chain check, not a field
            assert vars(decoder.to_domain_event(note)) == full
            seen.add(stored_class(note.topic).__name__)
    assert {"CaseOpened", "IncidentRecorded", "RiskAssessed", "CaseClosed"} <= seen


def test_a_tampered_row_stops_the_directory_as_the_full_mapper_would(
    ledger: CaseLedger, cases: Cases, view_store: ViewStore
) -> None:
    case = cases.open(team="north")
    cases.close(case)
    raw = RawEvents(ledger)
    _, state = raw.row(case.id, 2)
    doc = json.loads(state)
    doc["smuggled"] = "a field the event does not have"
    raw.set_state(case.id, 2, json.dumps(doc).encode())
    view = CaseDirectory(view_store, suffix="_tampered")
    with pytest.raises(IntegrityFailure, match="fields added or removed"):
        ViewRunner(ledger, [view]).catch_up()
    assert view.position() == 0

    raw.set_state(case.id, 2, b"{not json")
    with pytest.raises(MapperDeserialisationError):
        ViewRunner(ledger, [view]).catch_up()
    assert view.position() == 0
