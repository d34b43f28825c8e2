"""Task families by name. Adding a family is one module plus one line here."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from cope.errors import CopeError
from cope.tasks.base import TaskFamily

_FAMILIES = {
    "math": "cope.tasks.math:MathFamily",
    "code": "cope.tasks.code:CodeFamily",
    "alfworld": "cope.tasks.alfworld.family:AlfworldFamily",
}


def family_names() -> list[str]:
    """Names of the registered task families."""
    return list(_FAMILIES)


@cache
def get_family(name: str) -> TaskFamily:
    """The family registered as ``name`` (imported on first use)."""
    if name not in _FAMILIES:
        raise CopeError(f"unknown task family {name!r}; choose one of {', '.join(_FAMILIES)}")
    module, cls = _FAMILIES[name].split(":")
    return getattr(import_module(module), cls)()
