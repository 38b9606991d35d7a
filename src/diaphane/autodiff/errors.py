"""The engine's error type: a message that names the cause and the fix."""


class DiaphaneError(Exception):
    """An error whose message names the cause and the fix."""
