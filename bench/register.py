"""A person register of realistic shape for the people benchmarks, built fast through the aggregate.

People: a given name from 60, a surname drawn as in England and Wales (the 100 commonest,
weighted by a Zipf law fitted so that Smith is about 1.2% of people and the 100 together
about 22%, as in the ONS and census tallies; the rest from a long tail of 41,000
made-up surnames of three syllables, 27,220 phonetic codes among them), a date of
birth from 1935 to 2000, a mobile number of their own, and an address shared with one or two
others about half the time (a household). Each is a real ``Person`` registered through
``Person.register`` (rules, hash chain) and saved by ``ledger.save`` a batch at a time; the
index rows are the very tokens the product would write (``ledger.people.index.tokens`` of
``PlainDetails.tokens()``, under the ledger's own index key), inserted in bulk, as
``add_tokens`` would for each person. One short cut, as in ``bench/population.py``: the
details are sealed with real AES-256-GCM (same associated data, same scope) under one
benchmark key that is not put in the key table, instead of one key row per person; nothing
the benchmarks time unseals them.
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql

from ledger import fields
from ledger.application import CaseLedger
from ledger.people import Person, person_stream
from ledger.person_register import PlainDetails
from ledger.sealing import associated_data
from ledger.values import Actor, PersonDetails, Sealed, person_scope
from tests.builders import CASEWORKER

COMMON = (  # noqa: SIM905 - words, one string
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts"
    " Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke"
    " Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker"
    " Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young"
    " Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy"
    " Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson"
    " Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen"
    " Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins"
    " Murray Dixon Harvey"
).split()
GIVEN = (  # noqa: SIM905 - words, one string
    "Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Leo"
    " Alfie Henry Joshua Freddie Archie Ethan Isaac Olivia Amelia Isla Ava Mia Ivy Lily"
    " Isabella Rosie Sophia Grace Freya Ella Evie Poppy Florence Willow Sophie Emily Daisy"
    " Margaret Susan David John Peter Paul Mark Karen Julie Sarah Helen Michael Christine"
    " Andrew Linda Stephen Janet Ian Gary Tracey"
).split()
_FIRST = (  # noqa: SIM905 - words, one string
    "Har Ash Brad Cal Dun Fen Gar Hol Kin Lang Mar Nor Pen Rad Stan Thorn Wal Whit Ack"
    " Bel Cor Dal El Fal Gil Hes Ing Jar Kel Lor Mel Ned Ol Pol Quen Ros Sel Tal Ul Ves"
).split()
_MIDDLE = (  # noqa: SIM905 - words, one string
    "ring ing ley ton bur wick ford field mond ham by stead more well ber cas dar en gat"
    " hurst lin mer nel sam vin"
).split()
_LAST = (  # noqa: SIM905 - words, one string
    "ton ford son well worth by ham ley croft dale den field gate hall hurst land low"
    " mere more ridge ston thorpe wood wick bury cott combe don fold grave holt kirk lake"
    " mouth over shaw side stock tree wade yard"
).split()
ZIPF = 0.9
COMMON_SHARE = 0.22
BORN = (date(1935, 1, 1), date(2000, 12, 31))


def _common_weights() -> list[float]:
    raw = [1 / (rank + 1) ** ZIPF for rank in range(len(COMMON))]
    total = sum(raw)
    return [COMMON_SHARE * w / total for w in raw]


@dataclass(frozen=True)
class Someone:
    """One person as the register is given them."""

    ref: UUID
    details: PlainDetails


class People:
    """Made-up people, the same for the same seed; ``serial`` numbers keep phones unique.

    ``newcomers``: people no one registered could be taken for (a complainant at intake):
    born after everyone in the register, each on a day of their own, never sharing a home.
    Their names and phones are drawn as the register's (from ``first_serial`` on)."""

    def __init__(self, seed: int = 12, *, first_serial: int = 0, newcomers: bool = False) -> None:
        self.rng = random.Random(seed)
        self.weights = _common_weights()
        self.serial = self.first_serial = first_serial
        self.newcomers = newcomers
        self.homes: list[str] = []

    def surname(self) -> str:
        rng = self.rng
        if rng.random() < COMMON_SHARE:
            return rng.choices(COMMON, weights=self.weights)[0]
        return rng.choice(_FIRST) + rng.choice(_MIDDLE) + rng.choice(_LAST)

    def address(self) -> str:
        rng = self.rng
        if self.homes and not self.newcomers and rng.random() < 0.5:
            return rng.choice(self.homes)
        district, sector = rng.randrange(1, 22), rng.randrange(1, 10)
        unit = "".join(rng.choice("ABDEFGHJLNPQRSTUWXYZ") for _ in range(2))
        home = f"{rng.randrange(1, 200)} {rng.choice(_FIRST)}ley Road, Stafford ST{district}"
        home += f" {sector}{unit}"
        self.homes.append(home)
        return home

    def born(self, low: date = BORN[0], high: date = BORN[1]) -> str:
        return (low + timedelta(days=self.rng.randrange((high - low).days))).isoformat()

    def someone(self) -> Someone:
        self.serial += 1
        name = f"{self.rng.choice(GIVEN)} {self.surname()}"
        contact = f"07{700 + self.serial // 1_000_000} {self.serial % 1_000_000:06d}"
        born = (
            (BORN[1] + timedelta(days=self.serial - self.first_serial)).isoformat()
            if self.newcomers
            else self.born()
        )
        details = PlainDetails(
            name=name, contact=contact, address=self.address(), date_of_birth=born
        )
        return Someone(uuid4(), details)


class Loader:
    """Registers people in a ledger: ``Person`` aggregates saved in batches, index rows
    inserted in bulk."""

    def __init__(self, ledger: CaseLedger, actor: Actor = CASEWORKER) -> None:
        self.ledger = ledger
        self.actor = actor
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self.at = datetime.now(UTC) - timedelta(days=30)

    def _seal(self, ref: UUID, text: str | None, field: str) -> Sealed | None:
        if text is None:
            return None
        scope, nonce = person_scope(ref), os.urandom(12)
        blob = self._aead.encrypt(
            nonce, text.encode(), associated_data(person_stream(ref), field, scope)
        )
        return Sealed(scope, nonce + blob)

    def person(self, who: Someone) -> Person:
        d, ref = who.details, who.ref
        name = self._seal(ref, d.name, fields.PERSON_NAME)
        assert name is not None
        details = PersonDetails(
            name=name,
            contact=self._seal(ref, d.contact, fields.PERSON_CONTACT),
            address=self._seal(ref, d.address, fields.PERSON_ADDRESS),
            date_of_birth=self._seal(ref, d.date_of_birth, fields.PERSON_DATE_OF_BIRTH),
        )
        return Person.register(
            actor=self.actor, occurred_at=self.at, person_ref=ref, details=details
        )

    def load(self, people: list[Someone], batch: int = 1_000) -> None:
        index = self.ledger.people.index
        for start in range(0, len(people), batch):
            chunk = people[start : start + batch]
            self.ledger.save(*(self.person(who) for who in chunk))
            rows = [
                (token, str(who.ref), kind.value)
                for who in chunk
                for token, kind in index.tokens(who.details.tokens()).items()
            ]
            self._tokens(rows)

    def _tokens(self, rows: list[tuple[str, str, str]]) -> None:
        config = self.ledger.store_config
        if config.sqlite_path is not None:
            conn = sqlite3.connect(config.sqlite_path, isolation_level=None, timeout=30)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO asb_person_tokens (token, person_ref, kind) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    rows,
                )
                conn.execute("COMMIT")
            finally:
                conn.close()
            return
        assert config.postgres_conninfo is not None
        with psycopg.connect(config.postgres_conninfo, autocommit=True) as pg:
            table = sql.Identifier(config.postgres_schema, "asb_person_tokens")
            pg.execute(
                sql.SQL(
                    "INSERT INTO {} (token, person_ref, kind)"
                    " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])"
                    " ON CONFLICT DO NOTHING"
                ).format(table),
                ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
            )


def crowd(count: int, seed: int = 12) -> Iterator[Someone]:
    people = People(seed)
    for _ in range(count):
        yield people.someone()
