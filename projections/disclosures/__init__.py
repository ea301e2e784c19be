"""The disclosure log: who saw or received what, about whom, when and why."""
