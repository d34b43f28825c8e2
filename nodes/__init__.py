"""Graph nodes: plan, execute, check_confidence. Each factory binds a node to one stage."""

from cope.nodes.check_confidence import make_check_confidence
from cope.nodes.execute import make_execute
from cope.nodes.plan import make_plan

__all__ = ["make_check_confidence", "make_execute", "make_plan"]
