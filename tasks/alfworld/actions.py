"""Map a model's proposed line to one admissible command, and vote over several proposals.

A proposal is read from its first non-empty line, the way ReAct stops each step at a newline.
Thoughts ("think: ...") are not commands: they normalise to ``THINK`` so that samples that
all chose to think can agree. Anything else must map to an admissible command:

1. exactly, after dropping prompt marks ("> ", "Action:"), case, quotes and end punctuation;
2. through ALFWorld's two spellings of putting: v0.4's "move X to Y" and plain "put X in Y"
   become v0.3's "put X in/on Y";
3. without numbers ("go to fridge") when exactly one command differs only by them;
4. by closeness (``difflib``), but only among commands naming the same numbered things
   ("apple 1", "countertop 2"), so a near miss never swaps one object or place for another.

Otherwise the proposal maps to ``None``: the model named nothing the game accepts.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

THINK = "think"
CLOSE_ENOUGH = 0.6  # difflib ratio a same-objects command must reach (the verb may differ)

_MARK = re.compile(r"^(?:>+|\*+|`+|\"|'|(?:action|act|command)\s*\d*\s*:)\s*", re.IGNORECASE)
_THOUGHT = re.compile(r"^(?:think|thought)\s*\d*\s*(?::|\s|$)", re.IGNORECASE)
_ENTITY = re.compile(r"([a-z]+) (\d+)")
_ARTICLES = {"the", "a", "an"}
_PUT = re.compile(r"^(?:move|put|place) (.+?) (?:to|in|on|into|onto|in/on|inside) (.+)$")


def is_thought(text: str) -> bool:
    """Whether a proposal is a ReAct thought rather than a command."""
    line = _first_line(text)
    return line is not None and bool(_THOUGHT.match(_strip_marks(line)))


def clean(text: str) -> str | None:
    """The proposal's command words in the game's form: lower case, single spaces.

    Returns ``None`` when the text has no non-empty line.
    """
    line = _first_line(text)
    if line is None:
        return None
    line = _strip_marks(line).lower().rstrip(" .!?;,:\"'`*")
    words = [w for w in line.replace(",", " ").split() if w not in _ARTICLES]
    return " ".join(words) or None


def normalise(text: str | None, admissible: list[str]) -> str | None:
    """The admissible command ``text`` proposes, ``THINK`` for a thought, else ``None``."""
    if not text:
        return None
    if is_thought(text):
        return THINK
    wanted = clean(text)
    if wanted is None:
        return None
    by_form = {c.lower(): c for c in admissible}
    if wanted in by_form:
        return by_form[wanted]

    put = _PUT.match(wanted)
    if put and f"put {put[1]} in/on {put[2]}" in by_form:
        return by_form[f"put {put[1]} in/on {put[2]}"]

    entities = _ENTITY.findall(wanted)
    if not entities:
        unnumbered = [c for c in admissible if _without_numbers(c.lower()) == wanted]
        return unnumbered[0] if len(unnumbered) == 1 else None

    same_things = [c for c in admissible if _ENTITY.findall(c.lower()) == entities]
    scored = [(SequenceMatcher(None, wanted, c.lower()).ratio(), c) for c in same_things]
    best = max(scored, default=(0.0, None), key=lambda pair: pair[0])
    return best[1] if best[0] >= CLOSE_ENOUGH else None


def vote(actions: list[str | None]) -> tuple[str | None, float, list[int]]:
    """Majority over normalised proposals: the winner, its share, and who proposed it.

    ``None`` (no admissible command) never wins against a real proposal. Ties go to the
    proposal seen first. The share counts every sample, ``None`` ones included, so two
    agreeing samples out of eight give 0.25. When every proposal is ``None`` the result is
    ``(None, 0.0, [])``: there is nothing to agree on, and the stage should escalate.
    """
    counts = Counter(a for a in actions if a is not None)
    if not counts:
        return None, 0.0, []
    first_seen = {a: i for i, a in reversed(list(enumerate(actions))) if a is not None}
    winner = max(counts, key=lambda a: (counts[a], -first_seen[a]))
    agreeing = [i for i, a in enumerate(actions) if a == winner]
    return winner, len(agreeing) / len(actions), agreeing


def _first_line(text: str) -> str | None:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), None)


def _strip_marks(line: str) -> str:
    previous = None
    while previous != line:
        previous, line = line, _MARK.sub("", line, count=1).strip()
    return line


def _without_numbers(command: str) -> str:
    return " ".join(w for w in command.split() if not w.isdigit())
