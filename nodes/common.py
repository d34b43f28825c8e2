"""Helpers the nodes share: the item, the family, the engine and deterministic seeds."""

from __future__ import annotations

import hashlib

from langgraph.runtime import Runtime

from cope.graph.context import CopeContext
from cope.graph.state import CopeState, Usage
from cope.models.base import Generation
from cope.tasks import Item, TaskFamily, get_family


def item_and_family(state: CopeState) -> tuple[Item, TaskFamily]:
    return Item.from_dict(state["item"]), get_family(state["task"])


def context_of(runtime: Runtime | None) -> CopeContext:
    ctx = getattr(runtime, "context", None)
    if isinstance(ctx, CopeContext):
        return ctx
    if isinstance(ctx, dict):  # Studio and the HTTP API send plain JSON
        return CopeContext(**ctx)
    return CopeContext()


def seed_for(base: int, item_id: str, stage: str, what: str, k: int) -> int:
    """A reproducible seed per item, stage and sample: a resumed run draws the same samples."""
    digest = hashlib.sha256(f"{base}:{item_id}:{stage}:{what}:{k}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def usage_entry(
    stage: str, role: str, model_role: str, model: str, gens: list[Generation]
) -> Usage:
    return Usage(
        stage=stage,
        role=role,
        model_role=model_role,
        model=model,
        input_tokens=sum(g.input_tokens for g in gens),
        output_tokens=sum(g.output_tokens for g in gens),
        calls=len(gens),
    )
