"""``diaphane train ngram``: count an n-gram language model on a corpus."""

from __future__ import annotations

import argparse
import time
from typing import Any

from diaphane.cli import train_subparsers
from diaphane.cli.lm import check_order, check_vocabulary, load_split, split_args, streamed
from diaphane.cli.options import add_force, integer, prepare_out, real
from diaphane.cli.scale import add_scale_args, scaled, train_ngram


def register(subparsers: Any) -> None:
    p = train_subparsers(subparsers).add_parser(
        "ngram", help="count an n-gram language model", description="Fit an n-gram LM on a corpus."
    )
    p.add_argument("--corpus", default="brown", help="corpus name or path (default: brown)")
    p.add_argument("--order", type=integer(), default=3, help="n, the longest n-gram (default 3)")
    p.add_argument("--smoothing", choices=("mle", "addk", "kn"), default="kn")
    p.add_argument("--k", type=real(0, low_open=True), default=1.0,
                   help="pseudo-count for add-k, above 0 (default 1)")  # fmt: skip
    split_args(p)
    add_scale_args(p)
    p.add_argument("--out", required=True, help="folder to write the model to")
    add_force(p)
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from diaphane.models.ngram import NgramLM

    prepare_out(args.out, "ngram", args.force)
    min_count = 4 if args.min_count is None else args.min_count
    if scaled(args):  # streamed within --memory, or on a --dask cluster: the same model
        return train_ngram(args, min_count)
    corpus, split, vocab, scheme = load_split(args.corpus, args.scheme, min_count)
    check_vocabulary(vocab, args.corpus, min_count)
    stream = scheme == "bengio" if args.stream is None else args.stream
    train = streamed(split.train, stream)
    check_order(args.order, train, args.corpus, bytes_per_token=4 + 32 * args.order)
    start = time.perf_counter()
    source = {
        "corpus": args.corpus,
        "fingerprint": corpus.fingerprint,
        "scheme": scheme,
        "split": "train",
        "stream": stream,
        "min_count": min_count,
    }
    lm = NgramLM(args.order, args.smoothing, args.k).fit(train, vocab, source=source)
    fit_s = time.perf_counter() - start
    valid = "no validation text"
    if any(split.valid):
        valid = f"valid perplexity {lm.perplexity(streamed(split.valid, stream)):.1f}"
    lm.save(args.out, force=args.force)
    print(
        f"saved {args.out}: order {args.order} {args.smoothing}, |V| {len(vocab)}, "
        f"{lm.meta['tokens']:,} training events, fit {fit_s:.2f} s, {valid}"
    )
    return 0
