"""Response models of the notary's Merkle log: signed checkpoints and the proofs against them."""

from __future__ import annotations

import base64
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from ledger.checkpoint import parse
from projections.notary import SignedCheckpoint

NOTE = (
    "asb-ledger.local/notary\n8\ngOE5tEyQ+R7evscFzHWGw9kPS9rdSWKNJcINSwNBkoc=\n\n"
    "\u2014 asb-ledger.local/notary 39LUu4yPRpFFPs3mPt000xHCM4cv1/T4tLfdOId0xyBw04p+UypkLdOf"
    "L4ZSpyQei96Buv4hGqC8RSKN55xGlC1sFQE=\n"
)
ROOT_HEX = "80e139b44c90f91edebec705cc7586c3d90f4bdadd49628d25c20d4b03419287"
HEX_EXAMPLE = "dbc1b4c900ffe48d575b5da5c638040125f65db0fe3e24494b76ea986457d986"
ALARM = Field(
    description="True while the notary has stopped on an alarm (a fork or an inconsistency):"
    " what is shown was signed before it stopped and still verifies, but no newer checkpoint"
    " will be signed until someone looks (the `X-Ledger-Alarm` header says the same)."
)


class CheckpointOut(BaseModel):
    """A checkpoint as the notary signed it. Trust nothing here but `note`, checked against
    the notary's published key (`notary.pub`); the other fields are read from it."""

    origin: str = Field(examples=["asb-ledger.local/notary"], description="The log's name")
    tree_size: int = Field(examples=[8], description="How many leaves the tree had")
    root: str = Field(
        examples=["gOE5tEyQ+R7evscFzHWGw9kPS9rdSWKNJcINSwNBkoc="],
        description="The tree's root, standard base64 as in the note",
    )
    root_hex: str = Field(examples=[ROOT_HEX], description="The same root, lowercase hex")
    signed_at: datetime = Field(description="When the notary signed it (its own clock)")
    note: str = Field(
        examples=[NOTE],
        description="The C2SP signed note itself: origin, size and root lines, a blank"
        " line, and the notary's Ed25519 signature line",
    )

    @classmethod
    def of(cls, signed: SignedCheckpoint) -> CheckpointOut:
        checkpoint, _signatures = parse(signed.note)
        return cls(
            origin=checkpoint.origin,
            tree_size=checkpoint.size,
            root=base64.b64encode(checkpoint.root).decode("ascii"),
            root_hex=checkpoint.root.hex(),
            signed_at=signed.signed_at,
            note=signed.note,
        )


class CheckpointReadOut(CheckpointOut):
    """`GET /ledger/checkpoint`: the latest signed checkpoint, or the one signed at `size`."""

    alarm: bool = ALARM


class InclusionProofOut(BaseModel):
    """RFC 9162 §2.1.3: the audit path from an event's leaf to the root of a signed
    checkpoint. Check the note's signature first, then take the tree size and root from it."""

    leaf_index: int = Field(examples=[2], description="The leaf's place in the log, from 0")
    tree_size: int = Field(examples=[8], description="The size of the checkpoint's tree")
    event_hash: str = Field(examples=[HEX_EXAMPLE], description="The event's hash (leaf data)")
    leaf_hash: str = Field(
        examples=["27d02c8f713c90ea0c37901129db86ac03186ee22a1f6f13da67e6b5bcee2044"],
        description="SHA-256(0x00 ‖ the event hash's 32 bytes), lowercase hex",
    )
    audit_path: list[str] = Field(
        examples=[
            [
                "36e4970e7c84e559ed7290304c3c0672289a6918e7746d48397b0e122db7748f",
                "604d540f09268b91672ab011394d5266ccd7d4484d0d109411a55848126a1b2c",
                "20a4bcb54dc1a9ae1980bc1994f02696627e93a6f9c03d2f89f8f7abe9850232",
            ]
        ],
        description="The proof's hashes, leaf level first, lowercase hex",
    )
    checkpoint: CheckpointOut
    case_id: UUID | None = Field(
        default=None, description="The case asked about (only when asked by case and version)"
    )
    version: int | None = Field(
        default=None, description="Its version (only when asked by case and version)"
    )
    alarm: bool = ALARM


class ConsistencyProofOut(BaseModel):
    """RFC 9162 §2.1.4: the proof that the tree at `from_size` is a prefix of the tree at
    `to_size`, with both signed notes."""

    from_size: int = Field(examples=[5])
    to_size: int = Field(examples=[8])
    proof: list[str] = Field(
        examples=[
            [
                "12d24297164ffddfd8febbd02275c3c5ff24916dc71d5f3476931480854b3113",
                "d43e0bc415d9fa5bd12e23ca3a797ee65a1aefc3abfcaf8c7c508341c4046536",
                "c9e643a3a8ebe49a4a4041781da4279b465b41bcd68b3f5c71ea93b090ca54f0",
                "0dcc2b645c00dfa2338e1c7ac2c4b570beda5a476d58836e55e28bde55e6bee1",
            ]
        ],
        description="The proof's hashes, lowercase hex (empty when the sizes are equal)",
    )
    from_checkpoint: CheckpointOut
    to_checkpoint: CheckpointOut
    alarm: bool = ALARM


class NotaryAlarmOut(BaseModel):
    """Where the notary stopped and why: a notification position and a fixed-form reason
    (versions and sizes, never a case's content or who it concerns)."""

    position: int
    reason: str = Field(examples=["prev_hash is not the hash logged for version 3: a fork"])
