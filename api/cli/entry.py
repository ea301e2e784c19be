"""The ``asb-ledger`` console script. ``verify --bundle`` goes straight to the offline verifier
(``replay/offline.py``), so that path loads nothing beyond it: no store, no web framework,
no settings. Everything else is the typer application in ``api/cli/app.py``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

_STORE_TARGETS = frozenset({"--case", "--all", "--help"})


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"verify: {message}\n")


def _offline(args: Sequence[str]) -> bool:
    """``verify --bundle ...`` with nothing that needs the store or typer's help."""
    names = {arg.split("=", 1)[0] for arg in args[1:]}
    return args[:1] == ["verify"] and "--bundle" in names and not names & _STORE_TARGETS


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if _offline(args):
        from replay.offline import run

        parser = _Parser(prog="asb-ledger verify", add_help=False)
        parser.add_argument("--bundle", type=Path, required=True)
        parser.add_argument("--key", type=Path)
        parser.add_argument("--since", type=Path)
        options = parser.parse_args(args[1:])
        if options.key is None:
            print("verify: --bundle needs --key FILE, the notary's verifier key", file=sys.stderr)
            sys.exit(2)
        sys.exit(run(options.bundle, options.key, options.since))
    from api.cli.app import app

    app(args=args, prog_name="asb-ledger")
