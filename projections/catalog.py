"""Every read model the service keeps, by name: the runner feeds them all, in this order."""

from __future__ import annotations

from projections.caseload import Caseload
from projections.directory import CaseDirectory
from projections.disclosures import DisclosureLog
from projections.risk import CumulativeRisk
from projections.stats import AnalystStats
from projections.view import View

VIEW_TYPES: tuple[type[View], ...] = (
    CaseDirectory,
    DisclosureLog,
    AnalystStats,
    CumulativeRisk,
    Caseload,
)
"""Each is a ``View`` whose constructor takes ``(store, *, suffix="", application_name=...)``
and whose class attribute ``name`` is its stable name (used by ``projections rebuild NAME``)."""
