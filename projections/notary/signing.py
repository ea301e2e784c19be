"""The notary's checkpoints: when one is due, the checks before signing, and the witness file.

A checkpoint is signed only once the new root is shown to extend the last one signed, with a
consistency proof read from the notary's own tables; and where a witness file is kept, only
while those tables still hold the checkpoint the file names (or one that extends it), so
tables cut back behind the notary's back are never signed over.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from ledger import merkle
from ledger.checkpoint import Checkpoint, CheckpointError, SignerKey, check_extends, sign, verify
from ledger.checkpoint import parse as parse_note
from projections.notary.model import SignedCheckpoint

log = structlog.get_logger("notary")


@dataclass(frozen=True)
class NotarySettings:
    """What the ingesting notary needs: its key, its log's name and when to sign."""

    signer: SignerKey
    origin: str
    every: int = 1000
    """Sign a checkpoint once this many leaves have been added since the last."""
    seconds: float = 60.0
    """... or once this many seconds have passed since the last, if any leaf was added."""
    witness: Path | None = None
    """A file outside the database where the notary keeps the last checkpoint it signed: it
    never signs again unless the tables still hold that checkpoint, or one that extends it."""

    def __post_init__(self) -> None:
        Checkpoint(self.origin, 0, merkle.EMPTY_ROOT)  # the origin must be a valid line
        if self.every < 1 or self.seconds < 0:
            raise ValueError("checkpoints need every >= 1 leaves and seconds >= 0")


class Signing:
    """Signs the notary's checkpoints under ``settings``, at the times ``clock`` gives."""

    def __init__(self, settings: NotarySettings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock

    def due(self, size: int, last: SignedCheckpoint | None, now: datetime, *, force: bool) -> bool:
        """Whether a tree of ``size`` leaves should be signed now, after ``last``."""
        last_size = 0 if last is None else last.size
        if size <= last_size:
            return False
        return (
            force
            or last is None
            or size - last_size >= self.settings.every
            or (now - last.signed_at).total_seconds() >= self.settings.seconds
        )

    def sign(self, new: Checkpoint, last: SignedCheckpoint | None, hashes: merkle.HashStore) -> str:
        """The signed note for ``new``, once it is shown to extend ``last`` and what the
        witness file holds; ``CheckpointError`` or ``LookupError`` where it is not."""
        signer = self.settings.signer
        public = signer.private_key.public_key()
        witnessed = self._witnessed()
        if witnessed is not None:
            # What this notary signed before must still be in the tables, or extended.
            held = None if last is None else verify(last.note, public, signer.name)
            if held is None or held.size < witnessed.size:
                raise CheckpointError(
                    f"its tables end at checkpoint {0 if held is None else held.size},"
                    f" before the {witnessed.size} it signed: they were cut back"
                )
            check_extends(
                witnessed, held, merkle.consistency_proof(hashes, witnessed.size, held.size)
            )
        if last is not None:
            previous = verify(last.note, public, signer.name, origin=self.settings.origin)
            proof = merkle.consistency_proof(hashes, previous.size, new.size)
            check_extends(previous, new, proof)
        return sign(new, signer.private_key, signer.name)

    def _witnessed(self) -> Checkpoint | None:
        """The last checkpoint this notary signed, from its witness file (``None`` if it has
        none yet); a file it cannot trust is itself a reason to stop."""
        path = self.settings.witness
        if path is None or not path.exists():
            return None
        signer = self.settings.signer
        try:
            note = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = f"its witness file cannot be read ({type(error).__name__})"
            raise CheckpointError(reason) from None
        return verify(note, signer.private_key.public_key(), signer.name)

    def witness(self, note: str) -> None:
        """Keeps ``note`` (just committed) as the last signed, atomically, outside the database."""
        path = self.settings.witness
        if path is None:
            return
        draft = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            draft.write_text(note, encoding="utf-8")
            if _newer(note, path):
                draft.replace(path)
        except OSError as error:
            log.error("notary.witness_not_written", error=type(error).__name__)
        finally:
            draft.unlink(missing_ok=True)


def _newer(note: str, path: Path) -> bool:
    """Whether ``note`` is larger than what the witness file holds (two notaries may share
    one file; the larger checkpoint extends the smaller, so it is the one to keep)."""
    try:
        held = parse_note(path.read_text(encoding="utf-8"))[0].size
    except (OSError, UnicodeDecodeError, CheckpointError):
        return True
    return parse_note(note)[0].size > held
