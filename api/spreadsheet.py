"""CSV cells a spreadsheet will show as text: never run as a formula (CSV injection).

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
quoted with a leading ``'``, as OWASP advises; lists are space-separated, times ISO 8601."""

from __future__ import annotations

from datetime import datetime
from typing import Any

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with a leading '."""
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        text = " ".join(str(item) for item in value)
    else:
        text = value.isoformat() if isinstance(value, datetime) else str(value)
    return f"'{text}" if text.startswith(FORMULA) else text
