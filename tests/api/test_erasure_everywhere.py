"""Erasure checked everywhere (issue 13 §2), on both stores, through the HTTP API.

E, a victim on one case and the complainant on another, has a unique canary in every personal
field; their data is shared with a housing provider, an incident against them is referred to
the police, and their cases are read. Once a DPO erases E, none of E's canaries is found in
plaintext in the store (every file of the data directory, the SQLite database and its WAL
among them; on PostgreSQL a ``pg_dump`` of the schema and every table's rows), in any view's
rows, in the logs (structlog's events and what was rendered to stderr), in ``asb-ledger
export --all``, nor in a subject access request's draft (E's own fields read "[erased]");
the report of the response issued to E's earlier request is deleted (its signed bundle
kept); case views show E's fields as ``{"erased": true}``; rebuilding every view from
scratch gives the live views' rows again; and ``verify --all`` and the export's offline
verification pass.

Controls, so the test can fail: before the erasure the entitled caseworker, the partner the
data was shared with, the person register, the request's draft and its issued report all
show E's canaries; a witness W on the same case is not erased and still shows afterwards;
the same store and export scans find a non-personal marker (the ward), on PostgreSQL inside
the dump's decoded bytea; the logs hold the request lines.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from projections.catalog import VIEW_TYPES
from projections.rebuild import rebuild
from tests.api.conftest import Tokens, complaint
from tests.api.helpers import Api, problem
from tests.api.scans import (
    absent,
    leaks,
    logs_captured_and_rendered,
    pg_dump,
    present,
    stored,
)
from tests.api.test_ledger_api import settle
from tests.cli.test_commands import run

JSON = dict[str, Any]
FIELDS = ("name", "contact", "address", "date_of_birth", "vulnerability_note")
DETAILS = FIELDS[:4]
LABELS = {f.replace("_", " ") for f in FIELDS}
"""How the draft labels a person's fields."""
WARD = "Highfields and Western Downs"
"""A ward, in the clear by design: the store and export scans' control."""


@pytest.fixture
def api_settings(api_settings: ApiSettings) -> ApiSettings:
    """Sign a checkpoint after every page of events, so that one covers the cases promptly."""
    return api_settings.model_copy(update={"checkpoint_every": 1})


def canaries(who: str) -> dict[str, str]:
    return {f: f"CNRY-{who}-{f}-{uuid.uuid4().hex[:12]}" for f in FIELDS}


def linked(api: Api, case_id: str, role: str, person: dict[str, str]) -> str:
    body = {
        "role": role,
        "details": {f: person[f] for f in DETAILS},
        "vulnerability_note": person["vulnerability_note"],
    }
    ref: str = api.ok(f"/cases/{case_id}/people", body)["created"]["person_ref"]
    return ref


def get(client: TestClient, path: str, headers: dict[str, str]) -> JSON:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: JSON = response.json()
    return body


def as_erased(fields: tuple[str, ...]) -> JSON:
    return {f: {"erased": True} for f in fields}


def person_in(view: JSON, ref: str) -> JSON:
    found: JSON
    (found,) = [p for p in view["people"] if p["person_ref"] == ref]
    return found


def cli(settings: ApiSettings, *args: str) -> subprocess.CompletedProcess[str]:
    """``asb-ledger`` in a process of its own, on the app's store."""
    assert settings.database_url is not None
    store = {"ASB_DATA_DIR": str(settings.data_dir), "ASB_DATABASE_URL": settings.database_url}
    return run(settings.data_dir, *args, **store)


def test_an_erased_person_is_nowhere_in_plaintext(
    client: TestClient,
    tokens: Tokens,
    store: str,
    api_settings: ApiSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    e, w = canaries("E"), canaries("W")
    everywhere = {**e, **{f"W.{k}": v for k, v in w.items()}}
    cw = Api(client, tokens("caseworker", user="cw-north"))
    partner = tokens("partner", user="p-homes", org="example-homes", team=None)
    dpo = tokens("dpo", user="dpo-1", team=None)
    today = "2026-03-02"
    shown: list[str] = []  # every response after the erasure

    with logs_captured_and_rendered() as logs:
        one = cw.open(ward=WARD)
        e_ref = linked(cw, one.case_id, "victim", e)
        w_ref = linked(cw, one.case_id, "witness", w)
        cw.do("record_incident", one, criminal=True, harms=["targeted"], victim_refs=[e_ref])
        cw.do("refer_to_police", one)
        cw.do(
            "share_information",
            one,
            items=["case_summary", f"person:{e_ref}"],
            condition="dpa2018_sch1_preventing_or_detecting_unlawful_acts",
        )
        opened = cw.ok(
            "/cases",
            complaint(ward=WARD, complainant={f: e[f] for f in DETAILS}, complainant_ref=e_ref),
        )
        two = opened["case_id"]

        # Before: those entitled see E's canaries (and the scans below can find them).
        present(e.values(), str(get(client, f"/cases/{one.case_id}", cw.headers)), "case 1")
        present([e[f] for f in DETAILS], str(get(client, f"/cases/{two}", cw.headers)), "case 2")
        present([e["name"]], str(get(client, f"/cases/{one.case_id}", partner)), "the partner")
        present(
            [e["name"]],
            str(get(client, f"/people/{e_ref}?min_position={cw.head()}", cw.headers)),
            "the register",
        )
        sar = {"person_ref": e_ref, "received_on": today, "identity_checked_on": today}
        held = cw.ok("/dpo/sars", sar, headers=dpo)["sar_id"]
        present(e.values(), str(get(client, f"/dpo/sars/{held}", dpo)), "the SAR draft")

        # Refused while a request is open, then while a case needs E as its victim.
        erase = {"person_ref": e_ref, "ground": "subject_request"}
        problem(cw.post("/dpo/erasures", erase, dpo), 409, rule="erasure.open_sar")
        settle(client, cw.head())
        assert cw.ok(f"/dpo/sars/{held}/issue", {}, headers=dpo)["sar"]["status"] == "issued"
        report = client.get(f"/dpo/sars/{held}/report", headers=dpo)
        present(e.values(), report.text, "the issued report")
        problem(cw.post("/dpo/erasures", erase, dpo), 422, rule="erasure.case_open")
        cw.as_(tokens("supervisor")).do("close_case", one)
        erased = cw.post("/dpo/erasures", erase, dpo)
        assert erased.status_code == 201, erased.text

        # After: views show E's fields as erased, W's still (control).
        first = get(client, f"/cases/{one.case_id}", cw.headers)
        assert {f: person_in(first, e_ref)[f] for f in FIELDS} == as_erased(FIELDS)
        assert {f: person_in(first, w_ref)[f] for f in FIELDS} == w
        second = get(client, f"/cases/{two}", cw.headers)
        assert {f: person_in(second, e_ref)[f] for f in DETAILS} == as_erased(DETAILS)
        seen = get(client, f"/cases/{one.case_id}", partner)
        assert person_in(seen, e_ref)["name"] == {"erased": True}
        problem(client.get(f"/dpo/sars/{held}/report", headers=dpo), 404)
        assert client.get(f"/dpo/sars/{held}/bundle", headers=dpo).status_code == 200
        register = get(client, f"/people/{e_ref}?min_position={cw.head()}", cw.headers)
        assert register["cases"], "the caseworker may see E's details (control)"
        assert {f: register[f] for f in DETAILS} == dict.fromkeys(DETAILS)
        after = cw.ok("/dpo/sars", sar, headers=dpo)["sar_id"]
        draft = get(client, f"/dpo/sars/{after}", dpo)
        assert draft["details"] == dict.fromkeys(DETAILS), draft["details"]
        own = [
            line["text"]
            for record in draft["records"]
            for line in record["lines"]
            if line["label"].split(": ")[-1] in LABELS and line["item"] is None
        ]
        assert own, "the draft shows E's own fields"
        assert set(own) == {"[erased]"}, own
        present([w["name"]], str(draft), "the draft's items (W, withheld for review)")
        shown += [str(x) for x in (first, second, seen, register, erased.json())]
        shown.append(str(draft))

        # Every view rebuilt from scratch gives the same rows, and no canary is in them.
        settle(client, cw.head())
        models: Any = client.app.state.read_models  # type: ignore[attr-defined]
        for view in models.views.values():
            assert view.wait_for(cw.head(), 20), view.name
        live = {name: view.contents() for name, view in models.views.items()}
        for kind in VIEW_TYPES:
            rebuild(cw.ledger, models.store, kind, keep_seconds=0, live=[*models.views.values()])
        for name, view in models.views.items():
            assert view.suffix != "", f"{name} was not rebuilt"
            assert view.contents() == live[name], name
            absent(everywhere.values(), repr(live[name]), f"the {name} view's rows")
        again = get(client, f"/cases/{one.case_id}", cw.headers)
        assert person_in(again, e_ref)["name"] == {"erased": True}
        shown.append(str(again))
        settle(client, cw.head())

    # The command line: export everything, verify the store, verify the export offline.
    bundle = api_settings.data_dir / "export-all.json"
    exported = cli(api_settings, "export", "--all", "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    assert WARD in bundle.read_text(encoding="utf-8"), "control: the export holds the cases"
    verified = cli(api_settings, "verify", "--all")
    assert (verified.returncode, verified.stdout) == (0, "intact\n"), verified.stderr
    key = str(api_settings.data_dir / "notary.pub")
    offline = cli(api_settings, "verify", "--bundle", str(bundle), "--key", key)
    assert offline.returncode == 0, (offline.stdout, offline.stderr)

    for text in shown:
        absent(e.values(), text, "a response after the erasure")
    output = capsys.readouterr()
    assert one.case_id in output.err, "control: the request lines are rendered to stderr"
    assert any(entry.get("case_id") == one.case_id for entry in logs), "control: captured"
    for where, text in {
        "stderr": output.err,
        "stdout": output.out,
        "the structlog events": repr(logs),
        "the command line's output": "".join(
            p.stdout + p.stderr for p in (exported, verified, offline)
        ),
    }.items():
        absent(everywhere.values(), text, where)

    raw = stored(store, api_settings)
    assert bundle.name in raw, sorted(raw)
    if store == "sqlite":
        assert "ledger.sqlite3-wal" in raw, sorted(raw)
        control = raw["ledger.sqlite3"] + raw["ledger.sqlite3-wal"]
    else:
        raw |= pg_dump(api_settings)
        control = raw["pg_dump (bytea decoded)"]
    assert WARD.encode() in control, "control: the scan reads the events"
    assert not (found := leaks(everywhere.values(), raw)), f"plaintext personal data: {found}"
