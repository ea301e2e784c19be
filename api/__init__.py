"""The ways in: the ``asb-ledger`` command line (and, later, HTTP)."""
