"""OpenAPI links from each created resource to the operations that use it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

CREATED = {
    "action_id": "/cases/{case_id}/actions",
    "request_id": "/cases/{case_id}/case-review-requests",
}
"""Ids a command creates (in its receipt's ``created``), by the path that creates them."""
COMPLAINANT = {
    "/cases/{case_id}/case-review-requests": "applicant_ref",
    "/cases/{case_id}/contacts": "person_ref",
}
"""Bodies that name a person of the case: an opening's link gives them its complainant."""


def _path_parameters(path: str) -> set[str]:
    return set(re.findall(r"{([^}]+)}", path))


def add_links(document: dict[str, Any]) -> dict[str, Any]:
    """Adds ``links`` to every command's 201: from an opening, its ``case_id`` to every
    operation on ``/cases/{case_id}...`` that needs nothing else in its path (and its
    complainant to the bodies that name a person, ``COMPLAINANT``); from a command
    on a case, the same case to the same operations; the version to the event it recorded;
    and from a command that creates an action or a case review request, that id (with the
    case) to the operations on it."""
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]

    def targets(needs: set[str]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (path, operation)
            for path, _, operation in operations
            if path.startswith("/cases/{case_id}") and _path_parameters(path) == needs
        ]

    for path, _, operation in operations:
        created = operation.get("responses", {}).get("201")
        if created is None or not path.startswith("/cases"):
            continue
        case_id = "$response.body#/case_id"
        links = {
            target["operationId"]: {
                "operationId": target["operationId"],
                "parameters": {"case_id": case_id},
                "description": "The case this command recorded on (or opened).",
            }
            for _, target in targets({"case_id"})
        }
        for _, target in targets({"case_id", "version"}):
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": {"case_id": case_id, "version": "$response.body#/version"},
                "description": "The event this command recorded.",
            }
        for name, maker in CREATED.items():
            if path != maker:
                continue
            for _, target in targets({"case_id", name}):
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": {
                        "case_id": case_id,
                        name: f"$response.body#/created/{name}",
                    },
                    "description": f"The {name.removesuffix('_id')} this command created.",
                }
        if path == "/cases":
            for target_path, target in targets({"case_id"}):
                if target_path in COMPLAINANT:
                    complainant = "$response.body#/created/complainant_ref"
                    links[target["operationId"]]["requestBody"] = {
                        COMPLAINANT[target_path]: complainant
                    }
        created["links"] = links
    return document


def install(app: FastAPI) -> None:
    """Makes ``app.openapi()`` give the document with its links (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
