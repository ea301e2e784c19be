"""Transcodings for the ledger's enums and value types (registered by exact type)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from ledger import enums, values


class EnumAsValue(Transcoding):
    def __init__(self, enum_type: type[Enum]) -> None:
        self.type = enum_type
        self.name = f"asb.{enum_type.__name__}"
        self._members: dict[Any, Enum] = enum_type._value2member_map_

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        """The member with the value: looked up in the enum's own map of values first (as
        the enum's call does, without the call's cost, paid on every stored code read)."""
        try:
            return self._members[data]
        except (KeyError, TypeError):  # anything else goes through the call, as before
            member: Enum = self.type(data)
            return member


class SealedAsDict(Transcoding):
    type = values.Sealed
    name = "asb.Sealed"

    def encode(self, obj: values.Sealed) -> dict[str, str]:
        return {"s": obj.scope, "b": base64.b64encode(obj.blob).decode("ascii")}

    def decode(self, data: dict[str, str]) -> values.Sealed:
        return values.Sealed(data["s"], base64.b64decode(data["b"]))


class DataclassAsDict(Transcoding):
    """A frozen value dataclass as a dict of its fields (nested values transcode themselves)."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"asb.{cls.__name__}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return dict(vars(obj))

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class DateAsISO(Transcoding):
    type = date
    name = "asb.date"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


ENUM_TYPES: tuple[type[Enum], ...] = tuple(
    obj
    for obj in vars(enums).values()
    if isinstance(obj, type) and issubclass(obj, Enum) and obj is not Enum
)

VALUE_TYPES: tuple[type[Any], ...] = (
    values.Actor,
    values.PersonDetails,
    values.RiskOverride,
    values.Feedback,
    values.Recipient,
)


def register_all(transcoder: JSONTranscoder) -> None:
    """Registers every transcoding the ledger's events need."""
    for enum_type in ENUM_TYPES:
        transcoder.register(EnumAsValue(enum_type))
    for cls in VALUE_TYPES:
        assert dataclasses.is_dataclass(cls)
        transcoder.register(DataclassAsDict(cls))
    transcoder.register(SealedAsDict())
    transcoder.register(DateAsISO())
