"""Engines by model name, loaded once per process and reused across items and runs.

Names: a bundled model (``qwen2.5-coder-0.5b``, ``qwen2.5-coder-1.5b``, ``smollm2-135m``),
``gguf:PATH`` (any local GGUF through llama.cpp), ``hf:PATH`` (a Hugging Face checkpoint
folder through transformers; ``hf:FOLDER::FILE.gguf`` loads a GGUF with transformers), or
``openai:MODEL`` (an OpenAI-compatible endpoint; ``--base-url`` or OPENAI_BASE_URL).
"""

from __future__ import annotations

import threading
from pathlib import Path

from cope.errors import CopeError
from cope.models.base import Engine
from cope.models.bundled import BUNDLED, verified_path

_engines: dict[tuple[str, str | None], Engine] = {}
_lock = threading.Lock()


def _load(spec: str, base_url: str | None) -> Engine:
    if spec in BUNDLED:
        from cope.models.llama_engine import LlamaEngine

        return LlamaEngine(verified_path(spec), name=spec)
    kind, _, rest = spec.partition(":")
    if kind == "gguf" and rest:
        path = Path(rest).expanduser()
        if not path.is_file():
            raise CopeError(f"GGUF file not found at {path}; check the path")
        from cope.models.llama_engine import LlamaEngine

        return LlamaEngine(path)
    if kind == "hf" and rest:
        from cope.models.transformers_engine import TransformersEngine

        folder, _, gguf = rest.partition("::")
        return TransformersEngine(folder, gguf_file=gguf or None)
    if kind == "openai" and rest:
        from cope.models.openai_engine import OpenAIEngine

        return OpenAIEngine(rest, base_url=base_url)
    raise CopeError(
        f"unknown model {spec!r}; use a bundled name ({', '.join(BUNDLED)}), "
        "gguf:PATH, hf:PATH or openai:MODEL"
    )


def get_engine(spec: str, base_url: str | None = None) -> Engine:
    """The engine for ``spec``; the first call loads it, later calls reuse it."""
    key = (spec, base_url)
    with _lock:
        if key not in _engines:
            _engines[key] = _load(spec, base_url)
        return _engines[key]
