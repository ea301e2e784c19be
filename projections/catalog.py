"""Every read model the service keeps, by name: the runner feeds them all, in this order."""

from __future__ import annotations

from projections.directory import CaseDirectory
from projections.view import View

VIEW_TYPES: tuple[type[View], ...] = (CaseDirectory,)
"""Each is a ``View`` whose constructor takes ``(store, *, suffix="", application_name=...)``
and whose class attribute ``name`` is its stable name (used by ``projections rebuild NAME``)."""
