"""Rebuild the sentiment network shipped with diaphane: ``python docs/make_default_sentiment.py``.

It runs ``diaphane train sentiment`` on all 2000 movie_reviews (the command's defaults
are the best measured settings of ``bench/sentiment.py``: length-normalised binary
bags, hidden 10, Adam lr 0.01, 10 epochs), writes the folder to
``src/diaphane/data/default_sentiment``, then measures the 10-fold cross-validated
accuracy of the same settings on the folds ``bench/sentiment.py`` uses
(``StratifiedKFold(10, shuffle=True, random_state=0)``) and records it in the folder's
``config.json`` beside the command and the corpus fingerprint.

Needs ``DIAPHANE_DATA`` (or the cache) to hold the movie_reviews archive, and
scikit-learn for the folds. Training is deterministic: running it twice writes the
same weights.

    python docs/make_default_sentiment.py [--min-count N] [--folds 10] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import numpy as np

import diaphane.cli as cli
from diaphane.cli import sentiment as sentiment_cli
from diaphane.models.sentiment import (
    SentimentNetwork,
    default_sentiment_path,
    load_reviews,
    train_sentiment,
)

SCRIPT = "python docs/make_default_sentiment.py"
FOLDS = "StratifiedKFold({k}, shuffle=True, random_state=0), as in bench/sentiment.py"
# min count 2: half the vocabulary (1.8 MB instead of 3.4 MB) at the same 10-fold accuracy.
MIN_COUNT = 2


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--min-count", type=int, default=MIN_COUNT, help=f"(default {MIN_COUNT})")
    p.add_argument("--folds", type=int, default=10, help="cross-validation folds (default 10)")
    p.add_argument("--out", default=None, help="folder (default: the package's data folder)")
    return p.parse_args()


def train_argv(min_count: int, out: str) -> list[str]:
    """The ``diaphane`` arguments that train the shipped network: every review, no hold-out."""
    return ["train", "sentiment", "--corpus", "movie_reviews", "--test-fraction", "0",
            "--min-count", str(min_count), "--out", out]  # fmt: skip


def cross_validate(argv: list[str], folds: int) -> dict:
    """Per-fold held-out accuracies of the settings ``argv`` trains with."""
    from sklearn.model_selection import StratifiedKFold

    args = cli.build_parser().parse_args(argv)
    config, options = sentiment_cli.network_config(args), sentiment_cli.training_options(args)
    reviews, labels, _ = load_reviews(args.corpus)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    accuracy = []
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        start = time.perf_counter()
        net = train_sentiment([reviews[i] for i in train], labels[train], config, **options)
        accuracy.append(net.accuracy([reviews[i] for i in test], labels[test]))
        print(f"fold {k + 1}: {100 * accuracy[-1]:.1f}% ({time.perf_counter() - start:.1f} s)")
    acc = np.array(accuracy)
    return {"folds": folds, "splitter": FOLDS.format(k=folds), "accuracy": float(acc.mean()),
            "std": float(acc.std()), "per_fold": [round(float(a), 4) for a in acc]}  # fmt: skip


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = _parse()
    out = args.out or os.path.relpath(default_sentiment_path())
    argv = train_argv(args.min_count, out)
    if cli.main(argv) != 0:
        raise SystemExit("training failed; see the message above")
    cv = cross_validate(argv, args.folds)
    net = SentimentNetwork.load(out)
    net.info |= {"script": SCRIPT, "cross_validation": cv}
    net.save(out)
    print(f"{args.folds}-fold CV accuracy {100 * cv['accuracy']:.1f}% ± {100 * cv['std']:.1f}")
    sizes = {p.name: p.stat().st_size for p in sorted(Path(out).iterdir())}
    print(f"wrote {out}: " + ", ".join(f"{name} {size:,} B" for name, size in sizes.items()))


if __name__ == "__main__":
    main()
