"""The notary: the Merkle log of every event hash, its signed checkpoints, proofs and key."""

from projections.notary.keys import (
    NotaryKeyError,
    load_or_create_signer,
    load_signer,
    notary_settings,
    public_key_path,
)
from projections.notary.log import (
    RECORDS,
    Notary,
    NotaryProjection,
    chained_topics,
    leaf_digest,
    logged_topics,
)
from projections.notary.model import Leaf, NotaryAlarm, SignedCheckpoint
from projections.notary.queries import NotaryTables, ProofFailed
from projections.notary.signing import NotarySettings

__all__ = [
    "RECORDS",
    "Leaf",
    "Notary",
    "NotaryAlarm",
    "NotaryKeyError",
    "NotaryProjection",
    "NotarySettings",
    "NotaryTables",
    "ProofFailed",
    "SignedCheckpoint",
    "chained_topics",
    "leaf_digest",
    "load_or_create_signer",
    "load_signer",
    "logged_topics",
    "notary_settings",
    "public_key_path",
]
