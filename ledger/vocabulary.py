"""The council's closed lists and strict formats: what lets a recorded field stay in the clear.

Every field that can hold free text is sealed, so that destroying a key erases it
(docs/ledger.md). A few fields stay plain because the partnership counts, searches or
matches by them: a case's ward, a police referral's crime reference and an enforcement
action's legislation. Each is checked, before it is recorded, against a closed list or a
strict format, so that it cannot carry a name, an address or a story. The lists are the
council's settings (``ASB_WARDS``, ``ASB_POLICE_REFERENCE_FORMAT``); the legislation is
the enumerated ``ledger.enums.Provision``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ledger.errors import Rule, RuleViolation
from ledger.identity import fold

DEFAULT_WARDS: tuple[str, ...] = (
    "Barlaston",
    "Baswich",
    "Common",
    "Coton",
    "Doxey and Castletown",
    "Eccleshall",
    "Forebridge",
    "Fulford",
    "Gnosall and Woodseaves",
    "Haywood and Hixon",
    "Highfields and Western Downs",
    "Holmcroft",
    "Littleworth",
    "Manor",
    "Milford",
    "Milwich",
    "Penkside",
    "Rowley",
    "Seighford and Church Eaton",
    "St Michael's and Stonefield",
    "Swynnerton and Oulton",
    "Walton",
    "Weeping Cross and Wildwood",
)
"""The embedded default: the wards of Stafford Borough. A council sets its own list."""

DEFAULT_POLICE_REFERENCE_FORMAT = r"[A-Z]{2}[-/][0-9]{1,10}(?:[-/][0-9]{1,10}){0,2}"
"""A force's two-letter prefix and one to three groups of digits (``SP-2026-0001234``,
``SP/123/26``): a reference can then hold nothing but a reference."""


@dataclass(frozen=True)
class Vocabulary:
    """The closed lists and formats a command's plain fields are checked against."""

    wards: tuple[str, ...] = DEFAULT_WARDS
    police_reference_format: str = DEFAULT_POLICE_REFERENCE_FORMAT
    _wards: dict[str, str] = field(init=False, repr=False, compare=False)
    _police: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded: dict[str, str] = {}
        for ward in self.wards:
            key = fold(ward)
            if not key:
                raise ValueError("a ward's name is blank")
            if key in folded:
                raise ValueError(f"the ward list names {folded[key]!r} twice")
            folded[key] = ward.strip()
        object.__setattr__(self, "_wards", folded)
        object.__setattr__(self, "_police", re.compile(self.police_reference_format))

    def ward(self, value: str | None) -> str | None:
        """The council's spelling of a ward, or ``None`` when none is given."""
        if value is None or not value.strip():
            return None
        found = self._wards.get(fold(value))
        if found is None:
            # The value is not repeated: it was not one of the list, so it may be anything.
            raise RuleViolation(
                Rule.WARD_UNKNOWN,
                f"ward is not one of the council's {len(self.wards)} wards (GET /reference-data)",
            )
        return found

    def police_reference(self, value: str) -> str:
        """A police reference in its force's format, without surrounding spaces."""
        stripped = value.strip()
        if not stripped:
            raise RuleViolation(Rule.TEXT_REQUIRED, "police_reference is required")
        if self._police.fullmatch(stripped) is None:
            raise RuleViolation(
                Rule.POLICE_REFERENCE_FORMAT,
                "police_reference is not in the force's format"
                f" ({self.police_reference_format}; GET /reference-data)",
            )
        return stripped
