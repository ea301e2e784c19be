"""After an erasure, every read model rebuilt from scratch shows the subject only as erased.

The views hold references, codes, dates and pseudonyms, never sealed or plain personal
data; so destroying a subject's key changes nothing a view holds, a rebuild after it equals
the live views, no canary is anywhere in the store, and the subject's fields read as erased.
"""

from __future__ import annotations

from datetime import timedelta

from ledger.application import CaseLedger
from ledger.enums import ErasureReason
from ledger.sealing import Erased, case_scope, person_scope
from projections import ViewRunner, open_view_store
from projections.catalog import VIEW_TYPES
from tests.builders import T0
from tests.integration.test_erasure import (
    DPO,
    _unseal_free_text,
    _unseal_person,
    leaks,
    open_case,
)
from tests.integration.test_projection_runner import record_access


def test_a_rebuild_after_an_erasure_shows_the_subject_as_erased(ledger: CaseLedger) -> None:
    subjects = open_case(ledger)
    record_access(ledger, subjects.case_id)
    store = open_view_store(ledger.store_config)
    try:
        live = [kind(store, application_name=ledger.name) for kind in VIEW_TYPES]
        ViewRunner(ledger, live).catch_up()
        assert leaks(ledger, list(subjects.canaries.values())) == []

        when = T0 + timedelta(days=400)
        for scope in (person_scope(subjects.victim), case_scope(subjects.case_id)):
            ledger.destroy_key(
                scope, actor=DPO, occurred_at=when, reason=ErasureReason.SUBJECT_REQUEST
            )
        ViewRunner(ledger, live).catch_up()
        rebuilt = [
            kind(store, suffix="_after_erasure", application_name=ledger.name)
            for kind in VIEW_TYPES
        ]
        ViewRunner(ledger, rebuilt).catch_up()

        for before, after in zip(live, rebuilt, strict=True):
            assert after.contents() == before.contents(), before.name  # type: ignore[attr-defined]
        assert leaks(ledger, list(subjects.canaries.values())) == []
        assert all(
            isinstance(value, Erased)
            for value in _unseal_person(ledger, subjects.case_id, subjects.victim).values()
        )
        assert all(
            isinstance(value, Erased)
            for value in _unseal_free_text(ledger, subjects.case_id).values()
        )
        # The complainant was not erased: still readable (so the check above can fail).
        complainant = _unseal_person(ledger, subjects.case_id, subjects.complainant)
        assert complainant["name"] == subjects.canaries["complainant.name"]
    finally:
        store.close()
