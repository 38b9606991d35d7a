"""Neuron factors: the MLP neurons of a GPT factorised into a few patterns (NMF).

The MLP hidden units (after GELU) of the chosen layers, over every token of a
batch of texts, form a non-negative matrix tokens x neurons once GELU's small
negative dip (at least -0.17) is clipped to zero, as Ecco does. Non-negative
matrix factorisation (scikit-learn, seeded) writes it as ``W @ H``: ``H``
(factors x neurons) says which neurons make up each factor, ``W`` (tokens x
factors) how strongly each factor fires on each token — the data for a figure
that colours the text by factor.

Entry points: :func:`mlp_activations`, :func:`neuron_factors`, :class:`NeuronFactors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.lens.rankings import encode, token_text

__all__ = ["NeuronFactors", "mlp_activations", "neuron_factors"]


def mlp_activations(
    model: Any, text_or_ids: str | Sequence[int], layers: Sequence[int] | None = None
) -> np.ndarray:
    """MLP hidden units after GELU, ``[T, len(layers) * 4D]`` (layers side by side)."""
    ids = encode(model, text_or_ids)
    out = model.forward(
        ids, output_hidden_states=False, output_attentions=False, output_mlp_activations=True
    )
    acts = out.mlp_activations
    chosen = range(len(acts)) if layers is None else layers
    for layer in chosen:
        if not -len(acts) <= layer < len(acts):
            raise DiaphaneError(f"The model has {len(acts)} layers; there is no layer {layer}.")
    return np.concatenate([np.asarray(acts[layer]) for layer in chosen], axis=-1)


@dataclass
class NeuronFactors:
    """Factors of MLP activations over a batch of texts.

    Attributes:
        tokens: per text, its tokens' text.
        activations: per text, ``[T_i, k]``: how strongly each factor fires on each token.
        components: ``[k, n_neurons]`` each factor's weight on each neuron.
        layers: the layers whose neurons were used, in the column order of ``components``.
        reconstruction_error: the Frobenius norm of ``A - W @ H``.
    """

    tokens: list[list[str]]
    activations: list[np.ndarray]
    components: np.ndarray
    layers: list[int]
    reconstruction_error: float

    @property
    def n_factors(self) -> int:
        return self.components.shape[0]

    def top_tokens(self, factor: int, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` tokens (over all texts) on which ``factor`` fires most."""
        pairs = [
            (tok, float(act[i, factor]))
            for toks, act in zip(self.tokens, self.activations, strict=True)
            for i, tok in enumerate(toks)
        ]
        return sorted(pairs, key=lambda p: -p[1])[:n]


def neuron_factors(
    model: Any,
    texts: Sequence[str | Sequence[int]],
    k: int = 8,
    layers: Sequence[int] | None = None,
    seed: int = 0,
    max_iter: int = 500,
) -> NeuronFactors:
    """Factorise the MLP activations of ``texts`` into ``k`` non-negative factors.

    Args:
        model: a :class:`diaphane.models.gpt.GPT`.
        texts: the texts (or token id lists); each is run through the model alone.
        k: the number of factors.
        layers: which layers' neurons to use (default all).
        seed: the seed of scikit-learn's NMF (results are reproducible).
        max_iter: NMF iterations at most.

    Returns:
        A :class:`NeuronFactors`.
    """
    from sklearn.decomposition import NMF

    if isinstance(texts, str) or not texts:
        raise DiaphaneError("Pass a non-empty list of texts to factorise.")
    n_layers = model.config.n_layer
    chosen = list(range(n_layers)) if layers is None else [int(x) % n_layers for x in layers]
    ids = [encode(model, t) for t in texts]
    blocks = [mlp_activations(model, i, chosen) for i in ids]
    a = np.maximum(np.concatenate(blocks).astype(np.float64), 0.0)
    if int(k) < 1 or int(k) > min(a.shape):
        raise DiaphaneError(
            f"k={k} factors do not fit {a.shape[0]} tokens x {a.shape[1]} neurons; "
            f"pick 1 to {min(a.shape)}."
        )
    nmf = NMF(n_components=int(k), init="nndsvda", random_state=seed, max_iter=max_iter)
    w = nmf.fit_transform(a)
    bounds = np.cumsum([0] + [len(i) for i in ids])
    return NeuronFactors(
        tokens=[[token_text(model, t) for t in i] for i in ids],
        activations=[w[s:e] for s, e in pairwise(bounds)],
        components=nmf.components_,
        layers=chosen,
        reconstruction_error=float(nmf.reconstruction_err_),
    )
