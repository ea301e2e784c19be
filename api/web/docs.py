"""The API's documentation pages, Swagger UI (``/docs``) and ReDoc (``/redoc``), with their
scripts and styles served by this process (``/app/static/vendor``): nothing from a CDN, so
they work on a council network that reaches nothing outside."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from api.policy import Action, Guard, authorize

router = APIRouter(include_in_schema=False)
Public = Annotated[Guard, Depends(authorize(Action.PUBLIC))]

_DOCS = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>asb-ledger API - Swagger UI</title>
<link rel="icon" href="/app/static/govuk/images/favicon.ico" type="image/x-icon">
<link rel="stylesheet" href="/app/static/vendor/swagger-ui.css">
</head>
<body>
<main id="swagger-ui"></main>
<script src="/app/static/vendor/swagger-ui-bundle.js"></script>
<script src="/app/static/docs.js"></script>
</body>
</html>
"""

_REDOC = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>asb-ledger API - ReDoc</title>
<link rel="icon" href="/app/static/govuk/images/favicon.ico" type="image/x-icon">
</head>
<body>
<main id="redoc"></main>
<script src="/app/static/vendor/redoc.standalone.js"></script>
<script src="/app/static/redoc.js"></script>
</body>
</html>
"""


@router.get("/docs", name="docs")
async def swagger_ui(guard: Public) -> HTMLResponse:
    return HTMLResponse(_DOCS)


@router.get("/redoc", name="redoc")
async def redoc(guard: Public) -> HTMLResponse:
    return HTMLResponse(_REDOC)
