"""Forms: a page's fields validated by the API's own request models, and the command run
through the API's own ``Commands`` (policy, If-Match, Idempotency-Key, access records).

A form carries, in hidden fields, the case version it was drawn from (so that a stale form
is refused, 412 in the API, with the current state shown) and an idempotency key made when
the form was drawn (so that a form sent twice records once). What goes wrong comes back as
``Refused``: an error summary naming each rule in plain words, and messages by field.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel, ValidationError

from api.commanding import Build, Commands, Done
from api.errors import CONFLICTS, Problem
from api.policy import Guard
from api.web.rules import plain_words
from ledger.errors import ConcurrentWrite, RuleViolation, StaleVersion

M = TypeVar("M", bound=BaseModel)

VERSION_FIELD = "version"
KEY_FIELD = "idempotency_key"


@dataclass
class Refused:
    """Why a form was not carried out: the summary (each entry ``field`` to link to or None,
    ``text`` in plain words, ``detail``, ``rule``), messages by field id, for a stale form
    the case's version now, and for a possible duplicate the register's candidates (as
    the caller may see them)."""

    summary: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    current_version: int | None = None
    status: int = 422
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """For ``person.possible_duplicate``: the registered people the details match, as the
    caller may see them (``api.schemas.people.CandidateOut``), to link one or confirm new."""

    def add(
        self, text: str, *, field_id: str | None = None, detail: str = "", rule: str = ""
    ) -> None:
        self.summary.append({"field": field_id, "text": text, "detail": detail, "rule": rule})
        if field_id is not None and field_id not in self.fields:
            self.fields[field_id] = text

    def beside(self, messages: Mapping[str, str], rule_fields: Mapping[str, str]) -> None:
        """A form's own words for a field the model found fault with (``messages``, by
        field id), and each broken rule shown beside the field it concerns as well
        (``rule_fields``, by rule code)."""
        for entry in self.summary:
            if entry["rule"] and entry["field"] is None:
                entry["field"] = rule_fields.get(entry["rule"])
            elif not entry["rule"] and entry["field"] in messages:
                entry["text"] = messages[entry["field"]]
        self.fields = {}
        for entry in self.summary:
            if entry["field"] is not None:
                self.fields.setdefault(entry["field"], entry["text"])


def field_id(loc: Sequence[Any]) -> str:
    """The form field (and element id) for a location in a model: ``complainant-name``."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path") and not isinstance(p, int)]
    return "-".join(parts) or "form"


def new_key() -> str:
    """A fresh idempotency key for a form being drawn."""
    return str(uuid.uuid4())


async def form_values(request: Request) -> dict[str, Any]:
    """The form's fields: a field sent more than once (checkboxes) as a list."""
    form = await request.form()
    values: dict[str, Any] = {}
    for name in form:
        given = [v for v in form.getlist(name) if isinstance(v, str)]
        values[name] = given if len(given) > 1 else (given[0] if given else "")
    return values


def as_list(value: Any) -> list[str]:
    """A checkbox group's values (none, one or several)."""
    if value in (None, ""):
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@dataclass(frozen=True)
class Kept:
    """A field's value given to the model even when it is empty (null, an empty list). A
    form marks so a field the API's model requires but lets be empty: the ledger's rule
    about it (``share.purpose_required``) then speaks with every other rule the command
    breaks, rather than the model's bare "missing"."""

    value: Any


def blank_to_none(data: Mapping[str, Any]) -> dict[str, Any]:
    """Fields left empty are fields not given (the models' defaults apply), but for those
    the form keeps (``Kept``)."""
    return {
        k: v.value if isinstance(v, Kept) else v
        for k, v in data.items()
        if isinstance(v, Kept) or v not in ("", None, [])
    }


def validate(model: type[M], data: Mapping[str, Any]) -> tuple[M | None, Refused]:
    """``data`` as the API's request model, or the messages for the fields that failed."""
    refused = Refused()
    try:
        return model.model_validate(data), refused
    except ValidationError as error:
        for e in error.errors():
            where = field_id(e.get("loc", ()))
            refused.add(_message(e), field_id=where)
        return None, refused


def _message(error: Mapping[str, Any]) -> str:
    label = str((error.get("loc") or ("this",))[-1]).replace("_", " ")
    kind = error.get("type", "")
    if kind == "missing":
        return f"Enter {label}"
    message = str(error.get("msg", "is not valid"))
    return f"{label[:1].upper()}{label[1:]}: {message[:1].lower()}{message[1:]}"


def version_of(data: Mapping[str, Any]) -> int | None:
    raw = data.get(VERSION_FIELD)
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def key_of(data: Mapping[str, Any]) -> str | None:
    raw = data.get(KEY_FIELD)
    return raw if isinstance(raw, str) and raw else None


def submit(
    commands: Commands,
    guard: Guard,
    body: BaseModel,
    build: Build,
    *,
    case_id: UUID | None,
    data: Mapping[str, Any],
) -> Done | Refused:
    """Runs the command as the API would, with the form's version and key. A refusal the
    person can act on comes back as ``Refused``; one they cannot (403, 404) is raised, and
    shown as a page."""
    try:
        return commands.execute(
            guard,
            body,
            build,
            case_id=case_id,
            expected_version=version_of(data),
            key=key_of(data),
        )
    except RuleViolation as broken:
        return refused_by_rule(broken)
    except StaleVersion as stale:
        return _stale(stale.current)
    except ConcurrentWrite:
        return _stale(None)
    except Problem as problem:
        if problem.status in (401, 403, 404):
            raise
        return refused_by(problem)


def refused_by_rule(broken: RuleViolation) -> Refused:
    """A broken rule (every rule, where several broke) as a form's refusal."""
    refused = Refused(status=409 if broken.rule in CONFLICTS else 422)
    for v in broken.all:
        refused.add(plain_words(v.rule.value), detail=v.detail, rule=v.rule.value)
    return refused


def refused_by(problem: Problem) -> Refused:
    """An API problem (a 409 or 422 with its rule, or fields) as a form's refusal."""
    refused = Refused(status=problem.status, candidates=problem.extra.get("candidates") or [])
    for e in problem.extra.get("errors", []) or []:
        refused.add(
            str(e.get("message", "is not valid")).capitalize(),
            field_id=field_id(str(e.get("field", "form")).split(".")),
        )
    rules = problem.extra.get("rules") or (
        [{"rule": problem.extra["rule"], "detail": problem.detail}]
        if problem.extra.get("rule")
        else []
    )
    for r in rules:
        refused.add(plain_words(r["rule"]), detail=r.get("detail", ""), rule=r["rule"])
    if not refused.summary:
        refused.add(problem.title, detail=problem.detail)
    return refused


def _stale(current: int | None) -> Refused:
    refused = Refused(current_version=current, status=412)
    refused.add(
        "Someone else changed this case while you had this form open",
        detail="Nothing was recorded. The case as it is now is shown; check it, then send"
        " the form again if it is still needed.",
        rule="case.stale_version",
    )
    return refused
