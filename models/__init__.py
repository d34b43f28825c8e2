"""Model engines: local (llama.cpp, transformers), remote (OpenAI-compatible) and scripted fakes."""

from cope.models.base import Engine, Generation, GenRequest

__all__ = ["Engine", "GenRequest", "Generation"]
