"""Issuing a subject access response: a readable report and a signed bundle, in one folder.

The report (``report.html``) is rendered from the reviewed draft with Jinja2 (autoescaped;
no script, nothing fetched); the bundle (``bundle.json``, ``replay/sar_bundle.py``) signs
the report's digest and cites every event the report shows, with an inclusion proof to the
notary's latest signed checkpoint. Files are written to a temporary name and renamed, so a
folder never holds half a response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ledger.application import CaseLedger
from ledger.checkpoint import SignerKey, parse
from ledger.enums import SarPart
from ledger.sar import SubjectAccessRequest
from projections.notary import Notary
from replay.sar_bundle import REPORT_FILE, Cited, build
from replay.sar_draft import Draft, Record
from replay.sar_items import GROUND_TEXT

log = structlog.get_logger("replay")
LONDON = ZoneInfo("Europe/London")
BUNDLE_FILE = "bundle.json"
PARTS = {
    SarPart.RECORDS.value: "a copy of the information we hold about you",
    SarPart.RECIPIENTS.value: "who we have shared it with, and on what basis",
    SarPart.ACCESSES.value: "who has looked at it, when and why",
    SarPart.SOURCES.value: "where it came from",
    SarPart.RETENTION.value: "how long we keep it",
}
PURPOSES = {
    "case_management": "to manage the case",
    "supervision": "to supervise the case",
    "partnership": "a partner organisation working on the case",
    "audit": "an audit of the case records",
    "data_protection": "data protection work (such as answering your request)",
    "break_glass": "urgent access by a supervisor outside the case's team, reviewed later",
}
BASES = {
    "public_task": "public task (UK GDPR Article 6(1)(e))",
    "legal_obligation": "legal obligation (Article 6(1)(c))",
    "vital_interests": "vital interests (Article 6(1)(d))",
    "consent": "your consent (Article 6(1)(a))",
    "law_enforcement": "law enforcement (Data Protection Act 2018, Part 3)",
}


class NotYetSigned(RuntimeError):
    """An event the response cites is not covered by a signed checkpoint yet."""


@dataclass(frozen=True)
class Issued:
    folder: Path
    report_sha256: str
    bundle_sha256: str


def uk(moment: date | datetime | None) -> str:
    """A date as "7 December 2026"; a time in UK local time, "7 December 2026, 14:05"."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        local = moment.astimezone(LONDON)
        return f"{local.day} {local:%B %Y}, {local:%H:%M}"
    return f"{moment.day} {moment:%B %Y}"


def label(code: Any) -> str:
    text = str(getattr(code, "value", code)).replace("_", " ")
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in text).strip()
    return spaced[:1].upper() + spaced[1:]


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["uk"] = uk
    env.filters["label"] = label
    return env


def render_report(
    draft: Draft,
    sar: SubjectAccessRequest,
    *,
    council: str,
    issued_at: datetime,
    organisation: Callable[[str], str],
) -> str:
    records_of: dict[UUID, list[Record]] = {}
    for record in draft.records:
        records_of.setdefault(record.case_id, []).append(record)
    references = {case.case_id: case.reference for case in draft.cases}

    def shared(item: str) -> str:
        kind, _, ref = item.partition(":")
        if kind == "person":
            return "your details" if UUID(ref) in draft.refs else "another person's details"
        return "an incident" if kind == "incident" else label(kind)

    def actor_text(item_id: str, otherwise: str) -> str:
        item = draft.items.get(item_id)
        return f"{item.value} ({otherwise})" if item and item.released else otherwise

    return (
        _environment()
        .get_template("sar_report.html")
        .render(
            council=council,
            sar=sar,
            issued_at=issued_at,
            draft=draft,
            parts={part.value for part in sar.asks_for},
            records_of=records_of,
            items=draft.items,
            withheld=[i for i in draft.items.values() if not i.released],
            reference_of=lambda case_id: references.get(case_id, "another case"),
            organisation=organisation,
            actor_text=actor_text,
            shared_text=shared,
            PARTS=PARTS,
            PURPOSES=PURPOSES,
            BASES=BASES,
            GROUNDS=GROUND_TEXT,
        )
    )


def cite(draft: Draft, notary: Notary) -> tuple[str, int, str, list[Cited]]:
    """The latest signed checkpoint (note, size, origin) and every cited event's leaf and
    proof; ``NotYetSigned`` if one is not covered yet."""
    latest = notary.latest_checkpoint()
    if latest is None:
        raise NotYetSigned("no checkpoint is signed yet")
    cited = []
    by_case: dict[UUID, dict[int, int]] = {}
    for record in draft.records:
        if record.case_id not in by_case:
            leaves = notary.leaves_of(record.case_id)
            by_case[record.case_id] = {leaf.version: leaf.index for leaf in leaves}
        index = by_case[record.case_id].get(record.version)
        if index is None or index >= latest.size:
            raise NotYetSigned(
                f"{record.reference} version {record.version} is not signed yet: retry shortly"
            )
        proof = tuple(notary.inclusion_proof(index, latest.size))
        cited.append(Cited(str(record.case_id), record.version, record.event_hash, index, proof))
    return latest.note, latest.size, parse(latest.note)[0].origin, cited


def write_response(
    draft: Draft,
    sar: SubjectAccessRequest,
    *,
    notary: Notary,
    signer: SignerKey,
    folder: Path,
    issued_at: datetime,
    council: str,
    organisation: Callable[[str], str],
) -> Issued:
    """Writes ``report.html`` and ``bundle.json`` into ``folder``."""
    note, size, origin, cited = cite(draft, notary)
    report = render_report(
        draft, sar, council=council, issued_at=issued_at, organisation=organisation
    ).encode("utf-8")
    bundle = build(
        sar_id=str(sar.id),
        issued_at=issued_at.isoformat(),
        report=report,
        origin=origin,
        checkpoint_note=note,
        tree_size=size,
        cited=cited,
        key_name=signer.name,
        private_key=signer.private_key,
        released=draft.released(),
        withheld=draft.withheld(),
    ).encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in ((REPORT_FILE, report), (BUNDLE_FILE, bundle)):
        draft_path = folder / f".{name}.tmp"
        draft_path.write_bytes(data)
        draft_path.replace(folder / name)
    return Issued(folder, hashlib.sha256(report).hexdigest(), hashlib.sha256(bundle).hexdigest())


def erase_report(folder: Path) -> bool:
    """Deletes an issued response's report (its person's data, in the clear) once the person
    is erased; True if there was one. The bundle stays: hashes and references, no personal
    data, so a report the requester still holds can be checked against it."""
    found = False
    for name in (REPORT_FILE, f".{REPORT_FILE}.tmp"):
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            continue
        found = True
    return found


def erase_reports_about(ledger: CaseLedger, root: Path, person_refs: Iterable[UUID]) -> int:
    """After their keys are destroyed: deletes the report of every response issued about
    the people (``root`` is ``ASB_SAR_DIR``); returns how many. Harmless to repeat, so an
    interrupted erasure is finished by running it again."""
    erased = 0
    for sar_id in ledger.sars.about(list(person_refs)):
        if erase_report(root / str(sar_id)):
            log.info("sar.report_erased", sar_id=str(sar_id))
            erased += 1
    return erased
