"""Word-vector commands: ``neighbors``, ``analogy``, ``evaluate`` and ``map``.

Each takes MODEL: a model folder written by ``diaphane train`` (glove, ppmi,
sentiment, nplm) or a word2vec/GloVe vectors file. ``neighbors`` and ``map`` may
leave it out and use the sentiment network shipped with diaphane: for
``neighbors`` a first argument that is an existing folder or file is the model,
anything else a word. Results go to stdout as tab-separated lines (or CSV/JSON
for ``map``) so they can be piped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from diaphane.cli import UsageError
from diaphane.cli.options import add_force, check_out_file, integer

MODEL_HELP = "model folder (glove, ppmi, sentiment, nplm) or word2vec/GloVe vectors file"
DEFAULT_HELP = MODEL_HELP + " (default: the shipped sentiment network)"
FIGURE_SUFFIXES = (".html", ".svg", ".png")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "neighbors", aliases=["neighbours"], help="nearest words to a word",
        description="The k nearest words to WORD by cosine, dot product or euclidean distance.",
    )  # fmt: skip
    p.add_argument("model", metavar="MODEL", nargs="?", default=None, help=DEFAULT_HELP)
    p.add_argument("words", metavar="WORD", nargs="+", help="query word(s)")
    p.add_argument("--metric", choices=("cosine", "dot", "euclidean"), default="cosine")
    p.add_argument("-k", type=integer(), default=10, help="how many neighbours (default 10)")
    p.set_defaults(func=_neighbors)

    p = subparsers.add_parser(
        "analogy", help="a is to b as c is to ?",
        description="Solve A : B :: C : ? (e.g. paris france london -> england).",
    )  # fmt: skip
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("c", metavar="C")
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd")
    p.add_argument("-k", type=integer(), default=5, help="how many answers (default 5)")
    p.add_argument("--restrict", type=integer(), default=None,
                   help="answer from the first N words only")  # fmt: skip
    p.set_defaults(func=_analogy)

    p = subparsers.add_parser(
        "evaluate", help="word-vector benchmarks (WordSim353, SimLex-999, analogies)",
        description="Spearman's rho on WordSim353 and SimLex-999, and accuracy on the Google "
        "analogy questions by 3CosAdd and 3CosMul, with out-of-vocabulary counts.",
    )  # fmt: skip
    p.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--restrict", type=integer(), default=30_000,
                   help="analogies: search the first N words (default 30000)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_evaluate)

    p = subparsers.add_parser(
        "map", help="2-D map of word vectors (PCA, t-SNE, UMAP)",
        description="Place words in the plane; write CSV/JSON coordinates or a figure.",
    )  # fmt: skip
    p.add_argument("model", metavar="MODEL", nargs="?", default=None, help=DEFAULT_HELP)
    p.add_argument("--method", choices=("pca", "tsne", "umap"), default="pca")
    p.add_argument("--out", default=None,
                   help="file to write: .csv or .json (coordinates), .html/.svg/.png (figure); "
                   "default: CSV on stdout")  # fmt: skip
    p.add_argument("-n", type=integer(), default=500, help="how many words (default 500)")
    p.add_argument("--near", metavar="WORD", default=None, help="map WORD and its neighbours")
    p.add_argument("--select", choices=("frequent", "extreme"), default="frequent",
                   help="frequent words, or the highest- and lowest-scoring ones")  # fmt: skip
    p.add_argument("--color", choices=("auto", "sentiment", "score", "none"), default="auto",
                   help="colour by the model's per-word score (the sentiment log-ratio); "
                   "auto: when the model has one")  # fmt: skip
    p.add_argument("--seed", type=integer(0), default=0, help="t-SNE/UMAP seed (default 0)")
    add_force(p, files=True)
    p.set_defaults(func=_map)


def _load(path: str | None) -> Any:
    from diaphane.vectors import load_vectors

    if path is None:
        from diaphane.models.sentiment import default_network

        return default_network().word_vectors()
    return load_vectors(path)


def _model_and_words(model: str | None, words: list[str]) -> tuple[str | None, list[str]]:
    """``[MODEL] WORD...``: argparse gives MODEL the first of two or more inputs; it is a
    word unless it is an existing folder or file, or looks like a path (so a mistyped
    path is reported as a missing model, not looked up as a word)."""
    if model is None:
        if _is_path(words[0]):
            raise UsageError(f"{words[0]} is a model; name the word(s) to look up after it.")
        return None, words
    return (model, words) if _is_path(model) else (None, [model, *words])


def _is_path(text: str) -> bool:
    return Path(text).exists() or "/" in text or os.sep in text


def _neighbors(args: argparse.Namespace) -> int:
    from diaphane.vectors import most_similar

    model, words = _model_and_words(args.model, args.words)
    wv = _load(model)
    for i, word in enumerate(words):
        if len(words) > 1:
            print(("\n" if i else "") + f"# {word}")
        for other, score in most_similar(wv, word, k=args.k, metric=args.metric):
            print(f"{other}\t{score:.4f}")
    return 0


def _analogy(args: argparse.Namespace) -> int:
    from diaphane.vectors import analogy

    wv = _load(args.model)
    answers = analogy(wv, args.a, args.b, args.c, k=args.k, method=args.method,
                      restrict=args.restrict)  # fmt: skip
    for word, score in answers:
        print(f"{word}\t{score:.4f}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from diaphane.vectors import evaluate

    wv = _load(args.model)
    rows = _table_rows(evaluate(wv, restrict=args.restrict))
    if args.json:
        print(json.dumps({"model": args.model, "words": len(wv), "dim": wv.dim, "rows": rows}))
        return 0
    print(f"# {args.model}: {len(wv)} words x {wv.dim} dims")
    print(f"{'benchmark':<22}{'score':>8}{'used':>8}{'oov':>8}{'oov %':>8}")
    for r in rows:
        score = "n/a" if r["score"] != r["score"] else f"{r['score']:.3f}"
        print(f"{r['benchmark']:<22}{score:>8}{r['used']:>8}{r['oov']:>8}{r['oov_pct']:>7.1f}%")
    return 0


def _table_rows(results: dict) -> list[dict]:
    rows = []
    for key, label in (("wordsim353", "WordSim353 rho"), ("simlex999", "SimLex-999 rho")):
        r = results[key]
        rows.append({"benchmark": label, "score": r.spearman, "used": r.pairs, "oov": r.oov,
                     "oov_pct": 100 * r.oov_share})  # fmt: skip
    for method, r in results["analogy"].items():
        name = {"3cosadd": "3CosAdd", "3cosmul": "3CosMul"}[method]
        rows.append({"benchmark": f"analogy {name} acc", "score": r.accuracy, "used": r.total,
                     "oov": r.oov, "oov_pct": 100 * r.oov_share})  # fmt: skip
    return rows


def _map(args: argparse.Namespace) -> int:
    from diaphane.vectors import extreme_words, make_map, near_words, top_words

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix not in (".csv", ".json", *FIGURE_SUFFIXES):
        raise UsageError(f"--out {out}: write .csv, .json, .html, .svg or .png.")
    check_out_file(out, args.force, inputs=(args.model,))
    wv = _load(args.model)
    if args.color in ("sentiment", "score") and wv.scores is None:
        raise UsageError(
            f"{args.model} carries no per-word scores to colour by; use a sentiment model "
            "or --color none."
        )
    if args.near:
        chosen = near_words(wv, args.near, args.n)
    elif args.select == "extreme":
        chosen = extreme_words(wv, args.n)
    else:
        chosen = top_words(wv, args.n)
    if args.color == "none":
        chosen.scores = None
    m = make_map(chosen, args.method, seed=args.seed)
    if out is None:
        sys.stdout.write(m.to_csv())
    elif out.suffix in FIGURE_SUFFIXES:
        _write_figure(m, chosen, out)
    else:
        m.save(out)
    if out is not None:
        print(f"wrote {len(m.words)} words ({args.method}) to {out}", file=sys.stderr)
    return 0


def _write_figure(m: Any, chosen: Any, out: Path) -> None:
    try:
        from diaphane.viz.embedding_map import EmbeddingMap
    except ImportError as err:  # the figures package is optional in a trimmed install
        raise UsageError(
            f"Cannot draw {out.suffix} figures here ({err}); write .csv or .json."
        ) from err
    score_name = "positive/negative log-ratio" if m.scores is not None else "score"
    fig = EmbeddingMap.from_map2d(m, vectors=chosen.matrix, score_name=score_name)
    if out.suffix == ".html":
        fig.to_html(out)
    elif out.suffix == ".svg":
        fig.to_svg(out)
    else:
        fig.to_png(out)
