"""Response models of replay: a case as of a version or a time, and a diff of two versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.views import CaseOut
from replay.asof import AsOf
from replay.diff import Change


class AsOfOut(BaseModel):
    """Which state of the case the view shows, and how it was chosen."""

    basis: Literal["version", "recorded", "occurred"] = Field(
        description="``version`` (as_of_version), ``recorded`` (as_of, recorded time) or"
        " ``occurred`` (as_of with time=occurred, world time)."
    )
    at: datetime | None = Field(default=None, description="The moment asked for, if any.")
    version: int = Field(description="The version shown (also the ETag).")
    recorded_at: datetime = Field(description="When the version shown was recorded.")
    current_version: int = Field(description="The case's latest version.")
    left_out: list[int] = Field(
        default_factory=list,
        description="Later versions that had also happened (or been recorded) by ``at`` but"
        " follow one that had not, so the state shown (a prefix of the case's versions)"
        " leaves them out. Typically an incident reported late.",
    )

    @classmethod
    def of(cls, shown: AsOf, current_version: int) -> AsOfOut:
        return cls(
            basis=shown.basis,
            at=shown.at,
            version=shown.version,
            recorded_at=shown.recorded_at,
            current_version=current_version,
            left_out=list(shown.left_out),
        )


class CaseAsOfOut(CaseOut):
    """A case as it stood at an earlier version or moment, as the caller may see it now:
    only what both that version and the case as it stands entitle them to."""

    as_of: AsOfOut


class ChangeOut(BaseModel):
    """One field of the caller's view that differs between the two versions."""

    path: str = Field(examples=["people.0b6c4f2e-7f0a-4c55-9d0e-2b8a1e1f4a10.name"])
    segments: list[str | int] = Field(
        description="The path's parts, exact (an identity may itself hold a dot)."
    )
    op: Literal["added", "removed", "changed"]
    before: Any = Field(default=None, description="The value at ``from`` (not for added).")
    after: Any = Field(default=None, description="The value at ``to`` (not for removed).")

    @classmethod
    def of(cls, change: Change) -> ChangeOut:
        return cls(
            path=change.path,
            segments=list(change.segments),
            op=change.op,
            before=change.before,
            after=change.after,
        )


class DiffOut(BaseModel):
    """What changed in the caller's view of a case from one version to another."""

    case_id: UUID
    reference: str
    from_version: int
    to_version: int
    changes: list[ChangeOut]
