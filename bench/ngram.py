"""Benchmark: n-gram LMs on Brown with Bengio's split — ours against NLTK's nltk.lm.

Run: ``DIAPHANE_DATA=../shared/data python bench/ngram.py``. Prints a table and
writes bench/results/ngram.json. Speed rows use a slice NLTK can finish in about
half a minute; perplexity rows use the full split (Bengio et al. 2003, Table 1).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from diaphane.models.ngram import NgramLM
from diaphane.text import bengio_split, load_corpus, pad_sentences, windows

BENGIO_TABLE1 = {3: 323.0, 4: 321.0, 5: 321.0}  # modified KN back-off, their |V| = 16,383
RUNS = 3


def _median_time(fn, runs=RUNS):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _nltk_kn(train, vocab, order):
    from nltk.lm import KneserNeyInterpolated

    stream = vocab.decode(pad_sentences(train, vocab, order))
    grams = [
        tuple(stream[i - k + 1 : i + 1])
        for i in range(len(stream))
        if stream[i] != "<s>"
        for k in range(1, order + 1)
    ]
    lm = KneserNeyInterpolated(order)
    lm.fit([grams], stream)
    return lm


def speed_rows(split, vocab, nltk_train_words=20_000, nltk_score=1_000):
    rows = []
    flat = lambda ss: [[w for s in ss for w in s]]
    train = flat(split.train)
    fit_s, lm = _median_time(lambda: NgramLM(3, "kn").fit(train, vocab))
    ctx, tgt = windows(pad_sentences(flat(split.test), vocab, 3), 3, vocab.bos_id)
    score_s, _ = _median_time(lambda: lm.logprob_ids(ctx, tgt))
    ours_rate = len(tgt) / score_s
    # NLTK on a slice (it is ~100 n-grams/s): fit on the first words, score the first test n-grams.
    small = [train[0][:nltk_train_words]]
    nltk_fit, nlm = _median_time(lambda: _nltk_kn(small, vocab, 3), runs=1)
    ours_fit_small, small_lm = _median_time(
        lambda: NgramLM(3, "kn", discounts=[0, 0.1, 0.1]).fit(small, vocab)
    )
    words = vocab.decode(tgt[:nltk_score])
    contexts = [vocab.decode(c) for c in ctx[:nltk_score]]
    t = time.perf_counter()
    for w, c in zip(words, contexts, strict=True):
        nlm.score(w, c)
    nltk_rate = nltk_score / (time.perf_counter() - t)
    ours_small_s, _ = _median_time(lambda: small_lm.logprob_ids(ctx[:nltk_score], tgt[:nltk_score]))
    ours_small_rate = nltk_score / ours_small_s
    rows += [
        _row(
            f"fit KN-3, {nltk_train_words:,} train words (NLTK-sized slice)",
            ours_fit_small,
            nltk_fit,
            "nltk.lm KneserNeyInterpolated",
            "s",
            lower_better=True,
        ),
        _row(
            f"score KN-3, {nltk_score:,} test trigrams",
            ours_small_rate,
            nltk_rate,
            "nltk.lm KneserNeyInterpolated",
            "n-grams/s",
        ),
        _row(
            "fit modified KN-3, full Bengio train (800k words)",
            fit_s,
            None,
            "",
            "s",
            lower_better=True,
        ),
        _row(
            f"score modified KN-3, full test ({len(tgt):,} trigrams)",
            ours_rate,
            None,
            "",
            "n-grams/s",
        ),
    ]
    return rows


def perplexity_rows(split, vocab):
    rows = []
    flat = lambda ss: [[w for s in ss for w in s]]
    for n in (2, 3, 4, 5):
        stream_ppl = NgramLM(n, "kn").fit(flat(split.train), vocab).perplexity(flat(split.test))
        sent_ppl = NgramLM(n, "kn").fit(split.train, vocab).perplexity(split.test)
        peer = BENGIO_TABLE1.get(n)
        rows.append(
            _row(
                f"test perplexity, modified KN n={n}, word stream (Bengio protocol)",
                stream_ppl,
                peer,
                "Bengio et al. 2003 Table 1" if peer else "",
                "perplexity",
                lower_better=True,
                runs=1,
            )
        )
        rows.append(
            _row(
                f"test perplexity, modified KN n={n}, sentences with <s>/</s>",
                sent_ppl,
                None,
                "",
                "perplexity",
                lower_better=True,
                runs=1,
            )
        )
    return rows


def _row(what, ours, peer, peer_name, unit, lower_better=False, runs=RUNS):
    ratio = None if peer is None else ours / peer  # as bench/common.py: ours / peer
    return {
        "what": what,
        "ours": ours,
        "peer": peer,
        "peer_name": peer_name,
        "ratio": ratio,
        "unit": unit,
        "runs": runs,
    }


def machine():
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(sorted({i.get("internal_api", "?") for i in threadpool_info()}))
    except ImportError:
        blas = "unknown"
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "blas": blas,
        "env": f"python {platform.python_version()}, numpy {np.__version__}",
    }


def main() -> int:
    split, vocab = bengio_split(load_corpus("brown"))
    print(
        f"Brown, Bengio split {split.sizes()}, |V| = {len(vocab) - 2:,} (+ <s>, </s>)",
        file=sys.stderr,
    )
    rows = speed_rows(split, vocab) + perplexity_rows(split, vocab)
    result = {
        "benchmark": "ngram",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": rows,
    }
    out = Path(__file__).parent / "results" / "ngram.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'what':<70} {'ours':>12} {'peer':>12} {'ratio':>8}  unit")
    for r in rows:
        peer = "" if r["peer"] is None else f"{r['peer']:.4g}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.1f}x"
        print(f"{r['what']:<70} {r['ours']:>12.4g} {peer:>12} {ratio:>8}  {r['unit']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
