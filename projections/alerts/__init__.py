"""The DPO's queue of break-glass uses: each grant, its reads, its review and reconciliation."""
