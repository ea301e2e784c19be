"""Normalising what identifies a person, so that two spellings of one detail compare equal.

These functions turn a name, a date of birth, a phone number, an e-mail address or an
address into the tokens a blind index is built from (``ledger/blind_index.py``): full name
(case, accents, punctuation and spacing do not matter), surname with date of birth, a
phonetic code of the surname (metaphone, through ``jellyfish``), a phone number in E.164
(through ``phonenumbers``, UK numbers by default), an e-mail address, and a postcode with
the house number or name. A detail that cannot be normalised gives no token: it is never
guessed at. Nothing here is stored; only keyed hashes of the results are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum

import jellyfish
import phonenumbers

POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")
"""A UK postcode, with or without its space (``ST16 2AB``, ``st162ab``)."""
_HOUSE_NUMBER = re.compile(r"\b([0-9]+[A-Z]?)\s+[A-Z]")
"""A house number: digits (and a letter) followed by a word, the street (``10A Example
Road``); ``Flat 2,`` is not one, since a comma follows."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TokenKind(Enum):
    """What a blind-index token stands for. The value is part of what is hashed, so two
    kinds of detail never collide."""

    FULL_NAME = "full_name"
    SURNAME_AND_BIRTH = "surname_dob"
    SURNAME_SOUND = "surname_phonetic"
    PHONE = "phone"
    EMAIL = "email"
    POSTCODE_AND_HOUSE = "postcode_house"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    value: str


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone, hyphens as spaces, spacing collapsed:
    ``  Zoë  O'Brien-Smith `` is ``zoe obrien smith``. Names and wards compare in it."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = "".join(" " if unicodedata.category(c) == "Pd" or c in "_/" else c for c in plain)
    plain = re.sub(r"[^\w\s]", "", plain)
    return " ".join(plain.split())


def full_name(name: str) -> str | None:
    """The whole name folded, without its spaces: ``O'Neill``, ``O Neill`` and ``ONeill``
    are one name (records write the particles of a name every way)."""
    folded = fold(name).replace(" ", "")
    return folded or None


def surname(name: str) -> str | None:
    """The last word of the name (the family name, as UK records write names)."""
    words = fold(name).split()
    return words[-1] if words else None


def phone(text: str, region: str = "GB") -> str | None:
    """The number in E.164 (``+447700900123``), or None if it is not a possible number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(text: str) -> str | None:
    stripped = text.strip().casefold()
    return stripped if _EMAIL.match(stripped) else None


def postcode(address: str) -> str | None:
    """The address's postcode, without its space, upper case (``ST162AB``)."""
    found = POSTCODE.findall(" ".join(address.upper().split()))
    return f"{found[-1][0]}{found[-1][1]}" if found else None


def house(address: str) -> str | None:
    """The house number (``10A``), or else the house name: the first part of the address
    (``Rose Cottage``), folded."""
    upper = address.upper()
    number = _HOUSE_NUMBER.search(upper)
    if number:
        return number.group(1)
    first = fold(address.split(",")[0])
    if not first or POSTCODE.search(first.upper()):
        return None
    return first


def birth_date(text: str | None) -> date | None:
    """A date of birth written ``1970-01-31`` or ``31/01/1970`` (UK order), else None."""
    if not text:
        return None
    stripped = text.strip()
    try:
        return date.fromisoformat(stripped)
    except ValueError:
        pass
    parts = re.split(r"[/.\-]", stripped)
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            return None
    return None


def tokens(
    *,
    name: str | None = None,
    date_of_birth: date | None = None,
    contacts: tuple[str, ...] = (),
    address: str | None = None,
) -> frozenset[Token]:
    """Every token the details give (none for a detail that does not normalise)."""
    found: set[Token] = set()
    if name:
        whole, last = full_name(name), surname(name)
        if whole:
            found.add(Token(TokenKind.FULL_NAME, whole))
        if last:
            found.add(Token(TokenKind.SURNAME_SOUND, jellyfish.metaphone(last)))
            if date_of_birth is not None:
                born = date_of_birth.isoformat()
                found.add(Token(TokenKind.SURNAME_AND_BIRTH, f"{last}|{born}"))
    for contact in contacts:
        if "@" in contact:
            mail = email(contact)
            if mail:
                found.add(Token(TokenKind.EMAIL, mail))
        else:
            number = phone(contact)
            if number:
                found.add(Token(TokenKind.PHONE, number))
    if address:
        code, home = postcode(address), house(address)
        if code and home:
            found.add(Token(TokenKind.POSTCODE_AND_HOUSE, f"{code}|{home}"))
    return frozenset(found)
