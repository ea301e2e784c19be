"""structlog, configured once: JSON when not on a terminal, never personal data."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Literal

import structlog

_configured = False


_WRITE = threading.Lock()


class _StderrLogger:
    """Writes each line to whatever ``sys.stderr`` is now (a test runner may swap it), whole:
    the line and its newline in one write, under a lock, so threads' lines never merge."""

    def msg(self, message: str) -> None:
        with _WRITE:
            stream = sys.stderr
            stream.write(message + "\n")
            stream.flush()

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_logger(*args: object) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(
    fmt: Literal["auto", "json", "console"] = "auto", level: int = logging.INFO
) -> None:
    global _configured
    if _configured:
        return
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        # Not cached: a logger picks up the current configuration on each use, so tests
        # (and a reconfigured process) never hold a stale one. It costs microseconds.
        cache_logger_on_first_use=False,
    )
    _configured = True
