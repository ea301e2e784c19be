"""The ``asb-ledger`` command line. Kept empty: ``entry`` must load nothing it does not need."""
