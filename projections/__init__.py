"""Read models: views of the ledger's events, kept in the events' own database, and their runner."""

from projections.directory import CaseDirectory
from projections.directory_model import DirectoryEntry, DirectoryPage, Visibility
from projections.runner import ViewRunner, ViewStatus
from projections.service import ReadModels
from projections.store import UnsupportedStore, ViewStore, open_view_store
from projections.view import View, ViewBehind

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
