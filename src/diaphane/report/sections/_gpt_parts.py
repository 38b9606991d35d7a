"""The GPT section's later parts: saliency, attention, induction and neuron factors.

Each ``*_blocks`` function measures one thing on the model, records it in ``facts``
and returns the prose, tables and figures that show it; :mod:`.gpt` puts them in order.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from diaphane.lens import probes
from diaphane.report.document import FigureBlock, Prose, TableBlock

__all__ = [
    "attention_blocks",
    "factor_blocks",
    "induction_blocks",
    "layer_name",
    "q",
    "saliency_blocks",
]

# Sentences for the neuron factors: numbers, dates, places, speech, agreement.
FACTOR_TEXTS = (
    "On Monday, 12 March 1990, the president of the United States spoke in New York.",
    "She said that the keys to the kitchen cabinet were on the table.",
    "The river flows north through the valley for about 200 kilometres.",
    "He was born in London in 1885 and died in Paris in 1950.",
    "The company reported that its sales rose by 15 per cent last year.",
    "The cat sat on the mat, and the dog slept by the door.",
)


def q(token: str) -> str:
    """A token for prose: its repr in code marks (a backtick in it would end the mark)."""
    return "`" + repr(token).replace("`", "'") + "`"


def layer_name(layer: int, n_rows: int) -> str:
    if layer == 0:
        return "0 (embeddings)"
    return f"{layer} (output)" if layer == n_rows - 1 else str(layer)


# ----------------------------------------------------------------------------- saliency


def saliency_blocks(model: Any, shown: tuple, n_steps: int, facts: dict) -> list:
    from diaphane.lens import saliency
    from diaphane.lens.figures import SaliencyFigure

    prompt, good, bad = shown
    s = saliency(model, prompt, target=good, contrast=bad, method="ig", quantity="logit",
                 n_steps=n_steps, aggregate="sum")  # fmt: skip
    change = s.value - s.baseline_value
    facts["saliency"] = {
        "prompt": prompt, "explained": f"logit({good!r}) - logit({bad!r})",
        "value": round(s.value, 4), "baseline_value": round(s.baseline_value, 4),
        "delta": float(f"{s.delta:.3g}"), "n_steps": s.n_steps, "rule": s.rule,
        "scores": [[t, round(float(x), 4)] for t, x in zip(s.tokens, s.scores, strict=True)],
    }  # fmt: skip
    up, down = int(np.argmax(s.scores)), int(np.argmin(s.scores))
    relative = abs(s.delta) / abs(change) if change else math.inf
    text = (
        "*Integrated gradients* attribute a number the model computes to its input tokens: the "
        "gradient is averaged along a straight path from a baseline (here all token embeddings "
        "zero) to the real input, and multiplied by the distance travelled. The number here is "
        f"the margin logit({q(good)}) \u2212 logit({q(bad)}) after “{prompt}”: {s.value:.3f}, "
        f"against {s.baseline_value:.3f} at the baseline. The attributions should add up to "
        f"the change, {change:.3f}; with {s.n_steps} Gauss-Legendre steps they miss it by "
        f"{s.delta:.2g} (the *convergence delta*, {100 * relative:.2g}% of the change), so "
        + ("the integral is well converged. " if relative < 0.05 else "it needs more steps. ")
        + f"The token pushing hardest towards {q(good)} is {q(s.tokens[up])} "
        f"({s.scores[up]:+.3f}); the one pushing hardest towards {q(bad)} is "
        f"{q(s.tokens[down])} ({s.scores[down]:+.3f})."
    )
    figure = SaliencyFigure.from_saliency(s, title=f"What {good!r} over {bad!r} rests on")
    caption = (
        f"Each token coloured by its signed attribution: red pushes towards {q(good)}, blue "
        f"towards {q(bad)}. Compare the subject with the attractor noun."
    )
    return [Prose(text), FigureBlock("saliency", figure, caption, height=300)]


# ----------------------------------------------------------------------------- attention


def attention_blocks(model: Any, prompt: str, facts: dict) -> list:
    from diaphane.lens.figures import AttentionFigure

    rollout = AttentionFigure.from_model(model, prompt, flow=True, view="rollout")
    flow = dataclasses.replace(rollout, view="flow")
    last_r, last_f = rollout.rollout[-1][-1], flow.flow[-1][-1]
    tokens = rollout.tokens
    facts["attention"] = {
        "prompt": prompt, "tokens": tokens,
        "rollout_last": [round(float(x), 4) for x in last_r],
        "flow_last": [round(float(x), 4) for x in last_f],
    }  # fmt: skip

    def top(row: np.ndarray) -> str:
        order = np.argsort(-row)[:2]
        return " and ".join(f"{q(tokens[i])} ({row[i]:.2f})" for i in order)

    text = (
        "Attention says where each position reads from, one layer at a time. *Attention "
        "rollout* multiplies the layers' head-averaged attention (with the residual connection "
        "added as half the weight) down to the input tokens; *attention flow* treats the same "
        "matrices as pipes and asks how much can flow from the top to each input token. For "
        f"the last position of “{prompt}”, rollout gives most to {top(last_r)}, flow to "
        f"{top(last_f)}. Both measure where information could come from, not what it does: "
        "the saliency above is the causal reading."
    )
    caption = "Rows: the attending position; columns: the input token it draws on. Choose the "
    return [
        Prose(text),
        FigureBlock("rollout", rollout, caption + "layer, or raw attention per head, in the menus.",
                    height=620),
        FigureBlock("flow", flow, caption + "view to compare flow with rollout.",
                    height=620),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- induction


def induction_blocks(model: Any, length: int, seed: int, facts: dict) -> list:
    from diaphane.lens import attention_rollout
    from diaphane.lens.figures import AttentionFigure

    length = min(length, model.config.n_positions // 2)
    ind = probes.induction_ranks(model, length, seed=seed)
    block, head = ind.best_head
    score = float(ind.stripe[block, head])
    # Uniform attention over the visible prefix: what a head that ignored content would give.
    chance = float(np.mean([1.0 / (i + 1) for i in range(length, 2 * length)]))
    rows = ind.ranks.shape[0]
    facts["induction"] = {
        "length": length, "seed": seed,
        "median_rank_first": [float(x) for x in ind.median_first],
        "median_rank_second": [float(x) for x in ind.median_second],
        "rank_one_layer": ind.rank_one_layer,
        "strongest_stripe": {"layer": block + 1, "head": head, "score": round(score, 4)},
        "uniform_stripe": round(chance, 4),
        "heads_over_0.3": [[b + 1, h, round(v, 4)] for b, h, v in ind.induction_heads(0.3)],
    }  # fmt: skip
    table = TableBlock(
        ["layer", "median rank, first pass", "median rank, second pass"],
        [[layer_name(lay, rows), float(ind.median_first[lay]), float(ind.median_second[lay])]
         for lay in range(rows)],
        caption=f"Rank of the true next token on {length} random word tokens shown twice "
        f"(seed {seed}); the vocabulary has {model.config.vocab_size:,} tokens.",
        name="induction",
    )  # fmt: skip
    att = np.stack([np.asarray(a) for a in model.forward(ind.ids).attentions]).astype(float)
    figure = AttentionFigure(
        tokens=ind.tokens, attentions=att, rollout=attention_rollout(att), view="attention",
        layer=block, head=head, title="Attention on a repeated random sequence",
    )  # fmt: skip
    caption = (
        f"Layer {block + 1}, head {head}. An induction head draws a stripe in the lower-left "
        "block: each token of the second pass looks at the token that followed its first "
        "occurrence, one step right of that block's diagonal."
    )
    return [
        Prose(_induction_prose(ind, score, chance, model.config.vocab_size)),
        table,
        FigureBlock("induction", figure, caption, height=640),
    ]


def _induction_prose(ind: probes.InductionResult, score: float, chance: float, vocab: int) -> str:
    block, head = ind.best_head
    m1, m2 = ind.median_first[-1], ind.median_second[-1]
    found = ind.rank_one_layer
    copy = (
        f"The median rank in the second pass first reaches 1 at layer {found}: the model "
        "copies what followed the token last time."
        if found is not None
        else f"No layer's median rank in the second pass is 1; at the output it is {m1 / m2:.2g} "
        "times better than in the first pass, so "
        + ("the model uses the repeat, though not yet to rank 1." if m1 > 10 * m2 else
           "on this sequence the model copies little.")
    )  # fmt: skip
    return (
        "*Induction* is the simplest use of context: having seen “A B” once, predict B after "
        f"the next A. The test: {ind.length} word tokens drawn at random (seed {ind.seed}), "
        "then the same tokens again. In the first pass nothing predicts the next token; at "
        f"the output its median rank is {m1:g} of {vocab:,}. In the second pass every next "
        f"token has been seen once, right after the current one; the median rank is {m2:g}. "
        f"{copy}\n\nThe head that attends most to the right place is layer {block + 1}, head "
        f"{head}: on average {score:.3f} of its attention from a second-pass token goes to "
        f"the token after that token's first occurrence, {score / chance:.1f} times the "
        f"{chance:.3f} a head attending evenly to everything before it would give."
    )


# ----------------------------------------------------------------------------- factors


def factor_blocks(model: Any, s: dict, seed: int, facts: dict) -> list:
    from diaphane.lens import neuron_factors
    from diaphane.lens.figures import FactorsFigure

    texts = list(FACTOR_TEXTS[: s["texts"]])
    f = neuron_factors(model, texts, k=s["factors"], seed=seed)
    figure = FactorsFigure.from_factors(f)
    tops = [_distinct(t for t, _ in f.top_tokens(k, 50))[:3] for k in range(f.n_factors)]
    facts["factors"] = {"k": f.n_factors, "texts": len(texts), "top_tokens": tops}
    listed = "; ".join(f"factor {k}: " + ", ".join(q(t) for t in top) for k, top in enumerate(tops))
    text = (
        "The MLP layers hold most of the model's parameters. Their neurons' activations on "
        f"{len(texts)} sentences, all {model.config.n_layer} layers side by side, are written "
        f"by non-negative matrix factorisation as {f.n_factors} *factors*: groups of neurons "
        "that fire together. The tokens each factor fires on most are: "
        f"{listed}."
    )
    caption = (
        "Each row colours a sentence by one factor; hover a token for every factor's "
        "activation. Look for factors that pick out a kind of token (numbers, names, "
        "function words) or a position."
    )
    return [Prose(text), FigureBlock("factors", figure, caption, height=520)]


def _distinct(tokens: Any) -> list[str]:
    """Tokens in order, each once (a factor often fires on every "the" of the texts)."""
    return list(dict.fromkeys(tokens))
