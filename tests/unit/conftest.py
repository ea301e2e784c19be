"""Fixtures for the domain tests: a case kit on the in-memory ledger."""

from __future__ import annotations

import pytest

from ledger.application import CaseLedger
from tests.builders import CaseKit


@pytest.fixture
def kit(memory_ledger: CaseLedger) -> CaseKit:
    """Opens cases and seals text on a fresh in-memory ledger."""
    return CaseKit(memory_ledger)
