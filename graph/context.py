"""Run-scoped settings that are not state: which model plays each role."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from cope.models.base import Engine

# The bundled pair: what runs with no model named anywhere.
DEFAULT_MODELS = {"small": "qwen2.5-coder-0.5b", "large": "qwen2.5-coder-1.5b"}


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(kw_only=True)
class CopeContext:
    """Models by role. Explicit values win over COPE_SMALL / COPE_LARGE, which win over defaults.

    A model is named as a bundled model (``qwen2.5-coder-0.5b``), ``gguf:PATH``, ``hf:PATH``
    or ``openai:MODEL`` (an OpenAI-compatible endpoint; see ``cope.models.registry``).
    """

    small: str = field(default="", metadata={"description": "Model for the small role."})
    large: str = field(default="", metadata={"description": "Model for the large role."})
    base_url: str | None = field(
        default=None, metadata={"description": "Endpoint for openai: models (else env)."}
    )
    engines: dict[str, Any] | None = field(
        default=None, metadata={"description": "Ready engines by role (tests, embedding)."}
    )

    def __post_init__(self) -> None:
        self.small = self.small or _env("COPE_SMALL", DEFAULT_MODELS["small"])
        self.large = self.large or _env("COPE_LARGE", DEFAULT_MODELS["large"])

    def model_name(self, role: str) -> str:
        """The model spec that plays ``role``."""
        if self.engines and role in self.engines:
            return self.engines[role].name
        return {"small": self.small, "large": self.large}.get(role, role)

    def engine(self, role: str) -> Engine:
        """The engine for ``role``, loaded once per process."""
        if self.engines and role in self.engines:
            return self.engines[role]
        from cope.models.registry import get_engine

        return get_engine(self.model_name(role), base_url=self.base_url)
