"""COPE: a small free model and a large paid one solve tasks together through plans."""

__version__ = "0.1.0"
