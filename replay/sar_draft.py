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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from ledger import fields as F  # noqa: N812
from ledger.application import CaseLedger
from ledger.chain import HASH_KEY, committed_fields
from ledger.enums import Category, SarDecision
from ledger.events import CaseEvent, CaseOpened, PersonLinked
from ledger.sar import SubjectAccessRequest
from ledger.sealing import Erased
from ledger.settings import Retention
from ledger.type_names import kind_of
from ledger.values import Actor, PersonDetails, Sealed
from projections.disclosures.model import Disclosure
from replay.history import PERSON_FIELDS
from replay.sar_items import Item, Redactor, actor_id, record_id, third_party_id

ERASED = "[erased]"
_NAME_LIKE = {F.PERSON_NAME}
_SKIP = frozenset({"prev_hash", "originator_topic"})
_SPECIAL = PERSON_FIELDS | {"items"}
"""Fields shown otherwise than as their value: a person's reference, the items shared."""
_PROFILE = frozenset({"vulnerabilities", "self_declared_repeat_victim", "preferred_contact"})

RetentionText = Callable[[str, date | None], str]
"""The retention that applies to a case: given its category and the day it closed (None
while open), a sentence saying how long it is kept."""


@dataclass
class Line:
    """One field of a recorded event as the response shows it."""

    label: str
    text: str
    item: str | None = None  # the item that decides it (a third party's field)


@dataclass
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
    builder = _Builder(ledger, own)
    register = ledger.people.current(sar.person_ref) or {}
    for name, value in register.items():
        builder.redactor.own(value, name == "name")
    loaded = [(case_id, list(ledger.repository.event_store.get(case_id))) for case_id in case_ids]
    for _, events in loaded:  # every third party's words first, so all text is redacted
        builder.learn(events)
    summaries = [builder.case(case_id, events, retention) for case_id, events in loaded]
    recipients, accesses = [], []
    for entry in disclosures:
        if entry.kind == "access":
            if entry.outcome == "granted":
                accesses.append(entry)
                builder.actor_item(entry.actor_id, entry.actor_role, entry.actor_organisation)
        else:
            recipients.append(entry)
    for item_name, decided in sar.decisions.items():
        if item_name in builder.items:
            builder.items[item_name].decide(decided)
    for record in builder.records:  # redaction follows the decisions
        builder.render(record)
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


@dataclass
class _Raw:
    label: str
    value: str | None  # plaintext, before redaction
    free_text: bool
    item: str | None


class _Builder:
    def __init__(self, ledger: CaseLedger, own: set[UUID]) -> None:
        self.ledger = ledger
        self.own = own
        self.redactor = Redactor()
        self.items: dict[str, Item] = {}
        self.records: list[Record] = []
        self._raw: dict[int, list[_Raw]] = {}
        self._roles: dict[UUID, str] = {}
        self._organisations: dict[str, str] = {}

    def learn(self, events: list[Any]) -> None:
        """Registers every person's identifiers: the subject's as their own, others' as items."""
        case_id = events[0].originator_id if events else None
        for event in events:
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

    def case(self, case_id: UUID, events: list[Any], retention: RetentionText) -> CaseSummary:
        opened = events[0]
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
            self.records.append(self._record(opened.reference, event))
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
            self.items[key] = Item(
                id=key,
                describes=f"the identity of a {role} at {self._organisation(organisation)}",
                value=user_id,
                default=SarDecision.WITHHOLD,
            )
        return key

    def render(self, record: Record) -> None:
        """The record's lines with the current decisions applied."""
        raw = self._raw[id(record)]
        where = f"{record.reference} version {record.version} ({record.kind})"
        whole = self.items[record_id(record.case_id, record.version)]
        if not whole.released:
            record.lines = [Line("record", whole.withheld_text(), whole.id)]
            return
        lines = []
        for part in raw:
            if part.item is not None and not self.items[part.item].released:
                lines.append(Line(part.label, self.items[part.item].withheld_text(), part.item))
            elif part.value is not None and part.free_text:
                lines.append(Line(part.label, self.redactor.apply(part.value, self.items, where)))
            else:
                lines.append(Line(part.label, ERASED if part.value is None else part.value))
        record.lines = lines

    # ------------------------------------------------------------------ helpers

    def _record(self, reference: str, event: CaseEvent) -> Record:
        case_id, version = event.originator_id, event.originator_version
        key = record_id(case_id, version)
        kind = _kind(type(event))
        self.items[key] = Item(
            id=key,
            describes=f"the record of {kind} on {reference} (version {version})",
            value=None,
            default=SarDecision.RELEASE,
        )
        actor: Actor = event.actor
        record = Record(
            case_id=case_id,
            reference=reference,
            version=version,
            kind=kind,
            occurred_at=event.occurred_at,
            event_hash=vars(event).get(HASH_KEY) or "",
            by=f"a {actor.role.value} at {self._organisation(actor.organisation)}",
            by_item=self.actor_item(actor.user_id, actor.role.value, actor.organisation),
        )
        self._raw[id(record)] = list(self._parts(event, kind))
        return record

    def _parts(self, event: CaseEvent, kind: str) -> Iterable[_Raw]:
        ref, _ = _person_of(event)
        other = ref is not None and ref not in self.own
        bound = F.BOUND.get(kind, {})
        for name in _fields_of(type(event)):
            given = getattr(event, name)
            if type(given) in _AS_TEXT and name not in _SPECIAL and not other:
                yield _Raw(_label(name), _AS_TEXT[type(given)](given), False, None)
                continue
            for path, value in _flatten(given, name):
                label = _label(path)
                if isinstance(value, Sealed):
                    yield self._sealed(event, path, value, bound, ref if other else None, label)
                elif other and name in _PROFILE:
                    assert ref is not None
                    item = self._third_party(ref, "profile", None, event)
                    yield _Raw(label, _plain(value), False, item.id)
                else:
                    yield _Raw(label, self._shown(name, value), False, None)

    def _sealed(
        self,
        event: CaseEvent,
        path: str,
        value: Sealed,
        bound: dict[str, str],
        other: UUID | None,
        label: str,
    ) -> _Raw:
        plain = self._unseal(value, event.originator_id, bound[path])
        personal = value.scope.startswith("person:")
        if other is not None and personal:
            item = self._third_party(other, path.split(".")[-1], plain, event)
            return _Raw(label, plain, False, item.id)
        return _Raw(label, plain, not personal, None)

    def _third_party(self, ref: UUID, name: str, value: str | None, event: Any) -> Item:
        key = third_party_id(ref, name)
        item = self.items.get(key)
        if item is None:
            role = _value(getattr(event, "role", None) or "complainant")
            self._roles.setdefault(ref, role)
            what = "details" if name == "profile" else name.replace("_", " ")
            item = self.items[key] = Item(
                id=key,
                describes=f"the {what} of another person (a {self._roles[ref]})",
                value=value,
                default=SarDecision.WITHHOLD,
            )
        elif item.value is None and value is not None:
            item.value = value
        return item

    def _shown(self, top: str, value: Any) -> str:
        """A value of the event's field ``top`` as shown: a person's reference as "you" or
        "another person"."""
        if top in PERSON_FIELDS:
            values = value if isinstance(value, list | tuple) else [value]
            return ", ".join("you" if v in self.own else "another person" for v in values)
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
def _fields_of(cls: type) -> tuple[str, ...]:
    """The fields of an event class a response shows, in the order its hash commits to."""
    return tuple(name for name in committed_fields(cls) if name not in _SKIP)


@functools.cache
def _label(path: str) -> str:
    return path.replace("_", " ").replace(".", ": ")


@functools.cache
def _kind(cls: type) -> str:
    return kind_of(cls)


def _value(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _words(value: Any) -> str:
    """A code as words ("community_safety": "community safety")."""
    return value.value.replace("_", " ") if isinstance(value, Enum) else str(value)


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
        return ", ".join(_plain(v) for v in value)
    return str(value)


_AS_TEXT: dict[type, Callable[[Any], str]] = {
    str: str,
    int: str,
    UUID: str,
    bool: lambda flag: "yes" if flag else "no",
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
