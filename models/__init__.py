"""Model engines: local (llama.cpp, transformers), remote (OpenAI-compatible) and scripted fakes."""

from cope.models.base import Engine, GenRequest, Generation

__all__ = ["Engine", "GenRequest", "Generation"]
