"""Finding corpus archives: the data folder, the user cache, or a verified download.

Entry point: :func:`find_archive`. Archives are looked up as
``$DIAPHANE_DATA/nltk/<name>.zip``, then in the cache (``$DIAPHANE_HOME``, else
``$XDG_CACHE_HOME/diaphane``, else ``~/.cache/diaphane``), and only then downloaded
from the nltk_data repository, checked against :data:`KNOWN_SHA256` and written
atomically. ``DIAPHANE_OFFLINE=1`` forbids the download.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from diaphane.errors import ChecksumError, CorpusError, DataNotFoundError
from diaphane.files import atomic_open

log = logging.getLogger(__name__)

NLTK_URL = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/{name}.zip"

# From shared/data/nltk/SHA256SUMS: the archives as published in nltk_data.
KNOWN_SHA256 = {
    "brown": "9b275f9b3b95d7bd66ccfb7cd259f445a13bbe5d1f4107aba09fd3e8364bafa6",
    "inaugural": "7c5fb5793e31fbeae12bf1aa0ffda5336468f07cedb50654c6d31ca384e2046b",
    "movie_reviews": "a41211ae685019137410268134db6a1a14428c89b671eb83056151a878539008",
}


def cache_dir() -> Path:
    """``$DIAPHANE_HOME``, else ``$XDG_CACHE_HOME/diaphane``, else ``~/.cache/diaphane``."""
    if home := os.environ.get("DIAPHANE_HOME"):
        return Path(home)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "diaphane"


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_archive(name: str) -> Path:
    """Path of the NLTK-format archive ``<name>.zip``, downloading it if allowed.

    An archive already on disk is checked first (see :func:`check_archive`).
    """
    if (found := archive_on_disk(name)) is not None:
        return check_archive(found, name)
    cached = cache_dir() / "nltk" / f"{name}.zip"
    if offline():
        raise DataNotFoundError(
            f"{_not_here(name)} and DIAPHANE_OFFLINE=1 forbids downloading it; {_how_to_get(name)}"
        )
    try:
        download(NLTK_URL.format(name=name), cached, KNOWN_SHA256.get(name))
    except OSError as err:  # no network, DNS failure, refused, timed out, HTTP error
        reason = getattr(err, "reason", None) or err
        raise DataNotFoundError(
            f"{_not_here(name)}, and downloading it failed ({reason}); {_how_to_get(name)}"
        ) from err
    return cached


def check_archive(path: Path, name: str) -> Path:
    """``path`` if it is the published archive, or an intact zip of its own (a newer
    release); a truncated or damaged one is refused, saying how to get a good copy.

    Raises:
        CorpusError: the file is not a readable zip archive, or a member of it is damaged.
    """
    stat = path.stat()
    return _checked(path, name, stat.st_size, stat.st_mtime_ns)


@functools.cache
def _checked(path: Path, name: str, size: int, mtime: int) -> Path:
    if sha256_file(path) == KNOWN_SHA256.get(name):
        return path
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as err:
        bad = f"{err}"
    else:
        bad = f"the member {bad} is damaged" if bad else None
    if bad:
        raise CorpusError(
            f"The {name} corpus archive {path} is damaged ({bad}); delete it and run "
            f"`diaphane data fetch {name}` where there is a network, or put an intact "
            f"{name}.zip in DIAPHANE_DATA/nltk."
        )
    return path


def offline() -> bool:
    """True when ``DIAPHANE_OFFLINE`` forbids downloads."""
    return os.environ.get("DIAPHANE_OFFLINE", "") not in ("", "0")


def archive_on_disk(name: str) -> Path | None:
    """The archive ``<name>.zip`` if it is in ``DIAPHANE_DATA`` or the cache (no download)."""
    filename = f"{name}.zip"
    candidates = [cache_dir() / "nltk" / filename]
    if data := os.environ.get("DIAPHANE_DATA"):
        candidates.insert(0, Path(data) / "nltk" / filename)
    return next((c for c in candidates if c.is_file()), None)


def _not_here(name: str) -> str:
    data = os.environ.get("DIAPHANE_DATA")
    where = f"DIAPHANE_DATA/nltk ({data})" if data else "DIAPHANE_DATA (unset)"
    cache = cache_dir() / "nltk"
    return f"the {name} corpus archive ({name}.zip) is not in {where} nor in the cache ({cache})"


def _how_to_get(name: str) -> str:
    return (
        f"run `diaphane data fetch {name}` where there is a network, or put {name}.zip "
        f"(from {NLTK_URL.format(name=name)}) in a folder's nltk/ and set DIAPHANE_DATA to "
        "that folder."
    )


def download(
    url: str, dest: Path, sha256: str | None, fetch: Callable[[str], BinaryIO] | None = None
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying ``sha256`` when given."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s", url)
    digest = hashlib.sha256()
    with atomic_open(dest, "wb") as out, (fetch or _urlopen)(url) as response:
        total = int(getattr(response, "headers", {}).get("Content-Length") or 0)
        for chunk in _progress(_chunks(response), total, dest.name):
            digest.update(chunk)
            out.write(chunk)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise ChecksumError(
                f"{url} has sha256 {digest.hexdigest()}, expected {sha256}; the download is corrupt"
                " or the file changed upstream. Nothing was written."
            )
    return dest


def _urlopen(url: str) -> BinaryIO:
    return urllib.request.urlopen(url, timeout=30)


def _chunks(stream: BinaryIO, size: int = 1 << 16) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


def _progress(chunks: Iterator[bytes], total: int, label: str) -> Iterator[bytes]:
    """Pass chunks through, drawing a progress bar on stderr when it is a terminal."""
    show = sys.stderr.isatty()
    done = 0
    for chunk in chunks:
        done += len(chunk)
        if show:
            frac = done / total if total else 0.0
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r{label} [{bar:<30}] {done / 1e6:.1f}/{total / 1e6:.1f} MB")
            sys.stderr.flush()
        yield chunk
    if show:
        sys.stderr.write("\n")
