"""ALFWorld: the real TextWorld engine, ReAct few-shot examples, action voting."""
