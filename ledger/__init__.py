"""The ASB case ledger: the Case aggregate, its events, sealing and integrity."""
