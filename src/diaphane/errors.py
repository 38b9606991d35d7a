"""The errors diaphane raises for what a user gave it: each message names the cause and the fix.

Every package raises these (or a subclass) for bad input, missing data and damaged
files; the ``diaphane`` command prints them as one plain line and exits non-zero.
Anything else that escapes is a bug in diaphane and is shown with its traceback.

- :class:`DiaphaneError`: the base of them all.
- :class:`UsageError`: an option or argument that cannot work.
- :class:`DataNotFoundError`: a corpus archive that is not on this machine.
- :class:`ChecksumError`: a download that does not match its published checksum.
- :class:`CorpusError`: an unknown corpus, an unreadable or empty file.
- :class:`ModelFileError`: a model folder that is missing, damaged or of the wrong kind.
- :class:`DataFileError`: a data file (a CSV matrix) that is not what it should be.
"""

from __future__ import annotations

__all__ = [
    "ChecksumError",
    "CorpusError",
    "DataFileError",
    "DataNotFoundError",
    "DiaphaneError",
    "ModelFileError",
    "UsageError",
]


class DiaphaneError(Exception):
    """An error whose message names the cause and the fix."""


class UsageError(DiaphaneError):
    """A problem with what the user asked for: an option, an argument, a value."""


class DataNotFoundError(DiaphaneError, FileNotFoundError):
    """A corpus archive is not on this machine and cannot be downloaded now."""


class ChecksumError(DiaphaneError, ValueError):
    """A downloaded file does not match its published checksum."""


class CorpusError(DiaphaneError, ValueError):
    """An unknown corpus name, an unreadable file or an empty corpus."""


class ModelFileError(DiaphaneError, ValueError):
    """A model folder that is missing, damaged, or holds another kind of model."""


class DataFileError(DiaphaneError, ValueError):
    """A data file (a CSV matrix) that is empty, ragged or not numbers where it should be."""
