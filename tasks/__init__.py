"""Task families: how to prompt, how to judge confidence, how to score. One module per family."""

from cope.tasks.base import Item, TaskFamily, Verdict
from cope.tasks.registry import family_names, get_family

__all__ = ["Item", "TaskFamily", "Verdict", "get_family", "family_names"]
