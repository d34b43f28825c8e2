"""The cascade as a LangGraph graph, built from a list of stages."""

from cope.graph.context import CopeContext
from cope.graph.state import CopeInput, CopeOutput, CopeState

__all__ = ["CopeContext", "CopeInput", "CopeOutput", "CopeState", "build_graph", "compile_graph"]


def __getattr__(name: str):
    # The builder imports the nodes, which import this package's state: loading the builder
    # on first use lets `import cope.nodes` come first without a circular import.
    if name in ("build_graph", "compile_graph"):
        from cope.graph import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'cope.graph' has no attribute {name!r}")
