"""The caseload view: open cases, what is due and overdue on them, and counts by team."""
