"""Analyst statistics: counts and durations without identifiers, published with suppression."""
