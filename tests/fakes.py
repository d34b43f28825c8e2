"""Scripted engines for graph mechanics tests (no model; every call is recorded)."""

from __future__ import annotations

from collections.abc import Callable

from cope.models.base import Generation, GenRequest


class ScriptedEngine:
    """Answers each request with ``script(request, k)``; ``k`` counts calls to this engine."""

    def __init__(self, name: str, script: Callable[[GenRequest, int], str]):
        self.name = name
        self.script = script
        self.requests: list[GenRequest] = []

    def generate(self, requests: list[GenRequest]) -> list[Generation]:
        out = []
        for req in requests:
            text = self.script(req, len(self.requests))
            self.requests.append(req)
            prompt = sum(len(m["content"].split()) for m in req.messages)
            out.append(Generation(text=text, input_tokens=prompt, output_tokens=len(text.split())))
        return out


def is_plan(req: GenRequest, family: str = "math") -> bool:
    """Planner requests are those not using the family's executor system prompt."""
    from cope.prompts import load_prompt

    return req.messages[0]["content"] != load_prompt(family, "executor")
