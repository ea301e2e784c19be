"""The bundle issued with a subject access response, ``asb-ledger/sar-bundle/v1``, and its
offline check.

The bundle holds a **manifest** (the request's id, when it was issued, the SHA-256 of the
report file beside it, and every event the report cites: case, version, event hash and its
leaf in the Merkle log), the manifest's **signature** by the notary's key, the notary's
**signed checkpoint**, and an **inclusion proof** for each cited event. It holds no personal
data: hashes, references and counts only. ``asb-ledger verify --bundle bundle.json --key
notary.pub`` checks, with no database: the checkpoint and the manifest are signed by the
key; each cited event is in the checkpoint's tree; and the report beside the bundle is the
one the council signed, byte for byte. Standard library and ``cryptography`` only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle
from ledger.checkpoint import CheckpointError, VerifierKey, verify

FORMAT = "asb-ledger/sar-bundle/v1"
REPORT_FILE = "report.html"
_CONTEXT = b"asb-ledger/sar-manifest/v1\n"


@dataclass(frozen=True)
class Cited:
    case_id: str
    version: int
    event_hash: str
    leaf_index: int
    proof: tuple[bytes, ...]


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """What the signature covers: the manifest's RFC 8785 canonical JSON, with a context."""
    return _CONTEXT + rfc8785.dumps(manifest)


def build(
    *,
    sar_id: str,
    issued_at: str,
    report: bytes,
    origin: str,
    checkpoint_note: str,
    tree_size: int,
    cited: list[Cited],
    key_name: str,
    private_key: Ed25519PrivateKey,
    released: int,
    withheld: int,
) -> str:
    """The bundle's JSON text."""
    manifest = {
        "sar_id": sar_id,
        "issued_at": issued_at,
        "origin": origin,
        "tree_size": tree_size,
        "report": {"file": REPORT_FILE, "sha256": hashlib.sha256(report).hexdigest()},
        "items": {"released": released, "withheld": withheld},
        "events": [
            {
                "case_id": c.case_id,
                "version": c.version,
                "event_hash": c.event_hash,
                "leaf_index": c.leaf_index,
            }
            for c in cited
        ],
    }
    signature = private_key.sign(manifest_bytes(manifest))
    return (
        json.dumps(
            {
                "format": FORMAT,
                "manifest": manifest,
                "signature": {"key": key_name, "ed25519": base64.b64encode(signature).decode()},
                "checkpoint": checkpoint_note,
                "proofs": [[h.hex() for h in c.proof] for c in cited],
            },
            indent=1,
        )
        + "\n"
    )


class SarBundleFailed(ValueError):
    """The bundle or its report does not verify; the message says where and why."""


def is_sar_bundle(data: bytes) -> bool:
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(parsed, dict) and parsed.get("format") == FORMAT


def check(path: Path, key: VerifierKey) -> tuple[int, str]:
    """Verifies the bundle at ``path`` (and the report beside it); returns the number of
    cited events and the request's id. ``SarBundleFailed`` names the first failure."""
    try:
        raw = json.loads(path.read_bytes())
        manifest, proofs = raw["manifest"], raw["proofs"]
        signature = base64.b64decode(raw["signature"]["ed25519"], validate=True)
        note, events = raw["checkpoint"], manifest["events"]
        if not isinstance(events, list) or not isinstance(proofs, list):
            raise TypeError
    except (ValueError, KeyError, TypeError) as error:
        raise SarBundleFailed(f"the bundle is malformed ({type(error).__name__})") from None
    try:
        key.public_key.verify(signature, manifest_bytes(manifest))
    except (InvalidSignature, rfc8785.CanonicalizationError, TypeError):
        raise SarBundleFailed("the manifest is not signed by this key, or was altered") from None
    if raw["signature"].get("key") != key.name:
        raise SarBundleFailed(f"the manifest names the key {raw['signature'].get('key')!r}")
    try:
        checkpoint = verify(note, key.public_key, key.name, origin=manifest["origin"])
    except CheckpointError as error:
        raise SarBundleFailed(f"the checkpoint: {error}") from None
    if checkpoint.size != manifest["tree_size"]:
        raise SarBundleFailed("the checkpoint is not the one the manifest names")
    if len(proofs) != len(events):
        raise SarBundleFailed("there is not one inclusion proof per cited event")
    for event, proof in zip(events, proofs, strict=True):
        where = f"case {event.get('case_id')} version {event.get('version')}"
        try:
            hashes = [bytes.fromhex(h) for h in proof]
            leaf = merkle.event_leaf_hash(event["event_hash"])
            merkle.verify_inclusion(
                leaf, event["leaf_index"], checkpoint.size, hashes, checkpoint.root
            )
        except (merkle.InvalidProof, ValueError, KeyError, TypeError) as error:
            raise SarBundleFailed(f"{where} is not in the signed log: {error}") from None
    report_path = path.parent / str(manifest["report"]["file"])
    try:
        report = report_path.read_bytes()
    except OSError:
        raise SarBundleFailed(f"the report {report_path.name} is not beside the bundle") from None
    if hashlib.sha256(report).hexdigest() != manifest["report"]["sha256"]:
        raise SarBundleFailed(f"the report {report_path.name} is not the one that was signed")
    return len(events), str(manifest["sar_id"])
