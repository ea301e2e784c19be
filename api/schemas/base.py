"""Shared pieces of the request models: strictness, text limits and common fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
"""Names, organisations, references: short, single-line values, no control characters
(some are stored in the clear in views, where PostgreSQL text cannot hold a NUL)."""

LongText = Annotated[str, StringConstraints(max_length=20_000)]
"""Descriptions, summaries and notes (sealed before they are stored)."""

RequiredShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
]
"""A ``ShortText`` that must be given: not empty (blank is a rule, ``field.text_required``)."""

StaffId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"
    ),
]
"""A member of staff's or a team's identifier (``cw-17``, ``asb-north``), as tokens carry
them: kept in the clear as the audit trail is, so an identifier's format, never free text."""

RequiredText = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
"""A ``LongText`` that must be given: not empty (blank is a rule, ``field.text_required``)."""


class Body(BaseModel):
    """Unknown fields are refused, so a misspelt field is named, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _written(value: object) -> object:
    """A date and time is written as text (RFC 3339, with its offset), as the schema says:
    a number, which pydantic would take as seconds since 1970, is refused."""
    if isinstance(value, int | float):
        raise ValueError("a date and time is written as text, with its offset")
    return value


WrittenTime = Annotated[AwareDatetime, BeforeValidator(_written)]
"""An ``AwareDatetime`` given as text, never as a number."""


class Occurred(Body):
    occurred_at: WrittenTime | None = Field(
        default=None,
        description="When it happened in the world (with a timezone); default: now.",
    )

    def when(self, now: datetime) -> datetime:
        return self.occurred_at or now


class PersonIn(Body):
    """A person's identifying details; sealed under that person's own key."""

    name: RequiredShortText = Field(examples=["Alex Example"])
    contact: ShortText | None = Field(default=None, examples=["07700 900123"])
    address: LongText | None = Field(default=None, examples=["1 Example Street, Stafford"])
    date_of_birth: ShortText | None = Field(default=None, examples=["1970-01-01"])


class PlaceIn(Body):
    """A place: its UPRN if known, else its address (a postcode and a house number or name
    are needed; it is kept only as a keyed hash, to link cases at the same address)."""

    uprn: ShortText | None = Field(default=None, examples=["100031234567"])
    address: LongText | None = Field(default=None, examples=["3 Example Road, ST16 2AB"])
