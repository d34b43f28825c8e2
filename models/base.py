"""The contract every model engine meets: a batch of requests in, one generation per request out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@dataclass(frozen=True)
class GenRequest:
    """One completion to draw.

    Requests with the same ``messages`` in one batch share the prompt evaluation on local
    engines (the prompt is read once, its KV cache is shared by every sequence).
    """

    messages: tuple[Message, ...] | list[Message]
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int | None = None
    logprobs: bool = False
    stop: tuple[str, ...] = ()


@dataclass
class Generation:
    """What came back for one request, with the token counts the ledger bills."""

    text: str
    input_tokens: int
    output_tokens: int
    finish_reason: str = "stop"  # "stop" or "length"
    logprobs: list[float] | None = field(default=None, repr=False)


@runtime_checkable
class Engine(Protocol):
    """A chat model that draws a batch of completions.

    ``generate`` returns exactly one ``Generation`` per request, in request order. Engines
    decode the batch together where they can (local) or send it concurrently (remote).
    """

    name: str

    def generate(self, requests: list[GenRequest]) -> list[Generation]: ...
