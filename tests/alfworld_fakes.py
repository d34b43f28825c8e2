"""A three-room toy game with ALFWorld's interface, for subgraph mechanics without TextWorld."""

from __future__ import annotations

from tests.fakes import ScriptedEngine

OPENING = "You are in the middle of a room. You see a desk 1.\nYour task is to: take the key."


class ToyGame:
    """Won by "go to desk 1" then "take key 1 from desk 1"."""

    def __init__(self, game_file: str):
        self.first_observation = OPENING
        self.admissible = ["go to desk 1", "look", "inventory"]
        self.lines: list[str] = []
        self.at_desk = False

    def play(self, line: str):
        self.lines.append(line)
        if line.startswith("think"):
            return "OK.", False, False
        if line == "go to desk 1":
            self.at_desk = True
            self.admissible = ["take key 1 from desk 1", "look", "inventory"]
            return "On the desk 1, you see a key 1.", False, False
        if line == "take key 1 from desk 1" and self.at_desk:
            return "You pick up the key 1 from the desk 1.", True, True
        return "Nothing happens.", False, False

    def close(self) -> None:
        pass


def toy_engines(crash_on_large: bool = False):
    """small: agrees on the first move, splits on the second; large: writes the guideline."""

    def small(req, k):
        user = req.messages[-1]["content"]
        if "Your task is to" in user and "Two solved games" not in user:
            return "The goal is to take the key."
        if "On the desk 1" not in user:
            return "> go to desk 1"
        if "Guideline" in user:
            return "> take key 1 from desk 1"
        return ["> look", "> inventory", "> take key 1 from desk 1", "> think: hmm"][k % 4]

    def large(req, k):
        if crash_on_large:
            import os

            os._exit(17)
        return "Go to the desk, then take the key from it."

    return ScriptedEngine("toy-small", small), ScriptedEngine("toy-large", large)
