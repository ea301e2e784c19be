"""What auditors use: read a case's stored events back, such as its timeline."""
