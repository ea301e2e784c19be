"""The ASB Case Review (Community Trigger) view: complaints by problem, judged when asked."""
