"""Caseworker commands: one module each, a frozen dataclass and ``handle(cmd, ledger)``."""
