"""The cumulative-harm risk view: facts per case and victim, judged at query time by its rules."""
