"""``--memory``, ``--tmp-dir`` and ``--dask`` of ``diaphane train ngram|glove|ppmi``.

Counting a corpus past memory (streamed within a bound, partial counts spilled to
disk and merged) or past one machine (on a Dask cluster), with the counts the
in-memory path makes, to the bit. :func:`add_scale_args` adds the options to a
``train`` command; :func:`scaled` says whether a run asked for them, and
:func:`count_cooccurrences` and :func:`train_ngram` do the counting then. What a
user runs on a real cluster, step by step: ``docs/scale.md``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

from diaphane.cli.lm import check_vocabulary
from diaphane.errors import CorpusError, UsageError

log = logging.getLogger(__name__)

GUIDE = "docs/scale.md"
MIN_DATA = 16 << 20  # the least counting works in, beyond what the process holds already


def memory_size(text: str) -> int:
    """An argparse type: bytes from ``2G``, ``512M``, ``1.5GiB``..."""
    from diaphane.text.spill import parse_memory

    try:
        size = parse_memory(text)
    except UsageError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if size <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return size


def add_scale_args(p: argparse.ArgumentParser) -> None:
    """The scale options, in a group of their own."""
    g = p.add_argument_group(
        "scale", f"corpora past memory or past one machine; the counts are the same (see {GUIDE})"
    )
    g.add_argument("--memory", type=memory_size, default=None, metavar="SIZE",
                   help="stream the corpus within this memory bound (e.g. 2G): partial counts "
                   "spill to disk as sorted shards and are merged")  # fmt: skip
    g.add_argument("--tmp-dir", default=None, metavar="DIR",
                   help="where the spilled shards go (default: a temporary folder beside --out, "
                   "removed afterwards)")  # fmt: skip
    g.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="count on a Dask cluster: a scheduler's tcp://HOST:8786, or 'local' for "
                   "a 2-worker cluster on this machine (pip install 'diaphane[dask]')")  # fmt: skip


def scaled(args: argparse.Namespace) -> bool:
    """Whether the run asked to stream or to count on a cluster."""
    if getattr(args, "memory", None) is not None and getattr(args, "dask", None) is not None:
        raise UsageError(
            "--memory bounds counting on this machine and --dask counts on a cluster; "
            f"give one of them (see {GUIDE})"
        )
    memory, dask = getattr(args, "memory", None), getattr(args, "dask", None)
    if getattr(args, "tmp_dir", None) is not None and memory is None and dask is None:
        raise UsageError("--tmp-dir is where --memory spills; add --memory SIZE")
    return memory is not None or dask is not None


def data_budget(bound: int, option: str) -> int:
    """The bytes counting may hold under a bound on the whole process: the bound less
    what the process holds already (the interpreter, NumPy, SciPy, the compiled kernels)."""
    import diaphane.text.cooccur  # noqa: F401  (loads the kernels, so they are counted)
    from diaphane.cli.options import human_bytes
    from diaphane.text.spill import current_rss

    held = current_rss()
    if bound - held < MIN_DATA:
        raise UsageError(
            f"--memory {option} is too little: diaphane holds {human_bytes(held)} before it "
            f"counts anything and needs {human_bytes(MIN_DATA)} more; give at least "
            f"--memory {-(-(held + MIN_DATA) // 2**20)}M"
        )
    log.info("memory bound %s: %s for counting", option, human_bytes(bound - held))
    return bound - held


def _connect(args: argparse.Namespace):
    from diaphane.text.dask_count import connect

    return connect(args.dask)


# ----------------------------------------------------------------------------- co-occurrences


def count_cooccurrences(args: argparse.Namespace) -> tuple[Any, Any, dict]:
    """``train glove|ppmi``'s vocabulary, matrix and description, streamed or on Dask."""
    start = time.perf_counter()
    options = dict(
        window=args.window, symmetric=args.symmetric, distance_weighting=args.distance_weighting,
        min_count=args.min_count, max_size=args.max_vocab, unit=args.unit,
        lowercase=args.lowercase, on_vocab=lambda vocab, tokens: _check_count(args, vocab, tokens),
    )  # fmt: skip
    try:
        if args.dask is not None:
            from diaphane.text.dask_count import dask_cooccurrence

            with _connect(args) as client:
                vocab, X, done = dask_cooccurrence(client, args.corpus, **options)
            how = f"on Dask at {args.dask}, {done['parts']} parts"
            fingerprints, tokens = done["fingerprints"], done["tokens"]
        else:
            from diaphane.text.cooccur_stream import stream_cooccurrence

            budget = data_budget(args.memory, _size_text(args.memory))
            vocab, X, stats = stream_cooccurrence(
                args.corpus, budget, near=args.out, tmp_dir=args.tmp_dir, **options
            )
            how = f"streamed in {stats.chunks} chunks, {stats.shards} shards spilled"
            fingerprints, tokens = stats.fingerprints, stats.tokens
    except (CorpusError, FileNotFoundError) as err:
        raise UsageError(str(err)) from err
    from diaphane.cli.glove import training_data  # glove imports this module

    print(f"counted {X.nnz:,} co-occurrences of {len(vocab) - 1:,} words in "
          f"{time.perf_counter() - start:.2f} s ({how})", file=sys.stderr)  # fmt: skip
    return vocab, X, training_data(args, fingerprints, tokens, X)


def _check_count(args: argparse.Namespace, vocab, tokens: int) -> None:
    """The in-memory path's refusals, made before the counting pass."""
    if len(vocab) < 3:
        raise UsageError(
            f"only {len(vocab) - 1} words of {args.corpus} occur {args.min_count}+ times "
            f"(and --max-vocab is {args.max_vocab}); lower --min-count, raise --max-vocab or "
            "use a bigger corpus"
        )
    if args.window >= tokens:
        raise UsageError(
            f"--window {args.window} is longer than all of {args.corpus} ({tokens:,} words); "
            "use a window of a few words (5 to 12 is usual)."
        )


def _size_text(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:g}G" if n_bytes >= 2**30 else f"{n_bytes / 2**20:g}M"


# ----------------------------------------------------------------------------- n-grams


def train_ngram(args: argparse.Namespace, min_count: int) -> int:
    """``train ngram`` streamed or on Dask: fit, score the validation text, save, report."""
    from diaphane.models.ngram_scale import NgramJob, fit_on_dask, fit_streamed

    job = NgramJob(args.corpus, args.order, args.smoothing, args.k, min_count, args.scheme,
                   args.stream)  # fmt: skip
    start = time.perf_counter()
    try:
        if args.dask is not None:
            with _connect(args) as client:
                fit = fit_on_dask(job, client, args.out, args.tmp_dir)
        else:
            budget = data_budget(args.memory, _size_text(args.memory))
            fit = fit_streamed(job, budget, args.out, args.tmp_dir)
    except (CorpusError, FileNotFoundError) as err:
        raise UsageError(str(err)) from err
    check_vocabulary(fit.lm.vocab, args.corpus, min_count)
    fit_s = time.perf_counter() - start
    valid = "no validation text"
    if fit.valid is not None:
        valid = f"valid perplexity {fit.valid_perplexity:.1f}"
    fit.lm.save(args.out, force=args.force)
    print(
        f"saved {args.out}: order {args.order} {args.smoothing}, |V| {len(fit.lm.vocab)}, "
        f"{fit.lm.meta['tokens']:,} training events, fit {fit_s:.2f} s, {valid}"
    )
    return 0
