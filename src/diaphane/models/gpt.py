"""A GPT-2 style decoder-only transformer, written with :mod:`diaphane.numpy`.

The architecture and the parameter layout are GPT-2's, so Hugging Face GPT-2
checkpoints load unchanged and the engine differentiates every forward pass
(gradients with respect to the parameters and to the input embeddings)::

    x_0 = wte[ids] + wpe[:T]                       # hidden_states[0]
    a   = x + attn(ln_1(x))                        # causal multi-head, pre-LayerNorm
    x'  = a + mlp(ln_2(a))                         # c_fc -> GELU (tanh) -> c_proj
    logits = ln_f(x_L) @ wte.T                     # unembedding tied to wte

Interface (the lens codes against it)::

    from diaphane.models.gpt import GPTConfig, GPT, load_gpt, default_model
    cfg = GPTConfig(vocab_size, n_positions, n_embd, n_layer, n_head,
                    layer_norm_epsilon=1e-5, dtype="float32")
    model = GPT(cfg, params=None, tokenizer=None, seed=0)   # fresh random weights
    model = load_gpt(folder, dtype="float32")   # HF GPT-2 folder or a diaphane GPT folder
    model = default_model()                     # the small model shipped with diaphane

    model.params     # {"wte": [V,D], "wpe": [P,D],
                     #  "h": [ {"ln_1": {"g","b"},
                     #          "attn": {"c_attn": {"w": [D,3D], "b"}, "c_proj": {"w": [D,D], "b"}},
                     #          "ln_2": {"g","b"},
                     #          "mlp": {"c_fc": {"w": [D,4D], "b"}, "c_proj": {"w": [4D,D], "b"}}},
                     #        ... n_layer blocks ],
                     #  "ln_f": {"g","b"}}
                     # weights in HF's Conv1D (in, out) layout: y = x @ w + b.
                     # "h" may also be a dict {"0": block, "1": ...} (training checkpoints).
    model.tokenizer  # a tokenizers.Tokenizer (None for a bare model)
    model.encode(text) -> np.ndarray[int64];  model.decode(ids) -> str
    model.token_str(id) -> str   # the text of one token (" London"), decoded bytes

    out = model.forward(ids, params=None, inputs_embeds=None, output_hidden_states=True,
                        output_attentions=True, output_mlp_activations=False)
    out.logits           # [T, V]  ([B, T, V] for a batch)
    out.hidden_states    # n_layer + 1 arrays [T, D], exactly as Hugging Face returns them:
                         #   [0] the embeddings wte[ids] + wpe[:T],
                         #   [i] the output of block i for 1 <= i < n_layer,
                         #   [n_layer] ln_f(output of the last block)  <- final LayerNorm applied!
    out.final_residual   # [T, D] the output of the last block BEFORE ln_f
    out.residual_stream  # property: hidden_states[:-1] + [final_residual], n_layer + 1 arrays,
                         #   none of them normalised: what the logit lens passes through ln_f
    out.attentions       # n_layer arrays [H, T, T] (row = query position, softmax over keys)
    out.mlp_activations  # n_layer arrays [T, 4D]: the MLP hidden units after GELU
    model.embed(ids) -> inputs_embeds [T, D] = wte[ids], the token embeddings alone, exactly
                     # Hugging Face's inputs_embeds: forward(inputs_embeds=e) adds wpe[:T]
                     # itself, so forward(None, inputs_embeds=model.embed(ids)) == forward(ids),
                     # and saliency differentiates with respect to e as Captum/Ecco/inseq do.
                     # (hidden_states[0] = e + wpe[:T].)
    model.final_norm(h) -> ln_f(h);  model.unembed(h) -> h @ wte.T (logits, no ln_f)

``ids`` may be ``[T]`` or ``[B, T]`` (``inputs_embeds`` ``[T, D]`` or ``[B, T, D]``);
every output then carries the same leading batch axis (attentions ``[B, H, T, T]``).
``params`` overrides ``model.params`` so ``grad(lambda p: model.forward(ids, params=p)...)``
and ``grad(lambda e: model.forward(None, inputs_embeds=e)...)`` both work. Arrays in the
output are traced boxes inside differentiated code, plain NumPy arrays outside.

Entry points: :class:`GPT`, :class:`GPTConfig`, :class:`GPTOutput`, :func:`gpt_forward`,
:func:`load_gpt`, :func:`default_model`, :func:`save_gpt`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

import diaphane.numpy as dnp
import diaphane.scipy.special as dsp
from diaphane.autodiff import getval
from diaphane.autodiff.core import DiaphaneError

__all__ = [
    "GPT",
    "GPTConfig",
    "GPTOutput",
    "default_model",
    "gpt_forward",
    "init_params",
    "load_gpt",
    "save_gpt",
]

KIND = "gpt"
ACTIVATIONS = ("gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu")


@dataclass
class GPTConfig:
    """Hyperparameters, named as in Hugging Face's ``GPT2Config``.

    Attributes:
        vocab_size: tokens in the vocabulary (rows of ``wte``).
        n_positions: longest context (rows of ``wpe``).
        n_embd: width D of the residual stream.
        n_layer: transformer blocks.
        n_head: attention heads (must divide ``n_embd``).
        layer_norm_epsilon: added to the variance in every LayerNorm.
        dtype: ``"float32"`` or ``"float64"``.
        activation_function: ``"gelu_new"`` (GPT-2's tanh approximation) or ``"gelu"`` (erf).
        scale_attn_by_inverse_layer_idx: also divide the scores of block i by i + 1.
        initializer_range: standard deviation of fresh weights.
    """

    vocab_size: int = 8000
    n_positions: int = 128
    n_embd: int = 128
    n_layer: int = 2
    n_head: int = 4
    layer_norm_epsilon: float = 1e-5
    dtype: str = "float32"
    activation_function: str = "gelu_new"
    scale_attn_by_inverse_layer_idx: bool = False
    initializer_range: float = 0.02

    def __post_init__(self) -> None:
        if min(self.vocab_size, self.n_positions, self.n_embd, self.n_layer, self.n_head) < 1:
            raise DiaphaneError(f"Every size of a GPT must be at least 1: {self}.")
        if self.n_embd % self.n_head:
            raise DiaphaneError(
                f"n_embd={self.n_embd} is not a multiple of n_head={self.n_head}; "
                "pick a width the heads divide evenly."
            )
        if self.dtype not in ("float32", "float64"):
            raise DiaphaneError(f"dtype must be 'float32' or 'float64', not {self.dtype!r}.")
        if self.activation_function not in ACTIVATIONS:
            raise DiaphaneError(
                f"Unsupported activation_function {self.activation_function!r}; "
                f"diaphane knows {', '.join(ACTIVATIONS)}."
            )

    @classmethod
    def from_dict(cls, d: dict) -> GPTConfig:
        """The fields of ``d`` this class knows (HF's ``n_ctx`` etc. are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class GPTOutput:
    """What :meth:`GPT.forward` returns; see the module docstring for shapes."""

    logits: Any
    hidden_states: list | None = None
    attentions: list | None = None
    mlp_activations: list | None = None
    final_residual: Any = None
    extras: dict = field(default_factory=dict)

    @property
    def residual_stream(self) -> list:
        """The n_layer + 1 un-normalised residual states (``hidden_states`` with the last
        entry taken before ``ln_f``)."""
        if self.hidden_states is None:
            raise DiaphaneError("Run forward(..., output_hidden_states=True) for the states.")
        return [*self.hidden_states[:-1], self.final_residual]


# ----------------------------------------------------------------------------- parameters


def init_params(config: GPTConfig, seed: int = 0) -> dict:
    """Fresh parameters as GPT-2 initialises them: normal(0, initializer_range) weights,
    zero biases, unit LayerNorm gains, and the residual projections scaled down by
    sqrt(2 n_layer)."""
    rng = np.random.default_rng(seed)
    dt, d, std = np.dtype(config.dtype), config.n_embd, config.initializer_range

    def normal(*shape: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal(shape) * std * scale).astype(dt)

    def ln() -> dict:
        return {"g": np.ones(d, dt), "b": np.zeros(d, dt)}

    def linear(n_in: int, n_out: int, scale: float = 1.0) -> dict:
        return {"w": normal(n_in, n_out, scale=scale), "b": np.zeros(n_out, dt)}

    proj = 1 / math.sqrt(2 * config.n_layer)
    blocks = [
        {
            "ln_1": ln(),
            "attn": {"c_attn": linear(d, 3 * d), "c_proj": linear(d, d, proj)},
            "ln_2": ln(),
            "mlp": {"c_fc": linear(d, 4 * d), "c_proj": linear(4 * d, d, proj)},
        }
        for _ in range(config.n_layer)
    ]
    return {
        "wte": normal(config.vocab_size, d),
        "wpe": normal(config.n_positions, d, scale=0.5),
        "h": blocks,
        "ln_f": ln(),
    }


def blocks_of(params: dict) -> list:
    """The blocks of ``params["h"]`` as a list, whether stored as a list or as a dict
    keyed ``"0"``, ``"1"``, ... (nn.checkpoint's trees have no lists)."""
    h = params["h"]
    if isinstance(h, dict):
        return [h[str(i)] for i in range(len(h))]
    return list(h)


# ----------------------------------------------------------------------------- the layers


def layer_norm(x: Any, p: dict, eps: float) -> Any:
    """LayerNorm over the last axis with the biased variance, as torch computes it."""
    mu = dnp.mean(x, axis=-1, keepdims=True)
    xc = x - mu
    var = dnp.mean(xc * xc, axis=-1, keepdims=True)
    return xc / dnp.sqrt(var + eps) * p["g"] + p["b"]


def project(x: Any, w: Any) -> Any:
    """``x @ w`` for x ``[..., n_in]`` and a matrix ``w``, with the leading axes folded
    into one: the weight's gradient is then one matrix product, not a stack of
    per-batch products summed afterwards."""
    shape = getval(x).shape
    if len(shape) <= 2:
        return x @ w
    y = dnp.reshape(x, (-1, shape[-1])) @ w
    return dnp.reshape(y, (*shape[:-1], getval(y).shape[-1]))


def unembed(h: Any, wte: Any) -> Any:
    """Logits ``h @ wte.T`` for h ``[..., D]``."""
    shape = getval(h).shape
    h2 = dnp.reshape(h, (-1, shape[-1]))
    if getval(h2).shape[0] <= 64:
        # For a few rows, (wte @ h.T).T streams the big table through BLAS in its own
        # row-major order: about 1.4x faster than h @ wte.T on GPT-2's 50k x 768 table.
        y = dnp.transpose(wte @ dnp.transpose(h2))
    else:
        y = h2 @ dnp.transpose(wte)
    return dnp.reshape(y, (*shape[:-1], getval(wte).shape[0]))


def linear(x: Any, p: dict) -> Any:
    """HF's Conv1D: ``x @ w + b`` with ``w`` stored (in, out)."""
    return project(x, p["w"]) + p["b"]


def gelu(x: Any, kind: str = "gelu_new") -> Any:
    """GELU; GPT-2's tanh approximation unless ``kind == "gelu"`` (exact, with erf)."""
    if kind == "gelu":
        return 0.5 * x * (1.0 + dsp.erf(x / math.sqrt(2.0)))
    inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))
    return 0.5 * x * (1.0 + dnp.tanh(inner))


def _split_heads(x: Any, n_head: int) -> Any:
    *lead, t, d = getval(x).shape
    x = dnp.reshape(x, (*lead, t, n_head, d // n_head))
    return dnp.swapaxes(x, -2, -3)  # [..., H, T, hd]


def attention(x: Any, p: dict, config: GPTConfig, layer: int) -> tuple[Any, Any]:
    """Causal multi-head self-attention of normalised ``x`` [..., T, D]; returns the
    block's contribution [..., T, D] and the attention weights [..., H, T, T]."""
    d, n_head = config.n_embd, config.n_head
    qkv = linear(x, p["c_attn"])
    q, k, v = (_split_heads(qkv[..., i * d : (i + 1) * d], n_head) for i in range(3))
    scale = 1.0 / math.sqrt(d // n_head)
    if config.scale_attn_by_inverse_layer_idx:
        scale /= layer + 1
    scores = (q @ dnp.swapaxes(k, -1, -2)) * scale
    t = getval(scores).shape[-1]
    causal = np.tril(np.ones((t, t), dtype=bool))
    # The dtype's most negative number, as HF masks: exp() of it is exactly 0.
    scores = dnp.where(causal, scores, np.finfo(getval(scores).dtype).min)
    weights = dsp.softmax(scores, axis=-1)
    ctx = dnp.swapaxes(weights @ v, -2, -3)  # [..., T, H, hd]
    ctx = dnp.reshape(ctx, (*getval(ctx).shape[:-2], d))
    return linear(ctx, p["c_proj"]), weights


def block(x: Any, p: dict, config: GPTConfig, layer: int) -> tuple[Any, Any, Any]:
    """One pre-LayerNorm block; returns the new residual, attention weights, MLP units."""
    eps = config.layer_norm_epsilon
    a, weights = attention(layer_norm(x, p["ln_1"], eps), p["attn"], config, layer)
    x = x + a
    units = gelu(
        linear(layer_norm(x, p["ln_2"], eps), p["mlp"]["c_fc"]), config.activation_function
    )
    return x + linear(units, p["mlp"]["c_proj"]), weights, units


# ----------------------------------------------------------------------------- the model function


def embed(params: dict, ids: Any, config: GPTConfig) -> Any:
    """Token embeddings ``wte[ids]`` for ids ``[T]`` or ``[B, T]`` (Hugging Face's
    ``inputs_embeds``; the forward pass adds the position embeddings)."""
    ids = np.asarray(ids)
    if ids.ndim not in (1, 2) or not np.issubdtype(ids.dtype, np.integer):
        raise DiaphaneError(f"Token ids must be integers shaped [T] or [B, T], not {ids.shape}.")
    _check_length(ids.shape[-1], config)
    bad = ids[(ids < 0) | (ids >= config.vocab_size)]
    if bad.size:
        raise DiaphaneError(
            f"Token id {int(bad[0])} is outside the vocabulary of {config.vocab_size} tokens."
        )
    return params["wte"][ids]


def _check_length(t: int, config: GPTConfig) -> None:
    if t < 1 or t > config.n_positions:
        raise DiaphaneError(
            f"The model reads 1 to {config.n_positions} tokens at a time, not {t}; "
            "shorten the text."
        )


def gpt_forward(
    params: dict,
    config: GPTConfig,
    ids: Any = None,
    inputs_embeds: Any = None,
    output_hidden_states: bool = True,
    output_attentions: bool = True,
    output_mlp_activations: bool = False,
) -> GPTOutput:
    """The forward pass as a pure function of ``params``; traceable by the engine.

    ``inputs_embeds`` replaces the token embeddings ``wte[ids]``; the position
    embeddings are added to either, as Hugging Face does.
    """
    if inputs_embeds is None:
        if ids is None:
            raise DiaphaneError("Pass token ids or inputs_embeds to the forward pass.")
        inputs_embeds = embed(params, ids, config)
    t = getval(inputs_embeds).shape[-2]
    _check_length(t, config)
    x = inputs_embeds + params["wpe"][:t]
    hidden, attns, units = [x], [], []
    for i, p in enumerate(blocks_of(params)):
        x, weights, mlp = block(x, p, config, i)
        hidden.append(x)
        attns.append(weights)
        units.append(mlp)
    final = layer_norm(x, params["ln_f"], config.layer_norm_epsilon)
    hidden[-1] = final  # Hugging Face's convention: the last hidden state is after ln_f
    return GPTOutput(
        logits=unembed(final, params["wte"]),
        hidden_states=hidden if output_hidden_states else None,
        attentions=attns if output_attentions else None,
        mlp_activations=units if output_mlp_activations else None,
        final_residual=x,
    )


# ----------------------------------------------------------------------------- the model object


class GPT:
    """A GPT-2 style model: configuration, parameters and (optionally) its tokenizer.

    >>> model = GPT(GPTConfig(vocab_size=50, n_positions=16, n_embd=8, n_layer=2, n_head=2))
    >>> out = model.forward([1, 2, 3])
    >>> out.logits.shape, len(out.hidden_states), out.attentions[0].shape
    ((3, 50), 3, (2, 3, 3))
    """

    def __init__(
        self,
        config: GPTConfig,
        params: dict | None = None,
        tokenizer: Any = None,
        seed: int = 0,
        info: dict | None = None,
    ) -> None:
        self.config = config
        self.params = params if params is not None else init_params(config, seed)
        self.tokenizer = tokenizer
        self.info = dict(info or {})  # provenance (training data, seed, loss): config.json

    def __repr__(self) -> str:
        c = self.config
        return (
            f"GPT(n_layer={c.n_layer}, n_embd={c.n_embd}, n_head={c.n_head}, "
            f"vocab_size={c.vocab_size}, n_positions={c.n_positions}, dtype={c.dtype})"
        )

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.config.dtype)

    # -- the network

    def forward(
        self,
        ids: Any = None,
        params: dict | None = None,
        inputs_embeds: Any = None,
        output_hidden_states: bool = True,
        output_attentions: bool = True,
        output_mlp_activations: bool = False,
    ) -> GPTOutput:
        """Run the model on ids ``[T]``/``[B, T]`` or on ``inputs_embeds``; see the module
        docstring for the outputs. ``params`` replaces ``self.params`` (to differentiate)."""
        return gpt_forward(
            self.params if params is None else params, self.config, ids, inputs_embeds,
            output_hidden_states, output_attentions, output_mlp_activations,
        )  # fmt: skip

    __call__ = forward

    def embed(self, ids: Any, params: dict | None = None) -> Any:
        """Token embeddings ``wte[ids]``: Hugging Face's ``inputs_embeds``, what
        ``forward(inputs_embeds=...)`` takes (position embeddings are added there)."""
        return embed(self.params if params is None else params, ids, self.config)

    def final_norm(self, h: Any, params: dict | None = None) -> Any:
        """The final LayerNorm ``ln_f`` applied to any hidden state(s)."""
        p = self.params if params is None else params
        return layer_norm(h, p["ln_f"], self.config.layer_norm_epsilon)

    def unembed(self, h: Any, params: dict | None = None) -> Any:
        """Logits ``h @ wte.T`` (no LayerNorm: apply :meth:`final_norm` first)."""
        return unembed(h, (self.params if params is None else params)["wte"])

    # -- text

    def _need_tokenizer(self) -> Any:
        if self.tokenizer is None:
            raise DiaphaneError(
                "This model has no tokenizer (its folder holds no tokenizer.json, nor "
                "vocab.json + merges.txt); load it from a folder with one."
            )
        return self.tokenizer

    def encode(self, text: str) -> np.ndarray:
        """Token ids of ``text`` (int64)."""
        ids = self._need_tokenizer().encode(text, add_special_tokens=False).ids
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Any) -> str:
        """The text of a sequence of token ids."""
        ids = [int(i) for i in np.asarray(ids).ravel()]
        return self._need_tokenizer().decode(ids, skip_special_tokens=False)

    def token_str(self, token_id: int) -> str:
        """The text one token stands for (``" London"``; byte-level pieces of a longer
        character show as U+FFFD)."""
        return self.decode([token_id])

    def token_id(self, text: str) -> int:
        """The id of a text that is exactly one token (``" London"``)."""
        ids = self.encode(text)
        if len(ids) != 1:
            pieces = [self.token_str(i) for i in ids]
            raise DiaphaneError(
                f"{text!r} is {len(ids)} tokens for this model ({pieces}), not one; "
                "watch a single token (a leading space matters)."
            )
        return int(ids[0])

    # -- files

    def save(self, folder: str | Path, force: bool = False) -> Path:
        """Write the model as a folder Hugging Face and diaphane both load; see :func:`save_gpt`."""
        return save_gpt(self, folder, force=force)


def load_gpt(folder: str | Path, dtype: str = "float32") -> GPT:
    """Load a GPT-2 family model from a local folder (a Hugging Face one included) or a
    model name in the Hugging Face cache (``gpt2``), offline.

    See :func:`diaphane.models.gpt_load.load_gpt`.
    """
    from diaphane.models.gpt_load import load_gpt as _load

    return _load(folder, dtype=dtype)


def save_gpt(model: GPT, folder: str | Path, force: bool = False) -> Path:
    """Write ``model`` to ``folder``; see :func:`diaphane.models.gpt_load.save_gpt`."""
    from diaphane.models.gpt_load import save_gpt as _save

    return _save(model, folder, force=force)


def default_model_path() -> Path:
    """Where the small model shipped with diaphane lives."""
    return Path(__file__).resolve().parent.parent / "data" / "default_gpt"


def default_model(dtype: str = "float32") -> GPT:
    """The small GPT diaphane trained on its embedded corpus and ships with the package
    (its ``config.json`` records the command, seed, data fingerprint and validation loss)."""
    path = default_model_path()
    if not (path / "model.safetensors").is_file():
        raise DiaphaneError(
            f"The default model is missing from {path}; reinstall diaphane, or pass a model folder."
        )
    return load_gpt(path, dtype=dtype)
