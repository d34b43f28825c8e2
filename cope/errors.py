"""The one error type users see: its message says what was wrong and how to fix it."""


class CopeError(Exception):
    """A problem the user can fix; the CLI prints the message alone, no traceback."""
