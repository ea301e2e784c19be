"""Checkpoints are C2SP signed notes: they round-trip, refuse tampering, match the spec's keys."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.checkpoint import (
    BadSignature,
    Checkpoint,
    CheckpointError,
    Inconsistent,
    MalformedNote,
    SignatureMissing,
    SignerKey,
    VerifierKey,
    check_extends,
    consistent,
    format_body,
    key_id,
    parse,
    sign,
    split_note,
    verify,
)
from ledger.merkle import EMPTY_ROOT, MemoryHashStore, consistency_proof, leaf_hash, tree_head

# golang.org/x/mod/sumdb/note's test keys and signature (note_test.go).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
    "fqdngotpRZb6KE6RyyBwJnAM=\n"
)
# c2sp.org/signed-note's example verifier key and note.
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXp"
    "pzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

NAME = "asb-ledger.example/notary"
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test notary").digest())
PUBLIC = KEY.public_key()
ROOT = hashlib.sha256(b"root").digest()
CHECKPOINT = Checkpoint(NAME, 42, ROOT)


def test_sign_parse_verify_round_trip() -> None:
    note = sign(CHECKPOINT, KEY, NAME)
    body = f"{NAME}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert format_body(CHECKPOINT) == body
    assert note.startswith(body + "\n— " + NAME + " ")
    assert note.endswith("\n")
    checkpoint, signatures = parse(note)
    assert checkpoint == CHECKPOINT
    [signature] = signatures
    assert signature.key_name == NAME
    assert signature.key_id == key_id(NAME, PUBLIC)
    assert len(signature.signature) == 64
    assert verify(note, PUBLIC, NAME) == CHECKPOINT
    assert verify(note, PUBLIC, NAME, origin=NAME) == CHECKPOINT
    with pytest.raises(CheckpointError, match="not 'other'"):
        verify(note, PUBLIC, NAME, origin="other")


@settings(max_examples=50, deadline=None)
@given(
    origin=st.text(
        st.characters(min_codepoint=0x20, exclude_characters="\n", exclude_categories=["Cs"]),
        min_size=1,
    ),
    size=st.integers(0, 2**63),
    root=st.binary(min_size=32, max_size=32),
)
def test_any_checkpoint_round_trips(origin: str, size: int, root: bytes) -> None:
    checkpoint = Checkpoint(origin, size, root)
    assert verify(sign(checkpoint, KEY, NAME), PUBLIC, NAME) == checkpoint


def test_an_origin_that_is_not_unicode_text_is_refused() -> None:
    with pytest.raises(MalformedNote, match="UTF-8"):
        sign(Checkpoint("log\ud800", 1, bytes(32)), KEY, NAME)


def test_key_id_is_sha256_of_name_newline_type_and_key() -> None:
    raw = PUBLIC.public_bytes_raw()
    expected = hashlib.sha256(NAME.encode() + b"\n\x01" + raw).digest()[:4]
    assert key_id(NAME, PUBLIC) == expected
    encoded = base64.b64encode(b"\x01" + raw).decode()
    assert VerifierKey(NAME, PUBLIC).encode() == f"{NAME}+{expected.hex()}+{encoded}"


def test_go_note_keys_and_signature_are_reproduced() -> None:
    signer = SignerKey.parse(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.encode() == PETER_SKEY
    assert signer.verifier().encode() == PETER_VKEY
    assert VerifierKey.parse(PETER_VKEY).key_id.hex() == "c74f20a3"
    raw = signer.verifier().key_id + signer.private_key.sign(PETER_TEXT.encode())
    assert f"— PeterNeumann {base64.b64encode(raw).decode()}\n" == PETER_SIG
    text, [signature] = split_note(PETER_TEXT + "\n" + PETER_SIG)
    assert text == PETER_TEXT
    VerifierKey.parse(PETER_VKEY).public_key.verify(signature.signature, text.encode())


def test_the_c2sp_example_note_verifies_under_its_key() -> None:
    key = VerifierKey.parse(C2SP_VKEY)
    assert key.name == "example.com/foo"
    assert key.key_id.hex() == "530d903a"
    assert key.encode() == C2SP_VKEY
    text, [signature] = split_note(C2SP_NOTE)
    assert signature.key_id == key.key_id
    key.public_key.verify(signature.signature, text.encode())


def test_a_pinned_checkpoint_note() -> None:
    """A regression vector: our format, signed with the Go tests' PeterNeumann key."""
    signer = SignerKey.parse(PETER_SKEY)
    root = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    note = sign(Checkpoint("PeterNeumann", 8, root), signer.private_key, signer.name)
    assert note == (
        "PeterNeumann\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
        "— PeterNeumann x08gozdSgLMzAnw63LH1RGViJhUfW60EUGKY7Kmr004fQNOSqfrcd1hIk3BCtdcLWIqvGtX67sL"
        "24VN+44uTlxMnbAA=\n"
    )
    assert verify(note, VerifierKey.parse(PETER_VKEY).public_key, "PeterNeumann").size == 8


def _resign_body(note: str, body: str) -> str:
    """Keep the signature lines, replace the body."""
    return body + note[note.rindex("\n\n") + 1 :]


@pytest.mark.parametrize(
    "altered",
    [
        Checkpoint(NAME + "x", 42, ROOT),
        Checkpoint(NAME, 43, ROOT),
        Checkpoint(NAME, 0, ROOT),
        Checkpoint(NAME, 42, hashlib.sha256(b"other").digest()),
    ],
    ids=["origin", "size", "size-zero", "root"],
)
def test_a_tampered_body_is_refused(altered: Checkpoint) -> None:
    note = _resign_body(sign(CHECKPOINT, KEY, NAME), format_body(altered))
    assert parse(note)[0] == altered
    with pytest.raises(BadSignature, match="does not match"):
        verify(note, PUBLIC, NAME)


def test_a_tampered_signature_is_refused() -> None:
    note = sign(CHECKPOINT, KEY, NAME)
    _, [signature] = parse(note)
    for i in range(len(signature.signature)):
        bad = bytearray(signature.signature)
        bad[i] ^= 0x40
        line = f"— {NAME} {base64.b64encode(signature.key_id + bytes(bad)).decode()}\n"
        with pytest.raises(BadSignature):
            verify(format_body(CHECKPOINT) + "\n" + line, PUBLIC, NAME)
    short = f"— {NAME} {base64.b64encode(signature.key_id + signature.signature[:-1]).decode()}\n"
    with pytest.raises(BadSignature):
        verify(format_body(CHECKPOINT) + "\n" + short, PUBLIC, NAME)


def test_a_wrong_key_or_name_is_refused() -> None:
    note = sign(CHECKPOINT, KEY, NAME)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(SignatureMissing, match="not signed by"):
        verify(note, other.public_key(), NAME)
    with pytest.raises(SignatureMissing, match="not signed by"):
        verify(note, PUBLIC, "someone.else/notary")
    with pytest.raises(SignatureMissing):
        verify(sign(CHECKPOINT, other, NAME), PUBLIC, NAME)
    _, [signature] = parse(note)
    wrong_id = bytes([signature.key_id[0] ^ 1]) + signature.key_id[1:]
    line = f"— {NAME} {base64.b64encode(wrong_id + signature.signature).decode()}\n"
    with pytest.raises(SignatureMissing):
        verify(format_body(CHECKPOINT) + "\n" + line, PUBLIC, NAME)


def test_other_signatures_are_ignored_but_ours_must_hold() -> None:
    ours = sign(CHECKPOINT, KEY, NAME)
    witness = sign(CHECKPOINT, Ed25519PrivateKey.generate(), "witness.example")
    cosigned = ours + witness[witness.rindex("\n\n") + 2 :]
    assert len(parse(cosigned)[1]) == 2
    assert verify(cosigned, PUBLIC, NAME) == CHECKPOINT
    with pytest.raises(SignatureMissing):
        verify(witness, PUBLIC, NAME)


MALFORMED: dict[str, Callable[[str, str], str]] = {
    "no signatures": lambda body, sigs: body,
    "blank line, then nothing": lambda body, sigs: body + "\n",
    "blank line missing": lambda body, sigs: body + sigs,
    "last line unfinished": lambda body, sigs: body + "\n" + sigs.rstrip("\n"),
    "unsigned line after the signatures": lambda body, sigs: body + "\n" + sigs + "Unsigned.\n",
    "trailing blank line": lambda body, sigs: body + "\n" + sigs + "\n",
    "hyphen for the em dash": lambda body, sigs: body + "\n" + sigs.replace("\u2014", "-"),
    "two spaces": lambda body, sigs: body + "\n" + sigs.replace("\u2014 ", "\u2014  "),
    "control character": lambda body, sigs: "\x01" + body + "\n" + sigs,
    "lone surrogate": lambda body, sigs: "\ud800" + body + "\n" + sigs,
    "unpadded base64": lambda body, sigs: body + "\n" + sigs.replace("=\n", "\n"),
    "empty signature": lambda body, sigs: body + "\n" + f"\u2014 {NAME} \n",
    "101 signatures": lambda body, sigs: body + "\n" + sigs * 101,
}


@pytest.mark.parametrize("make", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_notes_are_refused(make: Callable[[str, str], str]) -> None:
    body, sigs = sign(CHECKPOINT, KEY, NAME).split("\n\n")
    with pytest.raises(MalformedNote):
        verify(make(body + "\n", sigs), PUBLIC, NAME)


@pytest.mark.parametrize(
    "body",
    [
        f"{NAME}\n42\n{base64.b64encode(ROOT).decode()}\nextension line\n",  # even when signed
        f"{NAME}\n042\n{base64.b64encode(ROOT).decode()}\n",
        f"{NAME}\n+42\n{base64.b64encode(ROOT).decode()}\n",
        f"{NAME}\n-1\n{base64.b64encode(ROOT).decode()}\n",
        f"{NAME}\n\uff14\uff12\n{base64.b64encode(ROOT).decode()}\n",  # fullwidth digits
        f"{NAME}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{NAME}\n42\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",
        f"\n42\n{base64.b64encode(ROOT).decode()}\n",
        f"{NAME}\n42\n",
    ],
)
def test_bodies_that_are_not_exactly_a_checkpoint_are_refused(body: str) -> None:
    signature = KEY.sign(body.encode())
    line = f"— {NAME} {base64.b64encode(key_id(NAME, PUBLIC) + signature).decode()}\n"
    with pytest.raises(MalformedNote):
        verify(body + "\n" + line, PUBLIC, NAME)


def test_checkpoints_refuse_what_the_format_cannot_carry() -> None:
    for origin in ["", "two\nlines", "tab\there"]:
        with pytest.raises(MalformedNote):
            Checkpoint(origin, 1, ROOT)
    with pytest.raises(MalformedNote):
        Checkpoint(NAME, -1, ROOT)
    with pytest.raises(MalformedNote):
        Checkpoint(NAME, 1, ROOT[:31])
    for name in ["", "has space", "has+plus"]:
        with pytest.raises(MalformedNote):
            sign(CHECKPOINT, KEY, name)


def test_verifier_keys_refuse_any_mangling() -> None:
    assert VerifierKey.parse(PETER_VKEY + "\n").encode() == PETER_VKEY
    mangled = [
        PETER_VKEY[:i] + chr(ord(c) + 1) + PETER_VKEY[i + 1 :] for i, c in enumerate(PETER_VKEY)
    ]
    truncated = [PETER_VKEY[:i] for i in range(1, len(PETER_VKEY))]
    go_bad = [  # wrong key length, and unknown algorithm, each with a matching key id
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]
    for text in [*mangled, *truncated, *go_bad]:
        with pytest.raises(ValueError):  # noqa: PT011 - MalformedNote or a key error
            VerifierKey.parse(text)


def test_signer_keys_round_trip_and_refuse_mangling() -> None:
    signer = SignerKey.generate(NAME)
    again = SignerKey.parse(signer.encode())
    assert again.verifier().encode() == signer.verifier().encode()
    assert verify(sign(CHECKPOINT, again.private_key, NAME), signer.verifier().public_key, NAME)
    for i in range(len(PETER_SKEY)):
        bad = PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :]
        with pytest.raises(ValueError):  # noqa: PT011
            SignerKey.parse(bad)


def _log(size: int) -> MemoryHashStore:
    store = MemoryHashStore()
    for i in range(size):
        store.append(leaf_hash(i.to_bytes(4, "big")))
    return store


def test_a_checkpoint_extends_its_predecessor_only_with_a_consistency_proof() -> None:
    store = _log(20)
    checkpoints = [Checkpoint(NAME, n, tree_head(store, n)) for n in (0, 1, 7, 8, 13, 20)]
    for older in checkpoints:
        for newer in checkpoints:
            if older.size <= newer.size:
                proof = consistency_proof(store, older.size, newer.size)
                check_extends(older, newer, proof)
                assert consistent(older, newer, proof)
    old, new = checkpoints[2], checkpoints[4]
    proof = consistency_proof(store, old.size, new.size)
    with pytest.raises(Inconsistent, match="does not extend"):
        check_extends(new, old, proof)
    with pytest.raises(Inconsistent):
        check_extends(old, new, proof[:-1])
    with pytest.raises(Inconsistent, match="cannot extend log"):
        check_extends(old, Checkpoint("elsewhere", new.size, new.root), proof)
    assert not consistent(old, new, [*proof, ROOT])


def test_a_forked_or_rolled_back_log_is_inconsistent() -> None:
    honest = _log(13)
    forked = MemoryHashStore()
    for i in range(13):
        forked.append(leaf_hash(b"forged" if i == 5 else i.to_bytes(4, "big")))
    pinned = Checkpoint(NAME, 7, tree_head(honest, 7))
    rewritten = Checkpoint(NAME, 13, tree_head(forked, 13))
    assert not consistent(pinned, rewritten, consistency_proof(forked, 7, 13))
    rolled_back = Checkpoint(NAME, 5, tree_head(honest, 5))
    with pytest.raises(Inconsistent):
        check_extends(pinned, rolled_back, [])
    empty = Checkpoint(NAME, 0, EMPTY_ROOT)
    check_extends(empty, pinned, [])
    with pytest.raises(Inconsistent):
        check_extends(Checkpoint(NAME, 0, ROOT), pinned, [])
