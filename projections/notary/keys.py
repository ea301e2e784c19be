"""The notary's signing key: a file under the data directory on the embedded store, created
on first run (0600) with its public half beside it, and a configured path in production."""

from __future__ import annotations

import os
from pathlib import Path

from ledger.checkpoint import CheckpointError, SignerKey, VerifierKey
from ledger.settings import Settings
from projections.notary.signing import NotarySettings


class NotaryKeyError(RuntimeError):
    """The notary's key file is missing, unreadable or not a signer key."""


def public_key_path(key_path: Path) -> Path:
    """Where the verifier key is published beside the signing key: ``<stem>.pub``."""
    return key_path.with_suffix(".pub")


def load_signer(path: Path) -> SignerKey:
    """Reads a signer key file (``PRIVATE+KEY+<name>+<id>+<base64>``)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise NotaryKeyError(f"notary key {path} cannot be read ({type(error).__name__})") from None
    try:
        return SignerKey.parse(text.strip())
    except (CheckpointError, ValueError):
        raise NotaryKeyError(f"notary key {path} is not an Ed25519 signer key") from None


def load_or_create_signer(path: Path, name: str, *, create: bool) -> SignerKey:
    """The signer key at ``path``; with ``create``, made on first run (0600, never
    overwritten) and its verifier key written to ``<stem>.pub`` for auditors."""
    if not path.exists():
        if not create:
            raise NotaryKeyError(f"notary key {path} does not exist")
        if public_key_path(path).exists():
            raise NotaryKeyError(
                f"notary key {path} is missing but its public key is published beside it:"
                " restore the key (a new one could not extend the signed log)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        key = SignerKey.generate(name)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key.encode() + "\n")
    signer = load_signer(path)
    publish(signer.verifier(), public_key_path(path))
    return signer


def publish(key: VerifierKey, path: Path) -> None:
    """Writes the verifier key (``<name>+<id>+<base64>``) unless the file already says so."""
    text = key.encode() + "\n"
    try:
        if path.read_text(encoding="ascii") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    draft = path.with_name(path.name + ".tmp")
    draft.write_text(text, encoding="ascii")
    draft.replace(path)


def notary_settings(settings: Settings, *, create: bool = True) -> NotarySettings:
    """The ingesting notary's settings: the key file (with ``create``, made on first run, only
    at its embedded default place and only if no checkpoint was ever witnessed there), the
    log's origin, when to sign, and the witness file."""
    witness = settings.notary_witness_path
    signer = load_or_create_signer(
        settings.notary_key_path,
        settings.notary_origin,
        create=create and settings.notary_key_file is None and not witness.exists(),
    )
    return NotarySettings(
        signer=signer,
        origin=settings.notary_origin,
        every=settings.checkpoint_every,
        seconds=settings.checkpoint_seconds,
        witness=witness,
    )
