"""The report's second section: one training step of a tiny language model, traced.

A trigram neural LM (Bengio-style: look up two word vectors, a tanh layer, a softmax
over the words) small enough to read — 2-dimensional embeddings, 3 hidden units,
and as vocabulary the words of one real sentence — takes one gradient step on one
(context, next word) pair of that sentence. The section draws the traced graph of
the loss with every node's value and gradient, checks every gradient entry against
central finite differences, and applies the SGD update.

Entry points: :func:`build`, :func:`training_step`, :class:`TrainingStep`,
:func:`finite_differences`, :func:`relative_error`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import diaphane.numpy as dnp
from diaphane.autodiff import SparseRows, check_grads, grad, trace_graph
from diaphane.errors import UsageError
from diaphane.examples import log_softmax
from diaphane.report.document import FigureBlock, Metric, Prose, Section, TableBlock
from diaphane.report.run import ReportRun
from diaphane.viz.graph_figure import GraphFigure

__all__ = [
    "ID",
    "TITLE",
    "TrainingStep",
    "build",
    "finite_differences",
    "relative_error",
    "training_step",
]

ID = "engine"
TITLE = "The engine"

DIM, HIDDEN = 2, 3
SENTENCE_WORDS = (6, 10)  # tokens of the sentence the tiny model is built on
VOCAB_WORDS = (5, 8)  # distinct words in it: the tiny model's vocabulary
LR = 0.5
EPS = 1e-5
ERROR_FLOOR = 1e-10  # below this both gradients count as zero
PARAMS = ("E", "W1", "b1", "W2", "b2")
LAYOUT = {  # how each table's entry names read
    "E": "one row per vocabulary word, one column per dimension of its vector",
    "W1": "row `word·d` reads dimension d of that context word's vector",
    "W2": "one column per vocabulary word",
    "b2": "one entry per vocabulary word",
}


@dataclass
class TrainingStep:
    """One (context, next word) example and the tiny trigram LM's parameters before the step.

    Attributes:
        sentence: the real sentence the example comes from.
        words: the model's vocabulary (the sentence's distinct words, in order).
        position: where the target is in ``sentence`` (its context is the two before).
        params: ``E`` (words x DIM), ``W1`` (2·DIM x HIDDEN), ``b1``, ``W2`` (HIDDEN x words),
            ``b2``.
    """

    sentence: list[str]
    words: list[str]
    position: int
    params: dict[str, np.ndarray]

    @property
    def context(self) -> list[str]:
        return self.sentence[self.position - 2 : self.position]

    @property
    def target(self) -> str:
        return self.sentence[self.position]

    @property
    def context_ids(self) -> np.ndarray:
        return np.array([self.words.index(w) for w in self.context], dtype=np.int64)

    @property
    def target_id(self) -> int:
        return self.words.index(self.target)

    def loss(self, params: dict) -> Any:
        """-log P(target | context): the cross-entropy of this one example."""
        x = dnp.reshape(params["E"][self.context_ids], (-1,))  # the two vectors, side by side
        h = dnp.tanh(x @ params["W1"] + params["b1"])
        logits = h @ params["W2"] + params["b2"]
        return -log_softmax(logits)[self.target_id]

    def probability(self, params: dict) -> float:
        """P(target | context) under ``params``."""
        return float(np.exp(-self.loss(params)))


def _sentence(run: ReportRun) -> list[str]:
    lo, hi = SENTENCE_WORDS
    pool = [
        s
        for s in run.sentences
        if lo <= len(s) <= hi and VOCAB_WORDS[0] <= len(set(s)) <= VOCAB_WORDS[1]
    ]
    if not pool:
        raise UsageError(
            f"the corpus has no sentence of {lo}-{hi} words to build the engine's example on"
        )
    return pool[int(run.rng(21).integers(len(pool)))]


def training_step(run: ReportRun) -> TrainingStep:
    """The example (a real sentence, a seeded position in it) and seeded initial parameters."""
    sentence = _sentence(run)
    words = list(dict.fromkeys(sentence))
    rng = run.rng(22)
    position = int(rng.integers(2, len(sentence)))
    v = len(words)
    params = {
        "E": rng.normal(0.0, 1.0, (v, DIM)),
        "W1": rng.normal(0.0, 1.0 / np.sqrt(2 * DIM), (2 * DIM, HIDDEN)),
        "b1": np.zeros(HIDDEN),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(HIDDEN), (HIDDEN, v)),
        "b2": np.zeros(v),
    }
    return TrainingStep(sentence, words, position, params)


# ----------------------------------------------------------------------------- checking


def finite_differences(f: Callable[[dict], Any], params: dict, eps: float = EPS) -> dict:
    """``(f(θ + ε eᵢ) - f(θ - ε eᵢ)) / 2ε`` for every entry ``i`` of every parameter."""
    out = {}
    for name, value in params.items():
        numeric = np.zeros_like(value, dtype=np.float64)
        for i in np.ndindex(value.shape):
            plus = {**params, name: value.copy()}
            minus = {**params, name: value.copy()}
            plus[name][i] += eps
            minus[name][i] -= eps
            numeric[i] = (float(f(plus)) - float(f(minus))) / (2 * eps)
        out[name] = numeric
    return out


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """``|a - n| / max(|a|, |n|)``, taken as 0 where both are below :data:`ERROR_FLOOR`."""
    a, n = np.asarray(analytic, float), np.asarray(numeric, float)
    scale = np.maximum(np.abs(a), np.abs(n))
    return np.where(scale < ERROR_FLOOR, 0.0, np.abs(a - n) / np.maximum(scale, ERROR_FLOOR))


def _dense(g: Any) -> np.ndarray:
    return g.to_dense() if isinstance(g, SparseRows) else np.asarray(g, dtype=np.float64)


def _entry_label(step: TrainingStep, name: str, index: tuple[int, ...]) -> str:
    ctx = step.context
    if name == "E":
        return f"E[{step.words[index[0]]}, {index[1]}]"
    if name == "W1":
        return f"W1[{ctx[index[0] // DIM]}·{index[0] % DIM}, {index[1]}]"
    if name == "W2":
        return f"W2[{index[0]}, {step.words[index[1]]}]"
    if name == "b2":
        return f"b2[{step.words[index[0]]}]"
    return f"{name}[{', '.join(map(str, index))}]"


def _table(step: TrainingStep, name: str, analytic: np.ndarray, numeric: np.ndarray) -> TableBlock:
    err = relative_error(analytic, numeric)
    rows = [
        [_entry_label(step, name, i), float(analytic[i]), float(numeric[i]), float(err[i])]
        for i in np.ndindex(analytic.shape)
    ]
    worst = int(np.argmax(err.ravel()))
    shape = "x".join(map(str, analytic.shape))
    rows_are = LAYOUT.get(name, "one entry per hidden unit")
    return TableBlock(
        ["entry", "analytic ∂L/∂θ", "finite difference", "relative error"],
        rows,
        caption=(
            f"`{name}` ({shape}; {rows_are}): the gradient from the backward pass against central "
            f"differences with ε = {EPS:g}; the largest relative error (highlighted) is "
            f"{err.max():.1e}."
        ),
        highlight=[(worst, 3)],
        name=f"fd-{name.lower()}",
    )


# ----------------------------------------------------------------------------- the section


def build(run: ReportRun) -> Section:
    """The engine section: a traced training step, its gradients checked, the update made."""
    run.status("engine: tracing one training step")
    step = training_step(run)
    params = step.params
    analytic = {k: _dense(v) for k, v in grad(step.loss)(params).items()}
    numeric = finite_differences(step.loss, params)
    errors = {k: float(relative_error(analytic[k], numeric[k]).max()) for k in PARAMS}
    checked = check_grads(step.loss, params, modes=("rev",), order=2)
    graph = trace_graph(step.loss, params, values=True, grads=True)
    after = {k: params[k] - LR * analytic[k] for k in PARAMS}
    loss0, loss1 = float(step.loss(params)), float(step.loss(after))
    facts = {
        "sentence": step.sentence,
        "vocabulary": step.words,
        "context": step.context,
        "target": step.target,
        "dims": {"embedding": DIM, "hidden": HIDDEN, "vocabulary": len(step.words)},
        "graph": {"nodes": len(graph.nodes), "edges": len(graph.edges)},
        "loss_before": round(loss0, 6),
        "loss_after": round(loss1, 6),
        "lr": LR,
        "fd_eps": EPS,
        "fd_max_relative_error": {k: float(f"{v:.3g}") for k, v in errors.items()},
        "check_grads": {k: float(f"{v:.3g}") for k, v in checked.items()},
    }
    figure = GraphFigure(graph, ("params",), "One training step: the loss of one example")
    figure.description = (
        f"Context “{' '.join(step.context)}” → next word “{step.target}”; "
        f"loss -log P = {loss0:.4f}."
    )
    blocks = [
        *_intro(step),
        FigureBlock(
            "graph",
            figure,
            "Read it left to right for the forward pass, right to left for the backward pass. "
            "Hover `getitem` to see the two looked-up vectors, and the final `negative` node: "
            "its gradient is 1, the seed of the backward pass.",
            height=460,
        ),
        *_backward_prose(step, analytic),
        _metrics(step, params, after, loss0, loss1),
        *_check_prose(errors, checked),
        *(_table(step, k, analytic[k], numeric[k]) for k in PARAMS),
    ]
    summary = (
        f"one SGD step on “{' '.join(step.context)} → {step.target}”: loss {loss0:.3f} → "
        f"{loss1:.3f}; gradients agree with finite differences to {max(errors.values()):.0e}"
    )
    return Section(ID, TITLE, blocks, summary=summary, facts=facts)


def _intro(step: TrainingStep) -> list:
    sent = " ".join(step.sentence)
    return [
        Prose(
            "Every model here is trained by diaphane's own automatic differentiation, about "
            "a few hundred lines of NumPy. To see it work, take the smallest language model "
            "that still has every part of a real one: a *trigram neural LM* that looks up a "
            f"{DIM}-number vector for each of the two previous words, puts them side by side, "
            f"passes them through a layer of {HIDDEN} tanh units and scores every word of its "
            f"vocabulary with a softmax. Its vocabulary is just the {len(step.words)} distinct "
            f"words of one real sentence of the corpus: “{sent}”.\n\n"
            f"The example is the context *{' '.join(step.context)}* and the next word "
            f"*{step.target}*; the loss is -log of the probability the model gives it.\n\n"
            "*1. Trace the forward pass.* Running the loss once on traced values records "
            "every primitive operation (lookup, reshape, matrix product, add, tanh, exp, sum, "
            "log, …) with its inputs: the computation graph below, with each node's value."
        ),
    ]


def _backward_prose(step: TrainingStep, analytic: dict) -> list:
    rows = np.flatnonzero(np.any(analytic["E"] != 0, axis=1))
    looked = ", ".join(f"*{step.words[i]}*" for i in rows)
    return [
        Prose(
            "*2. A VJP per primitive.* Each primitive knows one rule: given the gradient of "
            "the loss with respect to its output, ḡ, return the gradient with respect to each "
            "input — a vector-Jacobian product, never the Jacobian itself. For `tanh`, "
            "ḡ · (1 - y²); for a matrix product `x @ W`, ḡ @ Wᵀ for x and xᵀḡ for W; for `add`, "
            "ḡ passes to both sides (summed over any broadcast axis); for the lookup "
            "`getitem`, ḡ is added back into the rows that were read.\n\n"
            "*3. The backward pass.* Seed the output with ∂L/∂L = 1, then visit the nodes in "
            "reverse order, applying each node's VJP and *summing* the gradients where a value "
            "fed more than one node. Hover any node to see its value and the gradient that "
            f"reached it. Only the rows of `E` that were looked up ({looked}) get a gradient; "
            "every other word's vector is untouched by this example."
        )
    ]


def _metrics(step: TrainingStep, before: dict, after: dict, loss0: float, loss1: float) -> Metric:
    return Metric(
        [
            (f"P({step.target} | context) before", f"{step.probability(before):.3f}"),
            ("loss before", f"{loss0:.4f}"),
            (f"after one SGD step (lr {LR:g})", f"{loss1:.4f}"),
            (f"P({step.target} | context) after", f"{step.probability(after):.3f}"),
        ]
    )


def _check_prose(errors: dict, checked: dict) -> list:
    worst = max(errors, key=lambda k: errors[k])
    return [
        Prose(
            "Stepping every parameter a little against its gradient, θ ← θ - lr · ∂L/∂θ, "
            "makes the right word more likely, as the numbers above show.\n\n"
            "How do we know the gradients are right? Nudge one parameter entry up and down by "
            f"ε = {EPS:g} and measure how the loss moves: (L(θ + ε) - L(θ - ε)) / 2ε, the "
            "*central finite difference*, is within about ε² of the true derivative. The "
            "tables compare it with the backward pass for every entry of every parameter; "
            f"the worst relative error is {errors[worst]:.1e} (in `{worst}`): the error of the "
            "finite difference itself (rounding, and the ε² term), not a mistake. "
            "diaphane's own checker, `check_grads`, tests random directions and second "
            "derivatives the same way: "
            f"its worst relative error here is {max(checked.values()):.1e}."
        )
    ]
