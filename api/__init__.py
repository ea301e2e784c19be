"""The ways in: the HTTP API (FastAPI) and the ``asb-ledger`` command line."""
