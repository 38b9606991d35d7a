"""``diaphane train ngram``: count an n-gram language model on a corpus."""

from __future__ import annotations

import argparse
import time
from typing import Any

from diaphane.cli import train_subparsers
from diaphane.cli.lm import load_split, split_args, streamed


def register(subparsers: Any) -> None:
    p = train_subparsers(subparsers).add_parser(
        "ngram", help="count an n-gram language model", description="Fit an n-gram LM on a corpus."
    )
    p.add_argument("--corpus", default="brown", help="corpus name or path (default: brown)")
    p.add_argument("--order", type=int, default=3, help="n, the longest n-gram (default 3)")
    p.add_argument("--smoothing", choices=("mle", "addk", "kn"), default="kn")
    p.add_argument("--k", type=float, default=1.0, help="pseudo-count for add-k (default 1)")
    split_args(p)
    p.add_argument("--out", required=True, help="folder to write the model to")
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from diaphane.models.ngram import NgramLM

    min_count = 4 if args.min_count is None else args.min_count
    corpus, split, vocab, scheme = load_split(args.corpus, args.scheme, min_count)
    stream = scheme == "bengio" if args.stream is None else args.stream
    start = time.perf_counter()
    source = {
        "corpus": args.corpus,
        "fingerprint": corpus.fingerprint,
        "scheme": scheme,
        "split": "train",
        "stream": stream,
        "min_count": min_count,
    }
    lm = NgramLM(args.order, args.smoothing, args.k).fit(
        streamed(split.train, stream), vocab, source=source
    )
    fit_s = time.perf_counter() - start
    valid = lm.perplexity(streamed(split.valid, stream)) if any(split.valid) else float("nan")
    lm.save(args.out)
    print(
        f"saved {args.out}: order {args.order} {args.smoothing}, |V| {len(vocab)}, "
        f"{lm.meta['tokens']:,} training events, fit {fit_s:.2f} s, valid perplexity {valid:.1f}"
    )
    return 0
