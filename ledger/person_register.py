"""The person register: finding, recording, correcting and merging the people behind cases.

A person is a stream of their own (``ledger/people.py``); what identifies them is also
kept as blind-index tokens (``ledger/blind_index.py``) beside the events, so that intake
can ask "do we know this person already?" without any detail stored in the clear.

Matching is by the kinds of token that agree, each with a weight: a date of birth with the
surname, a phone number or an e-mail address (3) say more than a full name or an address
(2), and a surname that sounds alike (1) least. A candidate is *strong* at 4 or more with
something personal among what agreed (the full name, the surname with the date of birth,
or an e-mail address), and no date of birth that disagrees: a name with a date of birth,
a phone, an e-mail or an address is strong. A name alone (2 + 1) is not: many people
share one. Nor is a household's phone and address without the name: a mother and her
daughter share both, and are two people. Nor a namesake born on another day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from ledger import fields, identity
from ledger.blind_index import INDEX_SCOPE, BlindIndex
from ledger.enums import ContactMethod, Vulnerability
from ledger.errors import Rule, RuleViolation
from ledger.people import Person, person_stream
from ledger.sealing import Erased
from ledger.values import Actor, PersonDetails, Sealed

if TYPE_CHECKING:
    from ledger.application import CaseLedger

WEIGHTS: dict[identity.TokenKind, int] = {
    identity.TokenKind.SURNAME_AND_BIRTH: 3,
    identity.TokenKind.PHONE: 3,
    identity.TokenKind.EMAIL: 3,
    identity.TokenKind.FULL_NAME: 2,
    identity.TokenKind.POSTCODE_AND_HOUSE: 2,
    identity.TokenKind.SURNAME_SOUND: 1,
}
STRONG = 4
"""The score from which a candidate is taken to be the same person until shown otherwise."""
SEARCH_LIMIT = 20
"""Candidates a search returns at most, strongest first."""
FUZZY = 50
"""People a search by the surname's sound alone considers at most."""


def _score(kinds: set[identity.TokenKind]) -> int:
    return sum(WEIGHTS[kind] for kind in kinds)


@dataclass(frozen=True)
class PlainDetails:
    """A person's details as a caller gave them, before sealing (None: not given)."""

    name: str | None = None
    contact: str | None = None
    address: str | None = None
    date_of_birth: str | None = None

    def tokens(self) -> frozenset[identity.Token]:
        return identity.tokens(
            name=self.name,
            date_of_birth=identity.birth_date(self.date_of_birth),
            contacts=(self.contact,) if self.contact else (),
            address=self.address,
        )


PERSONAL = frozenset(
    {identity.TokenKind.FULL_NAME, identity.TokenKind.SURNAME_AND_BIRTH, identity.TokenKind.EMAIL}
)
"""Kinds of detail that belong to one person, where a phone or an address may be a
household's."""


@dataclass(frozen=True)
class Candidate:
    """A registered person whose tokens matched, with which kinds of detail agreed, and
    which kinds both hold but disagree on (only the date of birth is weighed so)."""

    person_ref: UUID
    matched: tuple[identity.TokenKind, ...]
    disagreed: tuple[identity.TokenKind, ...] = ()

    @property
    def score(self) -> int:
        return sum(WEIGHTS[kind] for kind in self.matched)

    @property
    def strong(self) -> bool:
        return (
            self.score >= STRONG
            and not PERSONAL.isdisjoint(self.matched)
            and identity.TokenKind.SURNAME_AND_BIRTH not in self.disagreed
        )


class PossibleDuplicate(RuleViolation):
    """A new person's details strongly match people already registered."""

    def __init__(self, candidates: list[Candidate], field: str) -> None:
        super().__init__(
            Rule.PERSON_POSSIBLE_DUPLICATE,
            f"{field}: the details match {len(candidates)} registered"
            f" {'person' if len(candidates) == 1 else 'people'}: name the person"
            " (person_ref) or confirm a different person (confirm_new_person)",
        )
        self.candidates = candidates


@dataclass(frozen=True)
class Intake:
    """What recording a person at intake writes: the person's new events (or None, when
    nothing about them changed) and the index tokens their details give."""

    person: Person | None
    tokens: dict[str, str]


class PersonRegister:
    """The people known to the partnership, on the ledger's store."""

    def __init__(self, ledger: CaseLedger) -> None:
        self.ledger = ledger
        self._index: BlindIndex | None = None

    @property
    def index(self) -> BlindIndex:
        if self._index is None:
            self._index = BlindIndex(self.ledger.keys.index_key(INDEX_SCOPE))
        return self._index

    # ------------------------------------------------------------- reading

    def get(self, person_ref: UUID) -> Person | None:
        """The record ``person_ref`` names (merged or not), if registered."""
        try:
            found: Any = self.ledger.repository.get(person_stream(person_ref))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Person) else None

    def resolve(self, person_ref: UUID) -> UUID:
        """The surviving reference of a person: ``person_ref`` unless it was merged."""
        seen = {person_ref}
        record = self.get(person_ref)
        while record is not None and record.merged_into is not None:
            if record.merged_into in seen:  # pragma: no cover - merges refuse cycles
                break
            seen.add(record.merged_into)
            record = self.get(record.merged_into)
        return person_ref if record is None else record.person_ref

    def same_person(self, person_ref: UUID) -> list[UUID]:
        """Every reference that names this person: the survivor first, then the records
        merged into it (``person_ref`` alone if it is not registered)."""
        survivor = self.resolve(person_ref)
        record = self.get(survivor)
        aliases = () if record is None else record.aliases
        return list(dict.fromkeys((survivor, *aliases, person_ref)))

    def search(self, details: PlainDetails, limit: int = SEARCH_LIMIT) -> list[Candidate]:
        """Registered people whose details match, strongest first, at most ``limit``.

        Reads the index only (two or three indexed selects), never a person's record: a
        merge moves the merged record's tokens to the survivor (``merge_tokens``), and
        tokens are written only once their person's events are saved. The surname's sound
        alone matches many people, so it is looked up among those matched by something
        else; only when nothing else matched is it a search of its own (a misspelt name),
        of at most ``FUZZY`` people."""
        hashed = self.index.tokens(details.tokens())
        table = self.ledger.keys.table
        sound = [t for t, kind in hashed.items() if kind is identity.TokenKind.SURNAME_SOUND]
        exact = [t for t, kind in hashed.items() if kind is not identity.TokenKind.SURNAME_SOUND]
        found: dict[UUID, set[identity.TokenKind]] = defaultdict(set)
        rows = table.match_with_sound(exact, sound)
        if not rows and sound:
            rows = table.match_tokens(sound, limit=FUZZY)
        for ref, kind in rows:
            found[UUID(ref)].add(identity.TokenKind(kind))
        ranked = sorted(found.items(), key=lambda item: (-_score(item[1]), str(item[0])))[:limit]
        born = identity.TokenKind.SURNAME_AND_BIRTH
        undecided = [
            ref
            for ref, kinds in ranked
            if born in hashed.values() and born not in kinds and Candidate(ref, tuple(kinds)).strong
        ]
        held: dict[UUID, set[identity.TokenKind]] = defaultdict(set)
        for ref, kind in table.kinds_of([str(r) for r in undecided]):
            held[UUID(ref)].add(identity.TokenKind(kind))
        return [
            Candidate(
                ref,
                tuple(sorted(kinds, key=lambda k: (-WEIGHTS[k], k.value))),
                (born,) if born in held[ref] else (),
            )
            for ref, kinds in ranked
        ]

    def merge_tokens(self, merged: UUID, survivor: UUID) -> None:
        """After a merge is saved: the merged record's tokens find the survivor."""
        self.ledger.keys.table.repoint_tokens(str(merged), str(survivor))

    def current(self, person_ref: UUID) -> dict[str, str | None] | None:
        """The details the register holds now for the person ``person_ref`` names (the
        survivor's, if the record was merged), unsealed; None if it holds none."""
        record = self.get(person_ref)
        if record is not None and record.merged_into is not None:
            record = self.get(self.resolve(person_ref))
        return None if record is None else self.details(record)

    def details(self, person: Person) -> dict[str, str | None]:
        """A person's details unsealed (an erased field reads as None)."""
        scope_case = person_stream(person.person_ref)
        out: dict[str, str | None] = {}
        for name in ("name", "contact", "address", "date_of_birth"):
            sealed: Sealed | None = getattr(person.details, name)
            plain = (
                None
                if sealed is None
                else self.ledger.sealer.unseal(sealed, case_id=scope_case, field=_FIELDS[name])
            )
            out[name] = None if plain is None or isinstance(plain, Erased) else str(plain)
        return out

    # ------------------------------------------------------------- writing

    def screen(
        self,
        person_ref: UUID,
        given: PlainDetails | None,
        *,
        check_duplicates: bool,
        field: str,
    ) -> Person | None:
        """Before a person is recorded at intake: their register record, if any (a merged
        record is refused, naming the survivor); for someone new with details, when
        ``check_duplicates``, ``PossibleDuplicate`` if they strongly match a registered
        person. Nothing is written, and no key is made."""
        record = self.get(person_ref)
        if record is not None and record.merged_into is not None:
            raise RuleViolation(
                Rule.PERSON_MERGE,
                f"{field}: person {person_ref} was merged into {record.merged_into}: name that"
                " reference",
            )
        if record is None and check_duplicates and given is not None and _named(given):
            strong = [c for c in self.search(given) if c.strong]
            if strong:
                raise PossibleDuplicate(strong, field)
        return record

    def intake(
        self,
        record: Person | None,
        person_ref: UUID,
        given: PlainDetails | None,
        *,
        actor: Actor,
        occurred_at: datetime,
        preferred_contact: ContactMethod | None = None,
        vulnerabilities: tuple[Vulnerability, ...] = (),
    ) -> Intake:
        """Records a person met at intake (``record`` is what ``screen`` found): registered
        if new, else corrected in only the fields given that differ from those held. The
        caller saves ``Intake.person`` with the case, then indexes ``Intake.tokens``."""
        if given is None or not _named(given):
            return Intake(None, {})
        tokens = {token: kind.value for token, kind in self.index.tokens(given.tokens()).items()}
        if record is None:
            person = Person.register(
                actor=actor,
                occurred_at=occurred_at,
                person_ref=person_ref,
                details=self._seal(person_ref, given),
                preferred_contact=preferred_contact,
                vulnerabilities=vulnerabilities,
            )
            return Intake(person, tokens)
        held = self.details(record)
        changed = PlainDetails(
            **{
                name: value
                for name in ("name", "contact", "address", "date_of_birth")
                if (value := getattr(given, name)) and value.strip() != (held.get(name) or "")
            }
        )
        sealed = self._seal_some(person_ref, changed)
        added = tuple(v for v in vulnerabilities if v not in record.vulnerabilities)
        new_contact = preferred_contact not in (None, record.preferred_contact)
        if not any(sealed.values()) and not added and not new_contact:
            return Intake(None, tokens)
        record.correct(
            actor=actor,
            occurred_at=occurred_at,
            preferred_contact=preferred_contact if new_contact else None,
            vulnerabilities=added,
            **sealed,
        )
        return Intake(record, tokens)

    def merge(
        self, person_ref: UUID, into: UUID, *, actor: Actor, occurred_at: datetime
    ) -> tuple[Person, Person]:
        """Merges record ``person_ref`` into ``into`` (which survives); returns both, with
        their events pending, for the caller to save together."""
        merged, survivor = self.get(person_ref), self.get(into)
        for ref, record in ((person_ref, merged), (into, survivor)):
            if record is None:
                raise RuleViolation(Rule.PERSON_UNKNOWN, f"person {ref} is not registered")
        assert merged is not None
        assert survivor is not None
        survivor.absorb(actor=actor, occurred_at=occurred_at, other=merged)
        merged.merge_into(actor=actor, occurred_at=occurred_at, into=into)
        return merged, survivor

    def add_tokens(self, person_ref: UUID, tokens: dict[str, str]) -> None:
        """Indexes a person's tokens. Written before the person's events, so a crash between
        the two leaves tokens that find nobody (ignored) rather than a person who cannot be
        found at the next intake."""
        if tokens:
            self.ledger.keys.table.add_tokens(str(person_ref), tokens)

    def _seal(self, person_ref: UUID, given: PlainDetails) -> PersonDetails:
        sealed = self._seal_some(person_ref, given)
        name = sealed.pop("name")
        if name is None:
            raise RuleViolation(Rule.TEXT_REQUIRED, "a person is registered with a name")
        return PersonDetails(name=name, **sealed)

    def _seal_some(self, person_ref: UUID, given: PlainDetails) -> dict[str, Sealed | None]:
        stream = person_stream(person_ref)
        sealer = self.ledger.sealer.for_one_command()
        return {
            name: sealer.seal_personal(
                getattr(given, name), case_id=stream, person_ref=person_ref, field=_FIELDS[name]
            )
            for name in ("name", "contact", "address", "date_of_birth")
        }


def _named(given: PlainDetails) -> bool:
    return bool((given.name or "").strip())


_FIELDS = {
    "name": fields.PERSON_NAME,
    "contact": fields.PERSON_CONTACT,
    "address": fields.PERSON_ADDRESS,
    "date_of_birth": fields.PERSON_DATE_OF_BIRTH,
}
