"""Signed checkpoints of the Merkle log, in the C2SP tlog-checkpoint / signed-note format.

A note is the body ``<origin>\\n<tree size>\\n<base64 root>\\n``, a blank line, then
signature lines ``— <key name> <base64(key id ‖ Ed25519 signature of the body)>``, where
the key id is ``SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]``. Keys are written as
the note formats' text: ``<name>+<hex id>+<base64(0x01 ‖ public key)>`` for a verifier
key and ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`` for a signer key, as in
golang.org/x/mod/sumdb/note. Standard library and ``cryptography`` only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import merkle

ED25519 = b"\x01"
_DASH = "\u2014 "
_MAX_SIGNATURES = 100


class CheckpointError(ValueError):
    """A checkpoint or key that cannot be trusted; the message says why."""


class MalformedNote(CheckpointError):
    """Text that is not a well-formed checkpoint note or key."""


class SignatureMissing(CheckpointError):
    """No signature by the expected key (a wrong key, or an unknown key name)."""


class BadSignature(CheckpointError):
    """A signature by the expected key that does not verify: the note was altered."""


class Inconsistent(CheckpointError):
    """A checkpoint that does not extend the previous one."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise MalformedNote(f"{what} is not base64") from error
    if _b64(data) != text:
        raise MalformedNote(f"{what} is not canonical base64")
    return data


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _check_text(text: str, what: str) -> None:
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise MalformedNote(f"{what} holds a control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise MalformedNote(f"{what} is not valid UTF-8") from error


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """``SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4]``."""
    raw = public_key.public_bytes_raw()
    return hashlib.sha256(key_name.encode("utf-8") + b"\n" + ED25519 + raw).digest()[:4]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed tree head: the log's origin, its size and its root."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise MalformedNote("the origin must be one non-empty line")
        _check_text(self.origin, "the origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise MalformedNote(f"tree size {self.size!r} is not a count")
        if not isinstance(self.root, bytes) or len(self.root) != merkle.HASH_SIZE:
            raise MalformedNote("the root is not a 32-byte hash")


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature line: who signed (name and key id) and the signature bytes."""

    key_name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A named Ed25519 public key, as published in ``notary.pub``."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def encode(self) -> str:
        raw = ED25519 + self.public_key.public_bytes_raw()
        return f"{self.name}+{self.key_id.hex()}+{_b64(raw)}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        name, hex_id, raw = _split_key(text.strip(), "verifier key")
        key = cls(name, Ed25519PublicKey.from_public_bytes(raw))
        if key.key_id.hex() != hex_id:
            raise MalformedNote("the verifier key's id does not match its name and key")
        return key


@dataclass(frozen=True, slots=True)
class SignerKey:
    """A named Ed25519 private key, as kept in the notary's key file."""

    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> SignerKey:
        if not _valid_name(name):
            raise MalformedNote(f"key name {name!r} must be non-empty, without spaces or '+'")
        return cls(name, Ed25519PrivateKey.generate())

    def verifier(self) -> VerifierKey:
        return VerifierKey(self.name, self.private_key.public_key())

    def encode(self) -> str:
        raw = ED25519 + self.private_key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id.hex()}+{_b64(raw)}"

    @classmethod
    def parse(cls, text: str) -> SignerKey:
        prefix, text = "PRIVATE+KEY+", text.strip()
        if not text.startswith(prefix):
            raise MalformedNote("a signer key starts with PRIVATE+KEY+")
        name, hex_id, raw = _split_key(text[len(prefix) :], "signer key")
        key = cls(name, Ed25519PrivateKey.from_private_bytes(raw))
        if key.verifier().key_id.hex() != hex_id:
            raise MalformedNote("the signer key's id does not match its name and key")
        return key


def _split_key(text: str, what: str) -> tuple[str, str, bytes]:
    parts = text.split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]):
        raise MalformedNote(f"a {what} is <name>+<hex id>+<base64 key>")
    name, hex_id, encoded = parts
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise MalformedNote(f"the {what}'s id is not 8 lowercase hex digits")
    raw = _unb64(encoded, f"the {what}")
    if raw[:1] != ED25519 or len(raw) != 33:
        raise MalformedNote(f"the {what} is not an Ed25519 key (type 0x01, 32 bytes)")
    return name, hex_id, raw[1:]


def format_body(checkpoint: Checkpoint) -> str:
    """The signed text: origin, tree size and base64 root, one per line."""
    return f"{checkpoint.origin}\n{checkpoint.size}\n{_b64(checkpoint.root)}\n"


def parse_body(body: str) -> Checkpoint:
    """The checkpoint in a note's text; extension lines are refused."""
    lines = body.split("\n")
    if len(lines) != 4 or lines[3] != "":
        raise MalformedNote("a checkpoint body is exactly origin, size and root lines")
    origin, size, root = lines[:3]
    if not size.isascii() or not size.isdigit() or str(int(size)) != size:
        raise MalformedNote(f"tree size {size!r} is not a decimal count")
    return Checkpoint(origin, int(size), _unb64(root, "the root"))


def sign(checkpoint: Checkpoint, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """The whole signed note for ``checkpoint``."""
    if not _valid_name(key_name):
        raise MalformedNote(f"key name {key_name!r} must be non-empty, without spaces or '+'")
    body = format_body(checkpoint)
    signature = private_key.sign(body.encode("utf-8"))
    kid = key_id(key_name, private_key.public_key())
    return f"{body}\n{_DASH}{key_name} {_b64(kid + signature)}\n"


def split_note(note: str) -> tuple[str, list[Signature]]:
    """The text and the signature lines of any signed note, none of them verified."""
    _check_text(note, "the note")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("no blank line separates the body from the signatures")
    body, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNote("the note has no signature lines, or its last line is unfinished")
    lines = block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise MalformedNote("the note has too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(_DASH):
            raise MalformedNote(f"line {line!r} is not a signature line")
        name, _, encoded = line[len(_DASH) :].partition(" ")
        if not _valid_name(name) or not encoded:
            raise MalformedNote(f"signature line {line!r} has no valid key name and signature")
        raw = _unb64(encoded, f"the signature by {name}")
        if len(raw) < 5:
            raise MalformedNote(f"the signature by {name} is too short")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    return body, signatures


def parse(note: str) -> tuple[Checkpoint, list[Signature]]:
    """The checkpoint and the signature lines of a note, none of them verified."""
    body, signatures = split_note(note)
    return parse_body(body), signatures


def verify(
    note: str, public_key: Ed25519PublicKey, key_name: str, *, origin: str | None = None
) -> Checkpoint:
    """The checkpoint, once its signature by (``key_name``, ``public_key``) verifies.

    Signatures by other keys are ignored, as signed-note requires; a note without a
    signature by this key is refused, and so is one whose signature by it fails.
    """
    body, signatures = split_note(note)
    checkpoint = parse_body(body)
    kid = key_id(key_name, public_key)
    mine = [s for s in signatures if s.key_name == key_name and s.key_id == kid]
    if not mine:
        raise SignatureMissing(f"the checkpoint is not signed by {key_name}+{kid.hex()}")
    for signature in mine:
        try:
            public_key.verify(signature.signature, body.encode("utf-8"))
        except InvalidSignature as error:
            raise BadSignature(
                f"the signature by {key_name}+{kid.hex()} does not match the checkpoint"
            ) from error
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"the checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


def consistent(older: Checkpoint, newer: Checkpoint, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the log at ``older`` is a prefix of the log at ``newer``."""
    try:
        check_extends(older, newer, proof)
    except Inconsistent:
        return False
    return True


def check_extends(previous: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise ``Inconsistent`` unless ``new`` extends ``previous`` (same origin, a valid proof)."""
    if previous.origin != new.origin:
        raise Inconsistent(f"log {new.origin!r} cannot extend log {previous.origin!r}")
    try:
        merkle.verify_consistency(previous.size, new.size, previous.root, new.root, proof)
    except merkle.InvalidProof as error:
        raise Inconsistent(
            f"the tree at {new.size} does not extend the tree at {previous.size}: {error}"
        ) from error
