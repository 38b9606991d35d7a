"""The explainers section: a covariance matrix and an einsum, on this run's own numbers.

The covariance explainer (:class:`diaphane.viz.covariance.CovarianceFigure`) takes
five GloVe word vectors, first six dimensions, rows as variables as ``np.cov``
has it. The einsum explainer (:class:`diaphane.viz.einsum.EinsumFigure`) takes the
attention scores ``bhqd,bhkd->bhqk`` with the shapes of the shipped GPT's first
layer on a short prompt; the real queries and keys go through diaphane's einsum,
which must give the model's own attention weights. Without a GPT, random arrays
of the same layout stand in, and the section says so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diaphane.errors import DiaphaneError
from diaphane.report.document import FigureBlock, Note, Prose, Section, TableBlock
from diaphane.report.sections import _glove_picks as glove_picks
from diaphane.vectors import WordVectors, most_similar

__all__ = [
    "ID",
    "PROMPT",
    "SUBSCRIPTS",
    "TITLE",
    "attention_scores",
    "build",
    "covariance_words",
    "first_layer_qk",
]

ID = "explainers"
TITLE = "Covariance and einsum, explained"
N_DIMS = 6  # the tooltip writes out six terms of a sum before "…"
SUBSCRIPTS = "bhqd,bhkd->bhqk"
PROMPT = "The capital of France is"
FALLBACK_SHAPE = (1, 4, 6, 32)  # (batch, heads, tokens, head size) when there is no GPT


def build(run: Any) -> Section:
    """The section: the covariance explainer on GloVe vectors, the einsum on attention."""
    facts: dict = {}
    blocks: list = [Prose(
        "Two operations carry much of this report's arithmetic and are easy to get wrong: a "
        "covariance matrix (which index is the variable?) and an einsum (which axes are summed "
        "away?). Both explainers below run on numbers from this run.")]  # fmt: skip
    blocks += covariance_blocks(run.glove().word_vectors(), facts)
    blocks += einsum_blocks(run, facts)
    return Section(ID, TITLE, blocks, summary="np.cov on word vectors; einsum on attention",
                   facts=facts)  # fmt: skip


# ----------------------------------------------------------------------------- covariance


def covariance_words(wv: WordVectors) -> tuple[list[str], list[int]]:
    """Five words in two groups: a probe word and its two nearest, another probe and its
    nearest (:func:`~diaphane.report.sections._glove_picks.probe_words`); the group of each."""
    probes = [w for w, _ in glove_picks.probe_words(wv, n=2)]
    if len(probes) < 2:
        raise DiaphaneError("The GloVe vocabulary is too small to pick words to compare.")
    words, groups = [], []
    for g, (probe, n) in enumerate(zip(probes, (2, 1), strict=True)):
        near = [w for w, _ in most_similar(wv, probe, k=n + 4) if w not in words][:n]
        words += [probe, *near]
        groups += [g] * (1 + len(near))
    return words, groups


def covariance_blocks(wv: WordVectors, facts: dict) -> list:
    """The covariance explainer on five words x the first six dimensions."""
    from diaphane.viz.covariance import CovarianceFigure

    words, groups = covariance_words(wv)
    dims = min(N_DIMS, wv.dim)
    X = wv.matrix[wv.ids(words), :dims].astype(np.float64)
    fig = CovarianceFigure.from_data(
        X, words, [f"dim {j}" for j in range(dims)],
        title=f"Covariance of {len(words)} GloVe word vectors over their first {dims} dimensions",
    )  # fmt: skip
    full = np.cov(wv.matrix[wv.ids(words)].astype(np.float64))
    within, across = _group_means(fig.cov, groups), _group_means(full, groups)
    facts["covariance"] = {
        "words": words, "groups": groups, "dims": dims, "cov": np.round(fig.cov, 6).tolist(),
        "within_first_dims": within[0], "across_first_dims": within[1],
        "within_all_dims": across[0], "across_all_dims": across[1],
    }  # fmt: skip
    caption = (
        "Rows of the data are words, so both indices of the matrix are words: hover a cell for "
        "the sum over the six dimensions behind it. Is a word's covariance larger with its "
        "neighbour than with the other group?"
    )
    return [Prose(_covariance_text(words, groups, facts["covariance"], wv.dim)),
            FigureBlock("covariance", fig, caption, height=520)]  # fmt: skip


def _group_means(cov: np.ndarray, groups: list[int]) -> tuple[float, float]:
    """Mean off-diagonal covariance within the groups and across them."""
    g = np.asarray(groups)
    off = ~np.eye(len(g), dtype=bool)
    same = (g[:, None] == g[None, :]) & off
    other = g[:, None] != g[None, :]
    return round(float(cov[same].mean()), 6), round(float(cov[other].mean()), 6)


def _covariance_text(words: list[str], groups: list[int], f: dict, dim: int) -> str:
    a = [w for w, g in zip(words, groups, strict=True) if g == 0]
    b = [w for w, g in zip(words, groups, strict=True) if g == 1]
    near_a, near_b = (", ".join(f"*{w}*" for w in g[1:]) for g in (a, b))
    text = (
        "`np.cov(X)` treats each *row* of `X` as a variable and each column as one observation "
        f"of it. Here the rows are five words — *{a[0]}* with its nearest neighbours "
        f"{near_a}, and *{b[0]}* with {near_b} "
        f"— and the columns are the first {f['dims']} of their {dim} GloVe dimensions. So cell "
        "(i, j) asks: when word i's vector is above its own mean in a dimension, is word j's too?"
        f"\n\nWithin a group the mean covariance over these {f['dims']} dimensions is "
        f"{f['within_first_dims']:.3g}; across the groups {f['across_first_dims']:.3g}. Over all "
        f"{dim} dimensions: {f['within_all_dims']:.3g} against {f['across_all_dims']:.3g}."
    )
    if (f["within_all_dims"] > f["across_all_dims"]) != (
        f["within_first_dims"] > f["across_first_dims"]
    ):
        text += " Six observations are a small sample: here they point the other way."
    return text


# ----------------------------------------------------------------------------- einsum


def first_layer_qk(gpt: Any, prompt: str = PROMPT) -> tuple[np.ndarray, np.ndarray, list, Any]:
    """Queries and keys ``(1, heads, tokens, head size)`` of ``gpt``'s first attention
    layer on ``prompt``, the prompt's tokens, and the layer's attention weights
    ``(heads, tokens, tokens)`` as the model computes them."""
    from diaphane.models.gpt import blocks_of, layer_norm, linear

    c = gpt.config
    ids = gpt.encode(prompt)[: c.n_positions]
    out = gpt.forward(ids)
    x = np.asarray(out.hidden_states[0])
    p = blocks_of(gpt.params)[0]
    qkv = np.asarray(linear(layer_norm(x, p["ln_1"], c.layer_norm_epsilon), p["attn"]["c_attn"]))
    hd = c.n_embd // c.n_head

    def heads(m: np.ndarray) -> np.ndarray:
        return m.reshape(len(ids), c.n_head, hd).transpose(1, 0, 2)[None]

    d = c.n_embd
    tokens = [gpt.token_str(int(i)) for i in ids]
    return heads(qkv[:, :d]), heads(qkv[:, d : 2 * d]), tokens, np.asarray(out.attentions[0])


def attention_scores(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Scaled scores ``einsum(bhqd,bhkd->bhqk) / sqrt(d)`` by diaphane's einsum."""
    import diaphane.numpy as dnp

    return np.asarray(dnp.einsum(SUBSCRIPTS, q, k)) / math.sqrt(q.shape[-1])


def _causal_softmax(scores: np.ndarray) -> np.ndarray:
    t = scores.shape[-1]
    s = np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf)
    s = np.exp(s - s.max(axis=-1, keepdims=True))
    return s / s.sum(axis=-1, keepdims=True)


def _operands(run: Any, facts: dict) -> tuple[np.ndarray, np.ndarray, list[str], Any]:
    """Real queries and keys from the GPT (and its attention weights), or random ones
    shaped like them (and None)."""
    try:
        q, k, tokens, weights = first_layer_qk(run.gpt())
        facts["source"] = "gpt"
        facts["model"] = f"the GPT {run.options.model}" if run.options.model else "the shipped GPT"
        return q, k, tokens, weights
    except DiaphaneError as err:  # no GPT on this machine: the shapes still teach
        facts["source"] = f"random ({err})"
        rng = run.rng(7)
        q, k = (rng.standard_normal(FALLBACK_SHAPE) for _ in range(2))
        return q, k, [f"t{i}" for i in range(FALLBACK_SHAPE[2])], None


def einsum_blocks(run: Any, facts: dict) -> list:
    """The einsum explainer on the attention scores, with the real scores of one head."""
    from diaphane.viz.einsum import EinsumFigure

    f: dict = {}
    q, k, tokens, weights = _operands(run, f)
    scores = attention_scores(q, k)
    f["shapes"] = [list(q.shape), list(k.shape)]
    f["einsum_vs_matmul"] = float(np.max(np.abs(scores - q @ k.swapaxes(-1, -2) / math.sqrt(
        q.shape[-1]))))  # fmt: skip
    blocks: list = []
    if weights is not None:
        f["weights_vs_model"] = float(np.max(np.abs(_causal_softmax(scores[0]) - weights)))
        f["prompt"], f["tokens"] = PROMPT, tokens
    else:
        blocks.append(Note(
            "No GPT could be loaded here, so the queries and keys are random numbers in the "
            f"shape of a small model's: {FALLBACK_SHAPE}.", "warning"))  # fmt: skip
    facts["einsum"] = f
    fig = EinsumFigure(SUBSCRIPTS, [q.shape, k.shape], title=f"Attention scores: {SUBSCRIPTS}")
    caption = (
        "Which letter is which axis, and which is summed away (d). The worked example uses "
        "small counting-number arrays in the same layout; hover an output cell to see the "
        "products it adds up."
    )
    blocks = [Prose(_einsum_text(f, q.shape)), *blocks,
              FigureBlock("einsum", fig, caption, height=fig.iframe_height),
              _score_table(scores[0, 0], tokens)]  # fmt: skip
    return blocks


def _einsum_text(f: dict, shape: tuple) -> str:
    _, h, t, d = shape
    text = (
        "A transformer's attention compares every query with every key. With the batch `b`, "
        "heads `h`, query and key positions `q` and `k` and the head size `d`, all those dot "
        f"products are one call: `einsum('{SUBSCRIPTS}', Q, K)`. `d` is in both inputs but not "
        "in the output, so it is multiplied pairwise and summed away; every other letter is "
        "kept, which gives one score table per head."
    )
    if f["source"] == "gpt":
        text += (
            f"\n\nHere Q and K are the first layer's, from {f['model']} reading "
            f"“{f['prompt']}”: {t} tokens, {h} heads of {d} numbers. Through diaphane's einsum, "
            "scaled by 1/√d, masked so no token sees the future and softmaxed, they give the "
            f"model's own attention weights to within {f['weights_vs_model']:.1e}."
        )
    else:
        text += f"\n\nHere Q and K are random, {t} positions, {h} heads of {d} numbers."
    return text


def _score_table(scores: np.ndarray, tokens: list[str]) -> TableBlock:
    labels = [t.strip() or repr(t) for t in tokens]
    rows = [
        [labels[i], *[round(float(v), 3) if j <= i else None for j, v in enumerate(row)]]
        for i, row in enumerate(scores)
    ]
    caption = (
        "The real result for the first head: row = query token, column = key token, the "
        "scaled score q·k/√d. The dashes are future tokens, masked before the softmax."
    )
    return TableBlock(["query \\ key", *labels], rows, caption, name="scores")
