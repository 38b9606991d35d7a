"""Looking inside GPT-style language models.

- :func:`layer_rankings`: the logit lens — per layer and position, the rank and
  probability of the model's output token, the next token and watched tokens.
- :func:`saliency`: gradient, gradient x input and integrated gradients of a
  target token's probability (logit, log-prob, contrast) w.r.t. the input tokens.
- :func:`attention_rollout`, :func:`attention_flow`: Abnar & Zuidema's two ways
  to trace attention back to the input tokens.
- :func:`neuron_factors`: NMF of the MLP neurons' activations.
- :func:`agreement_by_layer`, :func:`induction_ranks`, :func:`right_answers`: measured
  phenomena — subject-verb agreement and induction per layer, and the prompts a model
  completes correctly (:mod:`diaphane.lens.probes`).

Every forward and backward pass runs on diaphane's own engine.
"""

from diaphane.lens.attention import (
    attention_flow,
    attention_rollout,
    model_attentions,
    residual_attention,
)
from diaphane.lens.factors import NeuronFactors, mlp_activations, neuron_factors
from diaphane.lens.probes import (
    AgreementResult,
    CandidateScore,
    InductionResult,
    agreement_by_layer,
    induction_ranks,
    right_answers,
    score_candidates,
)
from diaphane.lens.rankings import LayerRankings, layer_rankings, logit_lens, rank_of, top_k
from diaphane.lens.saliency import Saliency, ig_points, saliency, target_function

# The figures pull in the figure machinery: imported on first use.
_FIGURES = ("AttentionFigure", "FactorsFigure", "RankingsFigure", "SaliencyFigure")

__all__ = [
    *_FIGURES,
    "AgreementResult",
    "CandidateScore",
    "InductionResult",
    "LayerRankings",
    "NeuronFactors",
    "Saliency",
    "agreement_by_layer",
    "attention_flow",
    "attention_rollout",
    "ig_points",
    "induction_ranks",
    "layer_rankings",
    "logit_lens",
    "mlp_activations",
    "model_attentions",
    "neuron_factors",
    "rank_of",
    "residual_attention",
    "right_answers",
    "saliency",
    "score_candidates",
    "target_function",
    "top_k",
]


def __getattr__(name: str):
    if name in _FIGURES:
        from diaphane.lens import figures

        return getattr(figures, name)
    raise AttributeError(f"module 'diaphane.lens' has no attribute {name!r}")
