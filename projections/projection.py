"""The base of every projection: the library's ``Projection``, processing inside a view's page;
and the decoding of only the fields a projection reads."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Tracking,
    find_id_convertor,
)
from eventsourcing.projection import Projection

from ledger.chain import HASH_KEY
from ledger.errors import IntegrityFailure
from ledger.events import CaseEvent
from ledger.type_names import stored_class
from projections.view import View

TView = TypeVar("TView", bound=View)
_IDS = frozenset({"originator_id", "originator_version"})
_NESTED = (dict, list)


class PagedProjection(Projection[TView]):
    """Turns events into a view's rows. The runner calls ``process_event`` (or ``skip``) for
    every notification, in order, inside one ``view.page()`` transaction per page.

    ``topics`` lists the events the projection reads; a notification with any other topic
    is not decoded, but still goes through ``skip`` so the tracking reaches the head of the
    log. Every handler, the fallbacks included, records tracking.

    ``reads`` names the event attributes the handlers use (``originator_id`` and
    ``originator_version`` always come): the runner then decodes only those, and an
    attribute left out is simply absent (reading it is an ``AttributeError``). ``None``
    decodes every field, as the ledger's mapper does.
    """

    reads: ClassVar[frozenset[str] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        reads = cls.__dict__.get("reads")
        if reads is not None and cls.topics:
            known = {f.name for topic in cls.topics for f in fields(stored_class(topic))}
            unknown = reads - known
            if unknown:
                raise TypeError(f"{cls.__name__}.reads: no event has {sorted(unknown)}")

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """An event this view has no rows for: only the tracking moves."""
        self.view.insert_tracking(tracking)

    def skip(self, tracking: Tracking) -> None:
        """A notification whose topic is not in ``topics``: not decoded, only tracked."""
        self.view.insert_tracking(tracking)


@dataclass(frozen=True)
class _Kind:
    """What the decoder knows of one topic."""

    cls: type[Any]
    declared: frozenset[str]
    accepted: tuple[frozenset[str], ...]
    """For a case event, the key sets its stored state may have (as ``ChainMapper``
    allows: with or without its recorded hash); empty for other events (not checked)."""
    names: tuple[str, ...]
    """The fields to decode: those read that the class has."""
    upcasts: bool
    convert: dict[type, Callable[[Any], Any]] = field(default_factory=dict)


class FieldDecoder:
    """Stored events to domain events with only the fields in ``reads`` decoded.

    The ledger's mapper runs the transcoder's hook on every JSON object of an event (its
    sealed fields, actor, enums, times): about 12 µs per event over ``json.loads``, where
    the few fields a projection reads take about 2. The state is parsed whole, so a row that
    is not JSON still fails, and a case event whose fields differ from its class's is
    refused as ``ChainMapper`` refuses it. Events with a ``class_version`` to upcast, and
    mappers with a cipher or compressor, go through the full mapper.
    """

    def __init__(self, mapper: Mapper[UUID], reads: frozenset[str]) -> None:
        transcoder = mapper.transcoder
        hook = transcoder.decoder.object_hook if isinstance(transcoder, JSONTranscoder) else None
        self._mapper = mapper
        self._full = hook is None or mapper.cipher is not None or mapper.compressor is not None
        self._hook = hook
        self._reads = reads
        self._kinds: dict[str, _Kind] = {}

    def to_domain_event(self, stored: StoredEvent) -> Any:
        if self._full:
            return self._mapper.to_domain_event(stored)
        kind = self._kinds.get(stored.topic) or self._kind(stored.topic)
        try:
            state = json.loads(stored.state.decode("utf8"))
        except ValueError as error:
            raise self._unreadable(stored, error) from error
        if type(state) is not dict or kind.upcasts or "class_version" in state:
            return self._mapper.to_domain_event(stored)
        if kind.accepted and state.keys() not in kind.accepted:
            present = state.keys() | _IDS  # as ChainMapper compares them, after decoding
            if present - kind.declared - {HASH_KEY} or kind.declared - present:
                raise IntegrityFailure(
                    self._uuid(stored),
                    stored.originator_version,
                    "stored event's fields differ from its class's: fields added or removed",
                )
        decoded: dict[str, Any] = {}
        try:
            for name in kind.names:
                if name in state:
                    value = state[name]
                    decoded[name] = self._decode(value) if type(value) in _NESTED else value
        except Exception as error:
            raise self._unreadable(stored, error) from error
        originator_id = stored.originator_id
        convert = kind.convert.get(type(originator_id))
        if convert is None:
            convert = kind.convert[type(originator_id)] = find_id_convertor(
                cast(Hashable, kind.cls), cast(Hashable, type(originator_id))
            )
        decoded["originator_id"] = convert(originator_id)
        decoded["originator_version"] = stored.originator_version
        event = object.__new__(kind.cls)
        object.__setattr__(event, "__dict__", decoded)
        return event

    def _kind(self, topic: str) -> _Kind:
        cls = stored_class(topic)
        declared = frozenset(f.name for f in fields(cls))
        stored = declared - _IDS
        accepted = (
            (declared, stored - {HASH_KEY}, stored | {HASH_KEY})
            if isinstance(cls, type) and issubclass(cls, CaseEvent)
            else ()
        )
        names = tuple(sorted(self._reads & stored))
        kind = _Kind(cls, declared, accepted, names, getattr(cls, "class_version", 1) != 1)
        self._kinds[topic] = kind
        return kind

    @staticmethod
    def _unreadable(stored: StoredEvent, error: Exception) -> MapperDeserialisationError:
        return MapperDeserialisationError(
            f"Failed to deserialise state of stored event with topic '{stored.topic}',"
            f" originator_id '{stored.originator_id}' and originator_version"
            f" {stored.originator_version}: {error}"
        )

    @staticmethod
    def _uuid(stored: StoredEvent) -> UUID:
        found = stored.originator_id
        return found if isinstance(found, UUID) else UUID(str(found))

    def _decode(self, value: Any) -> Any:
        """What the transcoder's hook makes of a JSON value: innermost objects first."""
        assert self._hook is not None
        kind = type(value)
        if kind is dict:
            if (  # the usual {"_type_": name, "_data_": a string or number}: no nesting
                len(value) == 2
                and "_type_" in value
                and type(value.get("_data_", value)) not in _NESTED
            ):
                return self._hook(value)
            return self._hook(
                {
                    key: self._decode(item) if type(item) in _NESTED else item
                    for key, item in value.items()
                }
            )
        if kind is list:
            return [self._decode(item) if type(item) in _NESTED else item for item in value]
        return value
