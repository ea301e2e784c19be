"""The base of every projection: the library's ``Projection``, processing inside a view's page."""

from __future__ import annotations

from typing import Any, TypeVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.view import View

TView = TypeVar("TView", bound=View)


class PagedProjection(Projection[TView]):
    """Turns events into a view's rows. The runner calls ``process_event`` (or ``skip``) for
    every notification, in order, inside one ``view.page()`` transaction per page.

    ``topics`` lists the events the projection reads; a notification with any other topic
    is not decoded, but still goes through ``skip`` so the tracking reaches the head of the
    log. Every handler, the fallbacks included, records tracking.
    """

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """An event this view has no rows for: only the tracking moves."""
        self.view.insert_tracking(tracking)

    def skip(self, tracking: Tracking) -> None:
        """A notification whose topic is not in ``topics``: not decoded, only tracked."""
        self.view.insert_tracking(tracking)
