"""The items of a subject access response a reviewer decides, and the redaction of free text.

Three kinds of item, each with a stable id the request's events name:
- ``third_party:<ref>:<field>``: another person's data (their name, contact, address, date of
  birth, vulnerability note, or ``profile``: their role's codes such as vulnerabilities),
  withheld by default under DPA 2018 Schedule 2 paragraph 16. Where their name, address,
  contact or date of birth appears in free text (a description, a summary), the words are
  redacted there too, and the item names each place it appears: the context that could
  identify them.
- ``actor:<user id>``: the identity of a member of staff or a partner officer who recorded or
  consulted the data, withheld by default (only their role and organisation are shown).
- ``record:<case>:<version>``: one recorded event, released by default; withheld on a ground
  (a police investigation, say: s45(4)(b)) it is listed with the ground and nothing of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from uuid import UUID

from ledger.enums import SarDecision, WithholdGround
from ledger.sar import Decided

GROUND_TEXT: dict[WithholdGround, str] = {
    WithholdGround.THIRD_PARTY: "information about another person"
    " (Data Protection Act 2018, Schedule 2, paragraph 16)",
    WithholdGround.CRIME: "the prevention or detection of crime"
    " (Data Protection Act 2018, Schedule 2, paragraph 2)",
    WithholdGround.LEGAL_PRIVILEGE: "legal professional privilege"
    " (Data Protection Act 2018, Schedule 2, paragraph 19)",
    WithholdGround.SERIOUS_HARM: "serious harm to someone's physical or mental health"
    " (Data Protection Act 2018, Schedule 3, paragraph 7)",
    WithholdGround.OBSTRUCT_INQUIRY: "to avoid obstructing an official inquiry or"
    " investigation (Data Protection Act 2018, section 45(4)(a))",
    WithholdGround.PREJUDICE_INVESTIGATION: "to avoid prejudicing the prevention,"
    " detection, investigation or prosecution of offences (section 45(4)(b))",
    WithholdGround.PUBLIC_SECURITY: "to protect public security (section 45(4)(c))",
    WithholdGround.NATIONAL_SECURITY: "to protect national security (section 45(4)(d))",
    WithholdGround.RIGHTS_OF_OTHERS: "to protect the rights and freedoms of others"
    " (section 45(4)(e))",
}
"""Each ground in the words the report gives the requester."""

ITEM_ID = re.compile(
    r"^(third_party:[0-9a-f-]{36}:[a-z_]+|actor:[^\s]{1,200}|record:[0-9a-f-]{36}:[1-9][0-9]*)$"
)
NAME_PART_MIN = 3
"""Shorter parts of a name (initials, "Al") are not searched for: they match too much."""


@dataclass(slots=True)
class Item:
    """One thing the reviewer may release or withhold, with what it would show."""

    id: str
    describes: str
    """What it is, without personal data ("the name of a witness on ASB-2026-000001")."""
    value: str | None
    """What would be released, for the reviewer (never in a log)."""
    default: SarDecision
    context: list[str] = field(default_factory=list)
    """Where it appears in what is released, so that the reviewer sees what could identify."""
    decision: SarDecision | None = None
    ground: WithholdGround | None = None
    decided_by: str | None = None
    _places: set[str] | None = field(default=None, repr=False, compare=False)
    """The places of ``context`` as a set, made when the first is noted (most items, a
    draft's records, never appear in free text)."""

    def __post_init__(self) -> None:
        if self.decision is None:
            self.decision = self.default
            if self.default is SarDecision.WITHHOLD:
                self.ground = WithholdGround.THIRD_PARTY

    def seen_in(self, where: str) -> None:
        """Notes a place the item appears (once each, however often it appears there)."""
        if self._places is None:
            self._places = set()
        if where not in self._places:
            self._places.add(where)
            self.context.append(where)

    @property
    def released(self) -> bool:
        return self.decision is SarDecision.RELEASE

    def decide(self, decided: Decided) -> None:
        self.decision, self.ground, self.decided_by = decided.decision, decided.ground, decided.by

    def withheld_text(self) -> str:
        assert self.ground is not None
        return f"[withheld: {GROUND_TEXT[self.ground]}]"


def third_party_id(ref: UUID, name: str) -> str:
    return f"third_party:{ref}:{name}"


def record_id(case_id: UUID, version: int) -> str:
    return f"record:{case_id}:{version}"


def actor_id(user_id: str) -> str:
    return f"actor:{user_id}"


@dataclass
class Redactor:
    """Finds third parties' identifiers in free text and redacts those not released.

    Words the subject's own identifiers also contain (a surname shared with a relative) are
    never searched for: they identify the requester, who knows them."""

    own_words: set[str] = field(default_factory=set)
    _terms: dict[str, str] = field(default_factory=dict)  # lowered term -> item id
    _pattern: re.Pattern[str] | None = None

    def own(self, value: str | None, name_like: bool) -> None:
        for term in _terms(value, name_like):
            self.own_words.add(term)

    def watch(self, item_id: str, value: str | None, name_like: bool) -> None:
        for term in _terms(value, name_like):
            self._terms.setdefault(term, item_id)
        self._pattern = None

    def apply(self, text: str, items: dict[str, Item], where: str) -> str:
        """``text`` with each unreleased third party's words replaced by the ground; each
        occurrence, released or not, is noted on its item."""
        pattern = self._compiled()
        if pattern is None:
            return text

        def replace(match: re.Match[str]) -> str:
            item = items[self._terms[match.group(0).lower()]]
            item.seen_in(where)
            return match.group(0) if item.released else item.withheld_text()

        return pattern.sub(replace, text)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            terms = sorted((t for t in self._terms if t not in self.own_words), key=len)
            if not terms:
                return None
            alternatives = "|".join(re.escape(t) for t in reversed(terms))
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return self._pattern


def _terms(value: str | None, name_like: bool) -> list[str]:
    """The lowered terms to look for: the whole value, and for a name each longer part."""
    if value is None or not value.strip():
        return []
    whole = " ".join(value.split()).lower()
    found = [whole]
    if name_like:
        found.extend(p for p in re.split(r"[\s,]+", whole) if len(p) >= NAME_PART_MIN)
    return found


def valid_item_id(item: str) -> bool:
    return ITEM_ID.match(item) is not None
