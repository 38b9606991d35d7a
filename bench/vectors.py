"""Word-vector benchmarks: batched analogy evaluation and nearest-neighbour queries,
diaphane.vectors against gensim's KeyedVectors on the same vectors.

Usage: ``python bench/vectors.py [--runs N] [--dim D]``.

The vectors: 10,000 words x D dims (default 100), every word of the Google analogy
questions among them, built so that about half the questions are answered right
(each section's pairs share an offset, plus noise). Everything runs on one thread.
Rows:

- all 19,544 Google questions on the 10k vocabulary, 3CosAdd: ``evaluate_analogies``
  against gensim's ``evaluate_word_analogies`` (both parse the file each run; the
  accuracies must agree and are checked);
- the same by 3CosMul (gensim's evaluator has no 3CosMul: no peer);
- 1,000 nearest-neighbour queries (top 10 by cosine): one batched ``nearest`` call
  against 1,000 ``most_similar`` calls, and one query against one.

Writes ``bench/results/vectors.json`` and regenerates ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # standard library only, so threads can be pinned before NumPy loads

common.pin_single_thread()

import numpy as np  # noqa: E402

from diaphane.vectors import WordVectors, dataset_path, evaluate_analogies  # noqa: E402
from diaphane.vectors.evaluate import _question_table  # noqa: E402
from diaphane.vectors.neighbours import most_similar, nearest  # noqa: E402

N_WORDS = 10_000
N_QUERIES = 1_000


def analogy_vectors(n_words: int, dim: int, noise: float = 1.2, seed: int = 0) -> WordVectors:
    """Every Google-question word plus random fillers; each section's pairs share an offset."""
    rng = np.random.default_rng(seed)
    vec: dict[str, np.ndarray] = {}
    offset = np.zeros(dim)
    for line in dataset_path("google").read_text().splitlines():
        if line.startswith(": "):
            offset = rng.normal(size=dim) * 2
            continue
        a, b, c, d = line.lower().split()
        for x, y in ((a, b), (c, d)):
            vec.setdefault(x, rng.normal(size=dim))
            vec.setdefault(y, vec[x] + offset + noise * rng.normal(size=dim))
    words = list(vec) + [f"w{i}" for i in range(n_words - len(vec))]
    matrix = np.concatenate(
        [np.stack(list(vec.values())), rng.normal(size=(n_words - len(vec), dim)) * 1.5]
    )
    order = rng.permutation(n_words)
    return WordVectors([words[i] for i in order], matrix[order])


def bench_analogies(wv: WordVectors, runs: int) -> list[dict]:
    kv = wv.to_gensim()
    path = str(dataset_path("google"))

    def ours(method: str):
        _question_table.cache_clear()  # parse the file each run, as gensim does
        return evaluate_analogies(wv, path, method, restrict=N_WORDS)

    add, mul = ours("3cosadd"), ours("3cosmul")
    gensim_score = kv.evaluate_word_analogies(path, restrict_vocab=N_WORDS)[0]
    if add.accuracy != gensim_score:
        raise SystemExit(f"accuracies differ: ours {add.accuracy}, gensim {gensim_score}")
    print(f"3CosAdd accuracy {add.accuracy:.4f} (gensim {gensim_score:.4f}), "
          f"3CosMul {mul.accuracy:.4f}, {add.total} questions")  # fmt: skip
    t = common.interleaved(
        {
            "add": lambda: ours("3cosadd"),
            "gensim": lambda: kv.evaluate_word_analogies(path, restrict_vocab=N_WORDS),
        },
        runs=runs,
        warmup=0,
    )
    t_mul = common.interleaved({"mul": lambda: ours("3cosmul")}, runs=runs)["mul"]
    what = f"{add.total:,} analogy questions, |V| = {N_WORDS:,}, d = {wv.dim}"
    return [
        common.row(
            f"{what}, 3CosAdd", t["add"], t["gensim"], "gensim evaluate_word_analogies", "s", runs
        ),
        common.row(f"{what}, 3CosMul", t_mul, None, "(gensim: 3CosAdd only)", "s", runs),
    ]


def bench_neighbours(wv: WordVectors, runs: int) -> list[dict]:
    kv = wv.to_gensim()
    kv.fill_norms()
    rng = np.random.default_rng(1)
    ids = rng.choice(len(wv), size=N_QUERIES, replace=False)
    words = [wv.words[i] for i in ids]

    def ours_batch():
        return nearest(wv, wv.matrix[ids], k=11)  # 11: each word finds itself first

    def gensim_loop():
        return [kv.most_similar(w, topn=10) for w in words]

    ours_ids, _ = ours_batch()
    theirs = gensim_loop()
    agree = np.mean(
        [
            [wv.words[j] for j in row[1:]] == [w for w, _ in t]
            for row, t in zip(ours_ids, theirs, strict=True)
        ]
    )
    print(f"neighbour lists identical to gensim's for {agree:.1%} of {N_QUERIES} queries")
    t = common.interleaved({"ours": ours_batch, "gensim": gensim_loop}, runs=runs)
    one = common.interleaved(
        {
            "ours": lambda: most_similar(wv, words[0], k=10),
            "gensim": lambda: kv.most_similar(words[0], topn=10),
        },
        runs=5 * runs,
    )
    what = f"|V| = {N_WORDS:,}, d = {wv.dim}, top 10 by cosine"
    return [
        common.row(
            f"{N_QUERIES:,} neighbour queries, {what} (batched vs looped)",
            t["ours"], t["gensim"], "gensim most_similar x 1000", "s", runs,
        ),
        common.row(
            f"1 neighbour query, {what}",
            one["ours"], one["gensim"], "gensim most_similar", "s", 5 * runs,
        ),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per median")
    parser.add_argument("--dim", type=int, default=100, help="vector dimensions (default 100)")
    args = parser.parse_args(argv)
    machine = common.machine_info()
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['blas']}")
    t0 = time.perf_counter()
    wv = analogy_vectors(N_WORDS, args.dim)
    print(f"{wv} built in {time.perf_counter() - t0:.1f} s")
    sections = [
        ("a. analogy evaluation, all Google questions", bench_analogies(wv, args.runs)),
        ("b. nearest neighbours", bench_neighbours(wv, args.runs)),
    ]
    for title, rows in sections:
        common.print_rows(title, rows)
    command = "python bench/vectors.py"
    if args.runs != 3 or args.dim != 100:
        command += f" --runs {args.runs} --dim {args.dim}"
    rows = [r for _, rows in sections for r in rows]
    path = common.write_result("vectors", rows, command=command, machine=machine)
    import make_table

    print(f"\nwrote {path} and {make_table.write_markdown()}")


if __name__ == "__main__":
    main()
