"""The draft response to a subject access request, assembled from the ledger.

Everything the council holds about the person: every recorded event of each case they are
on, their own fields unsealed (under their key) and the case's free text with third
parties' identifiers redacted; their record in the person register; the named recipients
of their data and on what basis; when and why it was consulted (who, only if released);
where it came from; and how long it is kept. Other people's data is withheld by default and
offered to the reviewer item by item (``replay/sar_items.py``), and the request's own
decisions are applied. Nothing here is written: the draft is read, reviewed and issued.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from itertools import chain, islice
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger import fields as F  # noqa: N812
from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, committed_fields
from ledger.enums import Category, SarDecision
from ledger.events import CaseEvent, CaseOpened, PersonLinked
from ledger.sar import Decided, SubjectAccessRequest
from ledger.sealing import Erased
from ledger.settings import Retention
from ledger.type_names import kind_of, stored_class
from ledger.values import Actor, PersonDetails, Sealed
from projections.disclosures.model import Disclosure
from replay.history import PERSON_FIELDS
from replay.sar_items import Item, Redactor, actor_id, third_party_id

ERASED = "[erased]"
_NAME_LIKE = {F.PERSON_NAME}
_SKIP = frozenset({"prev_hash", "originator_topic"})
_SPECIAL = PERSON_FIELDS | {"items"}
"""Fields shown otherwise than as their value: a person's reference, the items shared."""
_PROFILE = frozenset({"vulnerabilities", "self_declared_repeat_victim", "preferred_contact"})

RetentionText = Callable[[str, date | None], str]
"""The retention that applies to a case: given its category and the day it closed (None
while open), a sentence saying how long it is kept."""


@dataclass(slots=True, frozen=True)
class Line:
    """One field of a recorded event as the response shows it. Frozen: records share the
    lines of codes and references (``_Builder._shared_line``)."""

    label: str
    text: str
    item: str | None = None  # the item that decides it (a third party's field)


@dataclass(slots=True)
class Record:
    """One recorded event."""

    case_id: UUID
    reference: str
    version: int
    kind: str
    occurred_at: datetime
    event_hash: str
    by: str
    by_item: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class CaseSummary:
    case_id: UUID
    reference: str
    roles: list[str]
    category: str
    channel: str
    complainant_is_subject: bool
    closed_on: date | None
    contributors: list[str]
    retention: str


@dataclass
class Draft:
    sar_id: UUID
    person_ref: UUID
    refs: list[UUID]
    register: dict[str, str | None]
    cases: list[CaseSummary]
    records: list[Record]
    recipients: list[Disclosure]
    accesses: list[Disclosure]
    items: dict[str, Item]

    def released(self) -> int:
        return sum(1 for item in self.items.values() if item.released)

    def third_parties(self, *, released_only: bool = False) -> list[UUID]:
        """The other people whose data the draft holds (or, ``released_only``, releases):
        the subjects an access record of it names beside the person."""
        return sorted(
            {
                UUID(item.id.split(":")[1])
                for item in self.items.values()
                if item.id.startswith("third_party:") and (item.released or not released_only)
            }
        )

    def withheld(self) -> int:
        return len(self.items) - self.released()


def assemble(
    ledger: CaseLedger,
    sar: SubjectAccessRequest,
    case_ids: Sequence[UUID],
    disclosures: Iterable[Disclosure],
    retention: RetentionText,
) -> Draft:
    """The draft for ``sar``: the cases ``case_ids`` (every case the person is on, as the
    caller found them) and the disclosure log's entries about them."""
    refs = ledger.people.same_person(sar.person_ref)
    own = set(refs)
    builder = _Builder(ledger, own, sar.decisions)
    register = ledger.people.current(sar.person_ref) or {}
    for name, value in register.items():
        builder.redactor.own(value, name == "name")
    stored = deque((case_id, ledger.recorder.select_events(case_id)) for case_id in case_ids)
    for case_id, rows in stored:  # every third party's words first, so all text is redacted
        builder.learn(case_id, rows)
    summaries = []
    while stored:  # each case's rows let go once its records are made
        case_id, rows = stored.popleft()
        summaries.append(builder.case(case_id, rows, retention))
    recipients, accesses = [], []
    for entry in disclosures:
        if entry.kind == "access":
            if entry.outcome == "granted":
                accesses.append(entry)
                builder.actor_item(entry.actor_id, entry.actor_role, entry.actor_organisation)
        else:
            recipients.append(entry)
    return Draft(
        sar_id=sar.id,
        person_ref=sar.person_ref,
        refs=refs,
        register=register,
        cases=summaries,
        records=builder.records,
        recipients=sorted(recipients, key=lambda d: d.occurred_at),
        accesses=sorted(accesses, key=lambda d: d.occurred_at),
        items=builder.items,
    )


class _Builder:
    """Builds the items and the records case by case. Every item takes the request's
    decision on it as it is made, and every record is rendered as it is read: the
    redaction needs only the words ``learn`` found first and those decisions, so no
    case's events are kept once its records are built."""

    def __init__(
        self, ledger: CaseLedger, own: set[UUID], decisions: Mapping[str, Decided]
    ) -> None:
        self.ledger = ledger
        self.own = own
        self.decisions = decisions
        self.redactor = Redactor()
        self.items: dict[str, Item] = {}
        self.records: list[Record] = []
        self._roles: dict[UUID, str] = {}
        self._organisations: dict[str, str] = {}
        self._actors: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._shared_lines: dict[tuple[str, str], Line] = {}
        """The lines of codes, yes-or-no fields and references, made once a draft and shared
        by every record that shows them (most of a record's lines: fewer objects made and
        kept, for the garbage collector to walk)."""

    def learn(self, case_id: UUID, rows: Sequence[StoredEvent]) -> None:
        """Registers every person's identifiers: the subject's as their own, others' as items."""
        for row in rows:
            if not _names_a_person(row.topic):
                continue
            event: Any = self.ledger.mapper.to_domain_event(row)
            ref, details = _person_of(event)
            if ref is None or details is None:
                continue
            for name in ("name", "contact", "address", "date_of_birth"):
                sealed = getattr(details, name)
                if sealed is None:
                    continue
                value = self._unseal(sealed, case_id, F.PERSON_DETAILS[name])
                if ref in self.own:
                    self.redactor.own(value, name == "name")
                else:
                    item = self._third_party(ref, name, value, event)
                    self.redactor.watch(item.id, value, name == "name")

    def case(
        self, case_id: UUID, rows: Sequence[StoredEvent], retention: RetentionText
    ) -> CaseSummary:
        decode = self.ledger.mapper.to_domain_event
        opened: Any = decode(rows[0])
        events = chain((opened,), map(decode, islice(rows, 1, None)))
        prefix = f"record:{case_id}:"
        roles: set[str] = set()
        contributors: dict[str, None] = {}
        closed_on: date | None = None
        for event in events:
            assert isinstance(event, CaseEvent)
            ref, _ = _person_of(event)
            if ref in self.own:
                roles.add(_value(getattr(event, "role", None) or "complainant"))
            contributors[event.actor.organisation] = None
            kind = _kind(type(event))
            if kind == "CaseClosed":
                closed_on = event.occurred_at.date()
            elif kind == "CaseReopened":
                closed_on = None
            self.records.append(self._record(case_id, opened.reference, prefix, kind, event))
        return CaseSummary(
            case_id=case_id,
            reference=opened.reference,
            roles=sorted(roles),
            category=_value(opened.category),
            channel=_value(opened.channel),
            complainant_is_subject=opened.complainant_ref in self.own,
            closed_on=closed_on,
            contributors=[self._organisation(o) for o in contributors],
            retention=retention(_value(opened.category), closed_on),
        )

    def actor_item(self, user_id: str, role: str, organisation: str) -> str:
        key = actor_id(user_id)
        if key not in self.items:
            self._item(
                key,
                f"the identity of a {role} at {self._organisation(organisation)}",
                user_id,
                SarDecision.WITHHOLD,
            )
        return key

    # ------------------------------------------------------------------ helpers

    def _item(self, key: str, describes: str, value: str | None, default: SarDecision) -> Item:
        item = self.items[key] = Item(id=key, describes=describes, value=value, default=default)
        decided = self.decisions.get(key)
        if decided is not None:
            item.decide(decided)
        return item

    def _record(
        self, case_id: UUID, reference: str, prefix: str, kind: str, event: CaseEvent
    ) -> Record:
        version = event.originator_version
        key = f"{prefix}{version}"  # record_id(case_id, version)
        whole = self._item(
            key,
            f"the record of {kind} on {reference} (version {version})",
            None,
            SarDecision.RELEASE,
        )
        by, by_item = self._actor(event.actor)
        if whole.released:
            lines = self._lines(event, kind, f"{reference} version {version} ({kind})")
        else:  # its fields are still read: they make the third parties' items
            self._lines(event, kind, None)
            lines = [Line("record", whole.withheld_text(), whole.id)]
        return Record(
            case_id=case_id,  # the event's own copy of it is not kept for each record
            reference=reference,
            version=version,
            kind=kind,
            occurred_at=event.occurred_at,
            event_hash=vars(event).get(HASH_KEY) or "",
            by=by,
            by_item=by_item,
            lines=lines,
        )

    def _actor(self, actor: Actor) -> tuple[str, str]:
        """Who recorded an event, as a record shows them, and their item."""
        key = (actor.user_id, actor.role.value, actor.organisation)
        found = self._actors.get(key)
        if found is None:
            found = self._actors[key] = (
                f"a {key[1]} at {self._organisation(key[2])}",
                self.actor_item(*key),
            )
        return found

    def _lines(self, event: CaseEvent, kind: str, where: str | None) -> list[Line]:
        """The lines of an event's fields, with the decisions applied and the free text
        redacted (noting ``where`` on the items it names); with ``where`` None (the record
        is withheld) none, but the fields are still read, for the third parties' items."""
        ref, _ = _person_of(event)
        other = ref if ref is not None and ref not in self.own else None
        bound = F.BOUND.get(kind, {})
        lines: list[Line] = []
        for name, label in _fields_of(type(event)):
            given = getattr(event, name)
            convert = _AS_TEXT.get(type(given))
            if convert is not None and other is None and name not in _SPECIAL:
                if where is None:
                    continue
                if convert is _words or convert is _yes_no:
                    lines.append(self._shared_line(label, convert(given)))
                else:
                    lines.append(Line(label, convert(given)))
            elif given is None or given == () or given == []:
                continue
            elif isinstance(given, Sealed):
                self._sealed(lines, where, event, name, given, bound, other, label)
            elif not dataclasses.is_dataclass(given):
                self._plain_part(lines, where, event, name, given, other, label)
            else:  # a value of several fields (a person's details): each field its own line
                for path, value in _flatten(given, name):
                    if isinstance(value, Sealed):
                        self._sealed(lines, where, event, path, value, bound, other, _label(path))
                    else:
                        self._plain_part(lines, where, event, name, value, other, _label(path))
        return lines

    def _shared_line(self, label: str, text: str) -> Line:
        """The line for ``label`` and ``text``, made once a draft. Used for the fields
        shown as codes, yes or no, lists of codes or references to people, whose text
        repeats from record to record; a time, an id or a text gets a line of its own."""
        key = (label, text)
        line = self._shared_lines.get(key)
        if line is None:
            line = self._shared_lines[key] = Line(label, text)
        return line

    def _plain_part(
        self,
        lines: list[Line],
        where: str | None,
        event: CaseEvent,
        top: str,
        value: Any,
        other: UUID | None,
        label: str,
    ) -> None:
        if other is not None and top in _PROFILE:
            item = self._third_party(other, "profile", None, event)
            text = _plain(value)
            if where is not None:
                lines.append(_decided(label, text, item))
            return
        text = self._shown(top, value)
        if where is not None:
            lines.append(self._shared_line(label, text))

    def _sealed(
        self,
        lines: list[Line],
        where: str | None,
        event: CaseEvent,
        path: str,
        value: Sealed,
        bound: dict[str, str],
        other: UUID | None,
        label: str,
    ) -> None:
        plain = self._unseal(value, event.originator_id, bound[path])
        personal = value.scope.startswith("person:")
        if other is not None and personal:
            item = self._third_party(other, path.split(".")[-1], plain, event)
            if where is not None:
                lines.append(_decided(label, plain, item))
        elif where is not None:
            if plain is None:
                lines.append(Line(label, ERASED))
            elif personal:
                lines.append(Line(label, plain))
            else:  # free text about the case: other people's words redacted
                lines.append(Line(label, self.redactor.apply(plain, self.items, where)))

    def _third_party(self, ref: UUID, name: str, value: str | None, event: Any) -> Item:
        key = third_party_id(ref, name)
        item = self.items.get(key)
        if item is None:
            role = _value(getattr(event, "role", None) or "complainant")
            self._roles.setdefault(ref, role)
            what = "details" if name == "profile" else name.replace("_", " ")
            item = self._item(
                key,
                f"the {what} of another person (a {self._roles[ref]})",
                value,
                SarDecision.WITHHOLD,
            )
        elif item.value is None and value is not None:
            item.value = value
        return item

    def _shown(self, top: str, value: Any) -> str:
        """A value of the event's field ``top`` as shown: a person's reference as "you" or
        "another person"."""
        if top in PERSON_FIELDS:
            values = value if isinstance(value, list | tuple) else [value]
            return ", ".join(["you" if v in self.own else "another person" for v in values])
        if top == "items":
            return ", ".join(self._item_shared(str(v)) for v in value)
        return _plain(value)

    def _item_shared(self, item: str) -> str:
        kind, _, ref = item.partition(":")
        if kind != "person":
            return item
        return "your details" if UUID(ref) in self.own else "another person's details"

    def _unseal(self, sealed: Sealed, case_id: Any, name: str) -> str | None:
        plain = self.ledger.sealer.unseal(sealed, case_id=case_id, field=name)
        return None if isinstance(plain, Erased) else plain

    def _organisation(self, org_id: str) -> str:
        name = self._organisations.get(org_id)
        if name is None:
            name = self._organisations[org_id] = self.ledger.organisations.name_of(org_id)
        return name


def _decided(label: str, value: str | None, item: Item) -> Line:
    """A line that an item decides: its value if released, else the ground it is withheld on."""
    if item.released:
        return Line(label, ERASED if value is None else value)
    return Line(label, item.withheld_text(), item.id)


def _person_of(event: CaseEvent) -> tuple[UUID | None, PersonDetails | None]:
    """The person an event records the details of, if any (an opening's complainant, a
    linked person)."""
    if isinstance(event, CaseOpened):
        return event.complainant_ref, event.complainant
    if isinstance(event, PersonLinked):
        return event.person_ref, event.details
    return None, None


def _flatten(value: Any, path: str) -> Iterable[tuple[str, Any]]:
    if value is None or value == () or value == []:
        return
    if isinstance(value, Sealed) or not dataclasses.is_dataclass(value):
        yield path, value
        return
    for item in dataclasses.fields(value):
        yield from _flatten(getattr(value, item.name), f"{path}.{item.name}")


@functools.cache
def _fields_of(cls: type) -> tuple[tuple[str, str], ...]:
    """The fields of an event class a response shows, in the order its hash commits to,
    each with its label."""
    return tuple((name, _label(name)) for name in committed_fields(cls) if name not in _SKIP)


@functools.cache
def _names_a_person(topic: str) -> bool:
    """Whether events stored under ``topic`` may record a person's details (``_person_of``)."""
    return issubclass(stored_class(topic), CaseOpened | PersonLinked)


@functools.cache
def _label(path: str) -> str:
    return path.replace("_", " ").replace(".", ": ")


@functools.cache
def _kind(cls: type) -> str:
    return kind_of(cls)


def _value(value: Any) -> str:
    return value._value_ if isinstance(value, Enum) else str(value)  # _value_: .value, sooner


def _words(value: Any) -> str:
    """A code as words ("community_safety": "community safety")."""
    return value._value_.replace("_", " ") if isinstance(value, Enum) else str(value)


def _plain(value: Any) -> str:
    """A field's value as text: a code as words, a time in ISO 8601, a list joined."""
    kind = type(value)
    convert = _AS_TEXT.get(kind)
    if convert is not None:
        return convert(value)
    if isinstance(value, Enum):
        _AS_TEXT[kind] = _words
        return _words(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join([_plain(v) for v in value])
    return str(value)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


_AS_TEXT: dict[type, Callable[[Any], str]] = {
    str: str,
    int: str,
    UUID: str,
    bool: _yes_no,
    datetime: datetime.isoformat,
    date: date.isoformat,
}
"""How each plain type reads; enums join as they are first met."""


def retention_sentence(policy: Retention) -> RetentionText:
    """The retention sentence for a case, from the council's retention settings."""

    def sentence(category: str, closed_on: date | None) -> str:
        kind = Category(category)
        if closed_on is None:
            kept = policy.years_for(kind)
            return f"kept while the case is open, then for {kept} years after it closes"
        until = policy.due_on(kind, closed_on)
        return f"closed on {closed_on.isoformat()}; kept until {until.isoformat()}, then erased"

    return sentence
