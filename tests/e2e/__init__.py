"""End-to-end tests: the real server in a subprocess, driven over HTTP."""
