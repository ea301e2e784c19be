"""Normalising identifying details, and the blind index over them (issue 12, §1): names
with accents, apostrophes and double spaces; UK phone numbers in several forms; postcodes
with and without spaces; equal inputs give equal tokens, different index keys different
tokens, and no token can be recomputed without the key."""

from __future__ import annotations

import hashlib
import os
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.blind_index import INDEX_SCOPE, BlindIndex
from ledger.identity import (
    Token,
    TokenKind,
    email,
    full_name,
    house,
    phone,
    postcode,
    surname,
    tokens,
)
from ledger.keystore import KeyStore, MemoryKeyTable


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Zoë O'Brien", "zoe obrien"),
        ("  Zoë   O\u2019Brien ", "ZOE OBRIEN"),
        ("Anne-Marie Smith", "anne marie  smith"),
        ("José Álvarez", "Jose Alvarez"),
        ("Siân Lloyd-Jones", "sian lloyd jones"),
    ],
)
def test_two_spellings_of_one_name_fold_alike(one: str, other: str) -> None:
    assert full_name(one) == full_name(other)
    assert surname(one) == surname(other)


def test_a_name_written_with_or_without_the_space_of_a_particle_is_one_full_name() -> None:
    assert full_name("Victoria O'Neill") == full_name("VICTORIA O NEILL") == "victoriaoneill"
    assert full_name("Mary McDonald") == full_name("mary mc donald")


def test_different_names_stay_different() -> None:
    assert full_name("Fiona Pilkington") != full_name("Fiona Pilkinton")
    assert surname("Fiona Pilkington") == "pilkington"
    assert full_name("  '-'  ") is None


@pytest.mark.parametrize(
    "written",
    ["07700 900123", "07700900123", "+44 7700 900123", "0044 7700 900 123", "(07700) 900-123"],
)
def test_a_uk_mobile_number_in_any_form_is_one_number(written: str) -> None:
    assert phone(written) == "+447700900123"


def test_a_landline_and_a_non_number_normalise_or_give_nothing() -> None:
    assert phone("01785 619000") == "+441785619000"
    assert phone("+33 1 42 68 53 00") == "+33142685300"
    assert phone("not a number") is None
    assert phone("123") is None


@pytest.mark.parametrize(
    "address",
    [
        "10 Example Road, Stafford ST16 2AB",
        "10 example road stafford st162ab",
        "Flat 2, 10 Example Road, Stafford, ST16  2AB",
    ],
)
def test_a_postcode_with_or_without_its_space_and_the_house_number(address: str) -> None:
    assert postcode(address) == "ST162AB"
    assert house(address) == "10"


def test_a_house_with_a_name_and_a_letter() -> None:
    assert house("Rose Cottage, Mill Lane, Eccleshall ST21 6AA") == "rose cottage"
    assert house("10A Example Road, ST16 2AB") == "10A"
    assert house("ST16 2AB") is None
    assert postcode("no postcode here") is None


def test_an_email_address_is_compared_without_case() -> None:
    assert email(" Alex.Example@Example.ORG ") == "alex.example@example.org"
    assert email("not-an-address") is None


def test_the_tokens_a_persons_details_give() -> None:
    found = tokens(
        name="Zoë O'Brien",
        date_of_birth=date(1970, 1, 1),
        contacts=("07700 900123", "Zoe@Example.org"),
        address="10 Example Road, Stafford ST16 2AB",
    )
    assert {t.kind for t in found} == set(TokenKind)
    assert Token(TokenKind.SURNAME_AND_BIRTH, "obrien|1970-01-01") in found
    assert Token(TokenKind.POSTCODE_AND_HOUSE, "ST162AB|10") in found
    sound = {t for t in found if t.kind is TokenKind.SURNAME_SOUND}
    assert sound == {t for t in tokens(name="Zoe OBrian") if t.kind is TokenKind.SURNAME_SOUND}
    assert tokens(name="Zoë O'Brien") <= found
    assert tokens() == frozenset()


KEY = os.urandom(32)


@given(st.text(max_size=40), st.sampled_from(TokenKind))
def test_equal_details_give_equal_tokens_and_other_keys_other_tokens(
    value: str, kind: TokenKind
) -> None:
    token = Token(kind, value)
    assert BlindIndex(KEY).token(token) == BlindIndex(KEY).token(Token(kind, value))
    assert BlindIndex(KEY).token(token) != BlindIndex(os.urandom(32)).token(token)


@given(st.text(min_size=1, max_size=40))
def test_one_value_as_two_kinds_gives_two_tokens(value: str) -> None:
    index = BlindIndex(KEY)
    assert index.token(Token(TokenKind.FULL_NAME, value)) != index.token(
        Token(TokenKind.EMAIL, value)
    )


def test_a_token_is_not_the_value_nor_any_unkeyed_hash_of_it() -> None:
    """What an attacker with the table but not the key could try: the value itself, and
    plain hashes of it and of the hashed message; none is the token."""
    detail = Token(TokenKind.FULL_NAME, "fiona pilkington")
    token = BlindIndex(KEY).token(detail)
    message = f"{detail.kind.value}\x1f{detail.value}".encode()
    guesses = {
        detail.value,
        *(hashlib.new(name, data).hexdigest() for name in ("sha256", "sha1", "md5", "sha512")
          for data in (detail.value.encode(), message)),
        BlindIndex(bytes(32)).token(detail),  # an all-zero key
    }  # fmt: skip
    assert token not in guesses
    assert detail.value not in token


def test_the_index_key_lives_in_the_key_store_apart_from_the_data_keys() -> None:
    table = MemoryKeyTable()
    store = KeyStore(table, os.urandom(32))
    key = store.index_key(INDEX_SCOPE)
    assert len(key) == 32
    assert store.index_key(INDEX_SCOPE) == key
    kept, wrapped = table.load_key(INDEX_SCOPE)
    assert kept, "kept in the key table"
    assert wrapped is not None
    assert key not in wrapped, "wrapped by the master key, never stored as it is"
    with pytest.raises(ValueError, match="not an index key"):
        store.index_key("case:00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValueError, match="256 bits"):
        BlindIndex(b"short")
