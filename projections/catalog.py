"""Every read model the service keeps, by name: the runner feeds them all, in this order."""

from __future__ import annotations

from projections.alerts.projection import BreakGlassAlerts
from projections.case_reviews.projection import CaseReviews
from projections.caseload.projection import Caseload
from projections.directory.projection import CaseDirectory
from projections.disclosures.projection import DisclosureLog
from projections.risk.projection import CumulativeRisk
from projections.stats.projection import AnalystStats
from projections.view import View

VIEW_TYPES: tuple[type[View], ...] = (
    CaseDirectory,
    DisclosureLog,
    AnalystStats,
    CumulativeRisk,
    Caseload,
    CaseReviews,
    BreakGlassAlerts,
)
"""Each is a ``View`` whose constructor takes ``(store, *, suffix="", application_name=...)``
and whose class attribute ``name`` is its stable name (used by ``projections rebuild NAME``)."""
