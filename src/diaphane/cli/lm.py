"""The language-model commands shared by every kind (n-gram, NPLM): ``perplexity``,
``next`` and ``generate``, and the corpus-split options that ``train`` uses too.

A model folder's ``config.json`` names its kind; :func:`load_language_model` opens
any of them, and each model offers ``score_sentences``, ``next_words`` and ``generate``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from diaphane.cli import UsageError
from diaphane.cli.options import check_memory, integer, real

MAX_LENGTH = 1_000_000  # words ``generate`` samples at most


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("perplexity", help="perplexity of a model on a corpus split")
    p.add_argument("model", help="a model folder")
    p.add_argument("--corpus", help="corpus name or path (default: the one it was trained on)")
    p.add_argument("--split", choices=("train", "valid", "test"), default="test")
    p.add_argument(
        "--mix",
        metavar="MODEL",
        help="also score the mixture with another model (Bengio et al.'s NPLM + trigram)",
    )
    p.add_argument("--mix-weight", type=real(0, 1), default=0.5,
                   help="the other model's weight, in [0, 1] (default 0.5)")  # fmt: skip
    split_args(p, defaults_from_model=True)
    p.set_defaults(func=_perplexity)

    p = subparsers.add_parser("next", help="table of likeliest next words after a context")
    p.add_argument("model", help="a model folder")
    p.add_argument("context", help='the context words, e.g. "the fat"')
    p.add_argument("-k", type=integer(), default=10, help="how many words (default 10)")
    p.set_defaults(func=_next)

    p = subparsers.add_parser("generate", help="sample text from a language model")
    p.add_argument("model", help="a model folder")
    p.add_argument("--prompt", default="", help="words to continue")
    p.add_argument("--length", type=integer(1, MAX_LENGTH), default=20,
                   help="most words to sample (default 20)")  # fmt: skip
    p.add_argument("--temperature", type=real(0, low_open=True), default=1.0,
                   help="sampling temperature, above 0 (default 1)")  # fmt: skip
    p.add_argument("--seed", type=integer(0), default=0)
    p.set_defaults(func=_generate)


def load_language_model(path: str | Path) -> Any:
    """The language model in a folder, whatever its kind (``config.json`` says which).

    Raises:
        ModelFileError: the folder is missing or damaged.
        UsageError: it holds a model that is not a language model.
    """
    from diaphane.nn.model_folder import folder_kind, read_config

    kind = folder_kind(read_config(path))
    if kind == "ngram":
        from diaphane.models.ngram import load_ngram

        return load_ngram(path)
    if kind == "nplm":
        from diaphane.models.nplm import NPLM

        return NPLM.load(path)
    raise UsageError(
        f"{Path(path) / 'config.json'} says {path} holds a {kind or 'unknown'!r} model, which is "
        "not a language model; use a folder from `diaphane train ngram` or `train nplm`."
    )


def split_args(p: argparse.ArgumentParser, defaults_from_model: bool = False) -> None:
    default = None if defaults_from_model else "auto"
    p.add_argument(
        "--scheme",
        choices=("auto", "bengio", "documents"),
        default=default,
        help="bengio: 800k/200k/rest words in corpus order (Brown's default); "
        "documents: 80/10/10%% of documents, shuffled with seed 0",
    )
    p.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="treat each split as one word stream, no sentence markers "
        "(Bengio's protocol; default on with --scheme bengio)",
    )
    p.add_argument(
        "--min-count",
        type=integer(),
        default=None,
        help="rarer words become <unk> (default 4, counted over the whole corpus)",
    )


def load_split(corpus_name: str, scheme: str, min_count: int) -> tuple[Any, Any, Any, str]:
    from diaphane.text import CorpusError, Vocabulary, bengio_split, load_corpus, split_documents

    try:
        corpus = load_corpus(corpus_name)
        if scheme == "auto":
            scheme = "bengio" if corpus.name == "brown" else "documents"
        if scheme == "bengio":
            split, vocab = bengio_split(corpus, rare=min_count - 1)
        else:
            split = split_documents(corpus.documents())
            vocab = Vocabulary.build(split.train, min_count=min_count)
        if not any(split.train):
            raise CorpusError(f"corpus {corpus_name} has no training text")
    except (CorpusError, FileNotFoundError) as err:
        raise UsageError(str(err)) from err
    return corpus, split, vocab, scheme


def streamed(sentences: list[list[str]], stream: bool) -> list[list[str]]:
    return [[w for s in sentences for w in s]] if stream else sentences


def check_vocabulary(vocab: Any, corpus: str, min_count: int) -> None:
    """Refuse a vocabulary of fewer than two real words: a model of it learns nothing."""
    from diaphane.text import CorpusError
    from diaphane.text.vocab import BOS, EOS, UNK

    n = sum(w not in (UNK, BOS, EOS) for w in vocab.words)
    if n >= 2:
        return
    if min_count > 1:
        raise CorpusError(
            f"only {n} word(s) of {corpus} occur at least --min-count {min_count} times, too few "
            "for a model; lower --min-count, or give it more text."
        )
    raise CorpusError(
        f"{corpus} has too little text: {n} distinct word(s) in its training part; give it more."
    )


def check_order(order: int, sentences: list[list[str]], corpus: str, bytes_per_token: int) -> None:
    """Refuse an ``--order`` longer than the whole training text, or one whose windows
    (``bytes_per_token`` for each word) would not fit in memory."""
    tokens = sum(len(s) + 1 for s in sentences)  # each sentence's words and its </s>
    if order > tokens + 1:
        raise UsageError(
            f"--order {order} is longer than all of {corpus}'s training text ({tokens:,} "
            "words and sentence ends); use a much smaller --order (3 to 5 is usual)."
        )
    n_bytes = tokens * bytes_per_token + len(sentences) * order * 4
    check_memory(f"The {order}-word windows of {tokens:,} words", n_bytes, "--order")


def _perplexity(args: argparse.Namespace) -> int:
    lm = load_language_model(args.model)
    meta = lm.meta
    corpus = args.corpus or meta.get("corpus", "brown")
    scheme = args.scheme or meta.get("scheme", "auto")
    min_count = args.min_count or meta.get("min_count", 4)
    stream = meta.get("stream", False) if args.stream is None else args.stream
    _, split, _, _ = load_split(corpus, scheme, min_count)
    part = streamed(split[args.split], stream)
    if not any(part):
        raise UsageError(
            f"the {args.split} split of {corpus} is empty (too few documents to fill it); "
            "use --split train, or a corpus with more documents."
        )
    total, n = lm.score_sentences(part)
    print(f"{corpus} {args.split}: perplexity {math.exp(-total / n):.2f} over {n:,} events")
    if args.mix:
        from diaphane.autodiff.core import DiaphaneError
        from diaphane.models.mixture import mixture_perplexity

        other = load_language_model(args.mix)
        weights = [1.0 - args.mix_weight, args.mix_weight]
        try:
            alone = other.perplexity(part)
            mixed = mixture_perplexity([lm, other], part, weights)
        except DiaphaneError as err:
            raise UsageError(str(err)) from err
        print(f"{corpus} {args.split}: {args.mix} alone: perplexity {alone:.2f}")
        mix = f"{weights[0]:g} / {weights[1]:g}"
        print(f"{corpus} {args.split}: mixture {mix}: perplexity {mixed:.2f}")
    return 0


def _known_words(lm: Any, text: str, what: str) -> list[str]:
    words = text.split()
    if words and all(w not in lm.vocab or w == "<unk>" for w in words):
        raise UsageError(
            f"every word of the {what} {text!r} is unknown to the model; "
            "try words from its training corpus"
        )
    return words


def _next(args: argparse.Namespace) -> int:
    lm = load_language_model(args.model)
    context = _known_words(lm, args.context, "context")
    print(f"{'rank':>4}  {'word':<20} {'p':>10}")
    for rank, (word, p) in enumerate(lm.next_words(context, args.k), 1):
        print(f"{rank:>4}  {word:<20} {p:>10.6f}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    lm = load_language_model(args.model)
    prompt = _known_words(lm, args.prompt, "prompt")
    words = lm.generate(prompt, args.length, args.seed, args.temperature)
    print(" ".join([*prompt, *words]))
    return 0
