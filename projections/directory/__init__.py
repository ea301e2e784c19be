"""The case directory: one row per case, without personal data, for listing cases."""
