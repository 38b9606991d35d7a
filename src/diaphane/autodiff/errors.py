"""The engine's error type, :class:`diaphane.errors.DiaphaneError` (re-exported here)."""

from diaphane.errors import DiaphaneError

__all__ = ["DiaphaneError"]
