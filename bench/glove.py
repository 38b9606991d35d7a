"""GloVe and PPMI + SVD on wiki+brown: counting time, training speed, and vector quality
against gensim's skip-gram (defaults, 2 workers) run in the same script.

Usage: ``python bench/glove.py PART [NAME ...]`` with PART one of

- ``count``: co-occurrence counting of wiki+brown (window 10 and 15);
- ``speed``: GloVe updates/s at 50 dimensions, plain engine gathers vs the fused
  ``row_dot`` primitive, two batch sizes (one epoch each, wall and CPU time);
- ``gensim``: gensim Word2Vec skip-gram defaults (the time and scores to beat);
- ``race NAME``: skip-gram defaults and GloVe NAME, three times each, interleaved
  (so both see the same machine load): median times counting included, and their ratio;
- ``glove NAME...`` / ``ppmi NAME...``: train the named settings (see ``GLOVE``,
  ``PPMI``) and evaluate them (WS353 and SimLex-999 Spearman rho, Google analogies
  by 3CosAdd restricted to the 30,000 most frequent words, gensim's evaluators on
  the files in its wheel).

Each part merges its rows into ``bench/results/glove.json`` (so each run stays
under 10 minutes on a busy machine; rows kept from earlier runs keep their own date);
quality rows compare with the skip-gram row measured by ``gensim`` (run it first).
The README setting's scores and race, and the counting at window 10, are the claims;
the other settings are sweeps, and rows against a goal or a quoted figure references.
Corpus: the gensim-wheel Wikipedia sample plus Brown, lower-cased, words only, min count 5.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # standard library only, so threads can be pinned before NumPy loads

common.pin_single_thread()

import numpy as np  # noqa: E402

from diaphane.models.glove import GloVeConfig, train_glove  # noqa: E402
from diaphane.models.ppmi import PPMIConfig, fit_ppmi  # noqa: E402
from diaphane.nn.train import TrainConfig  # noqa: E402
from diaphane.text.cooccur import (  # noqa: E402
    cooccurrence_matrix,
    corpus_sequences,
    encode_sequences,
)

CORPUS = "wiki+brown"
RESULT = common.RESULTS_DIR / "glove.json"
SKIPGRAM = "gensim Word2Vec skip-gram, defaults, 2 workers"
README_SETTING = "pmi-svd-w12-d100-x100-e2-os100"  # train glove's defaults
# One vocabulary for every model, so the share of pairs out of it is no comparison.
OOV_NOTE = "pairs with a word outside the vocabulary, the same for every model here"

# The README's setting: PMI target, a near-exact SVD start, Stanford's x_max, 2 epochs.
PMI_SVD_E2_OS100 = {"dim": 100, "x_max": 100, "epochs": 2, "target": "pmi", "init": "svd",
                    "svd_oversample": 100}  # fmt: skip
# name: (counting options, GloVe options)
GLOVE = {
    "c-demo": ({"window": 15}, {"dim": 50, "x_max": 10, "epochs": 15, "batch_size": 262144}),
    "stanford": ({"window": 10}, {"dim": 100, "x_max": 100, "epochs": 25, "batch_size": 262144}),
    "w10-d100-x10-e30": ({"window": 10}, {"dim": 100, "x_max": 10, "epochs": 30}),
    "w5-d100-x5-e30": ({"window": 5}, {"dim": 100, "x_max": 5, "epochs": 30}),
    "pmi-w10-d100-x10-e25": (
        {"window": 10},
        {"dim": 100, "x_max": 10, "epochs": 25, "target": "pmi"},
    ),
    "pmi-svd-w10-d100-x10-e25": (
        {"window": 10},
        {"dim": 100, "x_max": 10, "epochs": 25, "target": "pmi", "init": "svd"},
    ),
    "pmi-svd-w10-d100-x10-e5": (
        {"window": 10},
        {"dim": 100, "x_max": 10, "epochs": 5, "target": "pmi", "init": "svd"},
    ),
    "pmi-svd-w10-d100-x100-e2": (
        {"window": 10},
        {"dim": 100, "x_max": 100, "epochs": 2, "target": "pmi", "init": "svd"},
    ),
    "pmi-svd-w11-d100-x100-e2-os100": ({"window": 11}, PMI_SVD_E2_OS100),
    "pmi-svd-w12-d100-x100-e2-os100": ({"window": 12}, PMI_SVD_E2_OS100),
    "pmi-svd-w5-d100-x10-e5": (
        {"window": 5},
        {"dim": 100, "x_max": 10, "epochs": 5, "target": "pmi", "init": "svd"},
    ),
    "w10-doc-d100-x10-e30": (
        {"window": 10, "unit": "document"},
        {"dim": 100, "x_max": 10, "epochs": 30},
    ),
}
PPMI = {
    "w5-d100-p0.5": ({"window": 5, "distance_weighting": False}, {"dim": 100, "eig": 0.5}),
    "w5-d100-p0": ({"window": 5, "distance_weighting": False}, {"dim": 100, "eig": 0.0}),
    "w5-harmonic-d100-p0.5": ({"window": 5}, {"dim": 100, "eig": 0.5}),
    "w2-d100-p0.5": ({"window": 2, "distance_weighting": False}, {"dim": 100, "eig": 0.5}),
}

_cache: dict = {}


def sequences(unit: str = "sentence") -> list[list[str]]:
    if unit not in _cache:
        _cache[unit] = corpus_sequences(CORPUS, unit=unit)[0]
    return _cache[unit]


def counts(window: int = 10, unit: str = "sentence", distance_weighting: bool = True):
    vocab, ids = encode_sequences(sequences(unit), min_count=5)
    t0 = time.perf_counter()
    X = cooccurrence_matrix(ids, len(vocab), window, distance_weighting=distance_weighting)
    return vocab, ids, X, time.perf_counter() - t0


def evaluate(words: list[str], vectors: np.ndarray) -> dict[str, float]:
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(words, vectors.astype(np.float32))
    kv.fill_norms()
    kv.norms[kv.norms == 0] = 1.0  # words with no context at all: zero vectors
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))
    an = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
    return {"WS353 rho": ws[1][0], "WS353 OOV %": ws[2], "SimLex rho": sl[1][0],
            "SimLex OOV %": sl[2], "analogy acc.": an[0]}  # fmt: skip


# ----------------------------------------------------------------------------- result file


def merge_rows(rows: list[dict]) -> None:
    common.merge_result("glove", rows, command="python bench/glove.py PART [NAME ...]")
    common.print_rows("glove", rows)


def skipgram_scores() -> dict[str, float]:
    if not RESULT.exists():
        return {}
    rows = json.loads(RESULT.read_text())["rows"]
    return {r["what"].split(": ", 1)[1].replace("\u03c1", "rho"): r["ours"] for r in rows
            if r["what"].startswith(f"{SKIPGRAM}: ")}  # fmt: skip


def quality_rows(label: str, scores: dict, seconds: float, claim: bool = False) -> list[dict]:
    """Scores against skip-gram's (claims for the README setting; its time claim is the
    race); the OOV shares are skip-gram's too, so they are written only by ``gensim``."""
    peer, kind = skipgram_scores(), "claim" if claim else "sweep"
    rows = [common.row(f"{label}: {k}", v, peer.get(k), SKIPGRAM, k.split()[-1], 1, kind=kind)
            for k, v in scores.items() if "OOV" not in k]  # fmt: skip
    rows.append(common.row(f"{label}: training time", seconds, peer.get("training time"),
                           SKIPGRAM, "s", 1, kind="sweep"))  # fmt: skip
    return rows


# ----------------------------------------------------------------------------- parts


def part_count() -> None:
    from diaphane.text._cooccur_numpy import cooccurrence_numpy  # the path it replaced

    rows = []
    for window in (10, 15):
        # counts() runs the counter once first, so compiled code is loaded before timing.
        vocab, ids, _, _ = counts(window)
        times: dict[str, list[tuple[float, float]]] = {"kernel": [], "numpy": []}
        for _ in range(3):  # interleaved, so both paths see the same machine load
            for name, count in (("kernel", cooccurrence_matrix), ("numpy", cooccurrence_numpy)):
                t0, c0 = time.perf_counter(), time.process_time()
                X = count(ids, len(vocab), window)
                times[name].append((time.perf_counter() - t0, time.process_time() - c0))
        # Medians of (wall, CPU) seconds.
        ours, ref = (np.median(np.array(times[k]), axis=0) for k in ("kernel", "numpy"))
        what = (f"count {CORPUS} ({sum(map(len, ids)):,} tokens, |V| {len(vocab) - 1:,}), "
                f"window {window}: {X.nnz:,} non-zeros")  # fmt: skip
        rows.append(common.row(what, float(ours[0]), 2.0, "goal", "s", 3, kind="reference"))
        peer_name = "NumPy int64-key sort (CPU time)"
        kind = "claim" if window == 10 else "sweep"  # Stanford's window is the claim
        rows.append(common.row(f"{what}, CPU time vs the NumPy sort path", float(ours[1]),
                               float(ref[1]), peer_name, "s", 3, kind=kind))  # fmt: skip
    merge_rows(rows)


def part_speed() -> None:
    """GloVe updates/s at 50 d on one epoch (median of 3 runs; 1 run for the slow plain path).

    The plain engine gathers are the reference; the fused ``row_dot`` primitive runs on
    the compiled kernels with numba's default threads (all cores: 2 here), then on one.
    Rows give wall and CPU time (all threads); the load average says how busy the box was.
    """
    import os
    import statistics

    import numba

    vocab, _, X, _ = counts(15)
    peer = (3.4e6, "Stanford GloVe C, 2 threads (issue figure)")
    threads = numba.get_num_threads()
    # Compile (or load) the kernels before any timing.
    warm = GloVeConfig(dim=50, x_max=10, epochs=1, batch_size=X.nnz)
    train_glove(X, vocab, warm, train_config=TrainConfig(progress=False))
    loads, rows = [os.getloadavg()[0]], []
    cases = [(False, b, threads) for b in (65536, 262144)]
    cases += [(True, b, t) for t in sorted({threads, 1}, reverse=True) for b in (65536, 262144)]
    for fused, batch, n_threads in cases:
        numba.set_num_threads(n_threads)
        config = GloVeConfig(dim=50, x_max=10, epochs=1, batch_size=batch, fused=fused)
        walls, cpus = [], []
        for _ in range(3 if fused else 1):
            t0, c0 = time.perf_counter(), time.process_time()
            train_glove(X, vocab, config, train_config=TrainConfig(progress=False))
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        loads.append(os.getloadavg()[0])
        how = "fused row_dot primitive" if fused else "plain engine gathers"
        on = "" if n_threads == threads else f", {n_threads} thread{'s' * (n_threads > 1)}"
        for clock, times in (("wall", walls), ("CPU", cpus)):
            what = f"GloVe 50 d updates/s, {how}, batch {batch:,}{on} ({clock} time)"
            speed = X.nnz / statistics.median(times)
            # The peer is a figure quoted in the issue, not measured here.
            rows.append(common.row(what, speed, *peer, "1/s", len(times), kind="reference"))
    numba.set_num_threads(threads)
    load = f"GloVe speed runs: largest 1-min load average ({os.cpu_count()} cores)"
    rows.append(common.row(load, max(loads), None, "-", "", len(loads), kind="sweep"))
    merge_rows(rows)


def part_gensim() -> None:
    from gensim.models import Word2Vec

    sents = sequences()
    t0 = time.perf_counter()
    model = Word2Vec(sents, workers=2, seed=0)
    seconds = time.perf_counter() - t0
    scores = evaluate(list(model.wv.index_to_key), model.wv.vectors)
    rows = [common.row(f"{k} of the evaluation set ({OOV_NOTE})", v, None, "-", "%", 1,
                       kind="reference") if "OOV" in k else
            common.row(f"{SKIPGRAM}: {k}", v, None, "-", k.split()[-1], 1, kind="sweep")
            for k, v in scores.items()]  # fmt: skip
    rows.append(common.row(f"{SKIPGRAM}: training time", seconds, None, "-", "s", 1,
                           kind="sweep"))  # fmt: skip
    merge_rows(rows)


def run_glove(name: str):
    """Count and train GloVe NAME; returns the model and the seconds both took."""
    count_opts, glove_opts = GLOVE[name]
    vocab, _, X, count_s = counts(**count_opts)
    t0 = time.perf_counter()
    model, _ = train_glove(X, vocab, GloVeConfig(**glove_opts),
                           train_config=TrainConfig(progress=False))  # fmt: skip
    return model, time.perf_counter() - t0 + count_s


def glove_label(name: str) -> str:
    return f"GloVe {name} {json.dumps({**GLOVE[name][0], **GLOVE[name][1]})}"


def part_glove(name: str) -> None:
    model, seconds = run_glove(name)
    scores = evaluate(*model.vectors())
    merge_rows(quality_rows(glove_label(name), scores, seconds, claim=name == README_SETTING))


def part_race(name: str) -> None:
    import statistics

    from gensim.models import Word2Vec

    sents = sequences()
    run_glove(name)  # compiled kernels loaded and the corpus read before any timing
    ours, theirs = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        Word2Vec(sents, workers=2, seed=0)
        theirs.append(time.perf_counter() - t0)
        ours.append(run_glove(name)[1])
    what = f"{glove_label(name)}: median time, interleaved with skip-gram"
    kind = "claim" if name == README_SETTING else "sweep"
    merge_rows([common.row(what, statistics.median(ours), statistics.median(theirs),
                           SKIPGRAM, "s", 3, kind=kind)])  # fmt: skip


def part_ppmi(name: str) -> None:
    count_opts, ppmi_opts = PPMI[name]
    vocab, _, X, count_s = counts(**count_opts)
    t0 = time.perf_counter()
    model = fit_ppmi(X, vocab, PPMIConfig(**ppmi_opts))
    seconds = time.perf_counter() - t0 + count_s
    label = f"PPMI+SVD {name} {json.dumps({**count_opts, **ppmi_opts})}"
    merge_rows(quality_rows(label, evaluate(*model.vectors()), seconds))


def main(argv: list[str]) -> None:
    logging.getLogger("gensim").setLevel(logging.ERROR)
    part, names = argv[0], argv[1:]
    named = {"glove": part_glove, "ppmi": part_ppmi, "race": part_race}
    if part in named:
        for name in names or list(PPMI if part == "ppmi" else GLOVE):
            named[part](name)
    else:
        {"count": part_count, "speed": part_speed, "gensim": part_gensim}[part]()


if __name__ == "__main__":
    main(sys.argv[1:] or ["count"])
