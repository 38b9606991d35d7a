"""``diaphane data``: where the corpus archives are, and fetching them into the cache.

``diaphane data list`` shows each NLTK archive diaphane reads (Brown, movie reviews,
inaugural addresses) and where it was found; ``diaphane data fetch NAME...`` downloads
the missing ones into the cache, with a progress bar and the published sha256 checked.
The corpora inside the gensim wheel (wiki, lee) need no fetching.
"""

from __future__ import annotations

import argparse
from typing import Any

from diaphane.errors import UsageError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("data", help="list or fetch the corpus archives")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    fetch = sub.add_parser("fetch", help="download corpus archives into the cache")
    fetch.add_argument("names", nargs="+", metavar="NAME", help="brown, movie_reviews, inaugural")
    fetch.set_defaults(func=_fetch)
    listing = sub.add_parser("list", help="where each corpus archive is")
    listing.set_defaults(func=_list)


def _fetch(args: argparse.Namespace) -> int:
    from diaphane.text.fetch import KNOWN_SHA256, archive_on_disk, find_archive

    unknown = [n for n in args.names if n not in KNOWN_SHA256]
    if unknown:
        raise UsageError(
            f"unknown archive {unknown[0]!r}; diaphane fetches {', '.join(KNOWN_SHA256)}"
        )
    for name in dict.fromkeys(args.names):
        before = archive_on_disk(name)
        path = find_archive(name)
        print(f"{name}: {'already at' if before else 'fetched to'} {path}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from diaphane.text.fetch import KNOWN_SHA256, archive_on_disk

    for name in KNOWN_SHA256:
        path = archive_on_disk(name)
        print(f"{name:<14} {path if path else 'missing (diaphane data fetch ' + name + ')'}")
    for name in ("wiki", "lee"):
        print(f"{name:<14} inside the gensim wheel")
    return 0
