"""Benchmark: n-gram LMs on Brown with Bengio's split — ours against NLTK's nltk.lm.

    DIAPHANE_DATA=../shared/data python bench/ngram.py [--runs 7] [--no-nltk] [--no-write]

Speed rows on the full split (800k training words, 161,193 test trigrams) time ours
alone, split into what each step contains: encoding the words to a padded id stream
(``pad_sentences``: a dictionary look-up per word), fitting on that stream
(``fit_stream``: counting every order, discounts, smoothed tables and the hash
indexes used for scoring) and both together (``fit`` from words, what a user
calls); scoring is ``logprob_ids`` on the test windows, already encoded. Each is
the median of interleaved runs. NLTK's ``KneserNeyInterpolated`` is far too slow for
the full split (about 100 n-grams/s), so the side-by-side rows use a slice it
finishes in about a minute, timed once. Perplexity rows use the full split
(Bengio et al. 2003, Table 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import interleaved, machine_info, print_rows, row, write_result

BENGIO_TABLE1 = {3: 323.0, 4: 321.0, 5: 321.0}  # modified KN back-off, their |V| = 16,383
NLTK = "nltk.lm KneserNeyInterpolated"


def _flat(sentences):
    """The split as one word stream (Bengio's protocol: no sentence markers)."""
    return [[w for s in sentences for w in s]]


def speed_rows(split, vocab, runs: int) -> list[dict]:
    from diaphane.models.ngram import NgramLM
    from diaphane.text import pad_sentences, windows

    train, test = _flat(split.train), _flat(split.test)
    stream = pad_sentences(train, vocab, 3)
    lm = NgramLM(3, "kn").fit_stream(stream, vocab)
    ctx, tgt = windows(pad_sentences(test, vocab, 3), 3, vocab.bos_id)
    t = interleaved(
        {
            "encode": lambda: pad_sentences(train, vocab, 3),
            "fit_stream": lambda: NgramLM(3, "kn").fit_stream(stream, vocab),
            "fit": lambda: NgramLM(3, "kn").fit(train, vocab),
            "score": lambda: lm.logprob_ids(ctx, tgt),
        },
        runs=runs,
    )
    words = f"{len(train[0]):,}"
    return [
        row(f"encode Brown train ({words} words) to padded ids", t["encode"], None, "", "s", runs),
        row(
            "fit modified KN-3 on those ids (count, tables, index)",
            t["fit_stream"],
            None,
            "",
            "s",
            runs,
        ),
        row(
            f"fit modified KN-3 from words (encode + fit), {words} words",
            t["fit"],
            None,
            "",
            "s",
            runs,
        ),
        row(
            f"score modified KN-3, full test ({len(tgt):,} trigrams)",
            len(tgt) / t["score"],
            None,
            "",
            "n-grams/s",
            runs,
        ),
    ]


def _nltk_kn(train, vocab, order):
    from nltk.lm import KneserNeyInterpolated

    from diaphane.text import pad_sentences

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


def nltk_rows(split, vocab, runs: int, train_words=20_000, score=1_000) -> list[dict]:
    """Side by side on a slice: NLTK timed once, ours the median of ``runs``."""
    from diaphane.models.ngram import NgramLM
    from diaphane.text import pad_sentences, windows

    small = [_flat(split.train)[0][:train_words]]
    ctx, tgt = windows(pad_sentences(_flat(split.test), vocab, 3), 3, vocab.bos_id)
    ctx, tgt = ctx[:score], tgt[:score]
    t0 = time.perf_counter()
    nlm = _nltk_kn(small, vocab, 3)
    nltk_fit = time.perf_counter() - t0
    words, contexts = vocab.decode(tgt), [vocab.decode(c) for c in ctx]
    t0 = time.perf_counter()
    for w, c in zip(words, contexts, strict=True):
        nlm.score(w, c)
    nltk_rate = score / (time.perf_counter() - t0)
    # NLTK's KneserNeyInterpolated has one discount (0.1) for every order.
    lm = NgramLM(3, "kn", discounts=[0, 0.1, 0.1]).fit(small, vocab)
    t = interleaved(
        {
            "fit": lambda: NgramLM(3, "kn", discounts=[0, 0.1, 0.1]).fit(small, vocab),
            "score": lambda: lm.logprob_ids(ctx, tgt),
        },
        runs=runs,
    )
    return [
        row(
            f"fit KN-3 from words, {train_words:,} train words", t["fit"], nltk_fit, NLTK, "s", runs
        ),
        row(
            f"score KN-3, {score:,} test trigrams",
            score / t["score"],
            nltk_rate,
            NLTK,
            "n-grams/s",
            runs,
        ),
    ]


def perplexity_rows(split, vocab) -> list[dict]:
    from diaphane.models.ngram import NgramLM

    rows = []
    for n in (2, 3, 4, 5):
        stream_ppl = NgramLM(n, "kn").fit(_flat(split.train), vocab).perplexity(_flat(split.test))
        sent_ppl = NgramLM(n, "kn").fit(split.train, vocab).perplexity(split.test)
        peer = BENGIO_TABLE1.get(n)
        name = "Bengio et al. 2003 Table 1" if peer else ""
        what = f"test perplexity, modified KN n={n}"
        # Beside the paper's figures where it has them; the other protocols are a sweep.
        kind = "reference" if peer else "sweep"
        rows.append(
            row(f"{what}, word stream (Bengio protocol)", stream_ppl, peer, name, "perplexity", 1,
                kind=kind)
        )  # fmt: skip
        rows.append(row(f"{what}, sentences with <s>/</s>", sent_ppl, None, "", "perplexity", 1,
                        kind="sweep"))  # fmt: skip
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7, help="timed runs of ours (median)")
    p.add_argument("--no-nltk", action="store_true", help="skip the (slow) NLTK rows")
    p.add_argument("--no-write", action="store_true", help="do not write bench/results")
    args = p.parse_args()

    from diaphane.text import bengio_split, load_corpus

    split, vocab = bengio_split(load_corpus("brown"))
    print(
        f"Brown, Bengio split {split.sizes()}, |V| = {len(vocab) - 2:,} (+ <s>, </s>)",
        file=sys.stderr,
    )
    rows = speed_rows(split, vocab, args.runs)
    if not args.no_nltk:
        rows += nltk_rows(split, vocab, args.runs)
    rows += perplexity_rows(split, vocab)
    print_rows("N-gram LM, Brown (Bengio split)", rows)
    if not args.no_write:
        path = write_result("ngram", rows, command="python bench/ngram.py", machine=machine_info())
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
