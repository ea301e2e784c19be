"""Read models: views of the ledger's events, kept in the events' own database, and their runner."""

from projections.directory.model import DirectoryEntry, DirectoryPage
from projections.directory.projection import CaseDirectory
from projections.runner import ViewRunner, ViewStatus
from projections.service import ReadModels
from projections.store import UnsupportedStore, ViewStore, open_view_store
from projections.view import View, ViewBehind
from projections.visibility import Visibility

__all__ = [
    "CaseDirectory",
    "DirectoryEntry",
    "DirectoryPage",
    "ReadModels",
    "UnsupportedStore",
    "View",
    "ViewBehind",
    "ViewRunner",
    "ViewStatus",
    "ViewStore",
    "Visibility",
    "open_view_store",
]
