"""The graph LangGraph Studio loads (langgraph.json): compiled without a checkpointer, because
`langgraph dev` supplies its own and refuses a graph that brings one."""

from cope.graph.builder import compile_graph

graph = compile_graph("cope")
