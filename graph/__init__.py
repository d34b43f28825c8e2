"""The cascade as a LangGraph graph, built from a list of stages."""

from cope.graph.builder import build_graph, compile_graph
from cope.graph.context import CopeContext
from cope.graph.state import CopeInput, CopeOutput, CopeState

__all__ = ["CopeContext", "CopeInput", "CopeOutput", "CopeState", "build_graph", "compile_graph"]
