"""Reading and writing GPT-2 family checkpoints from local folders, with no network.

A model may also be named (``gpt2``): the name resolves to its snapshot in the
Hugging Face cache (:mod:`diaphane.models.hub`), safetensors only.

A Hugging Face folder holds ``config.json`` + ``model.safetensors`` and a
tokenizer (``tokenizer.json``, or ``vocab.json`` + ``merges.txt``). The weights
may carry the ``transformer.`` prefix (``GPT2LMHeadModel``) or not
(``GPT2Model``); ``lm_head.weight`` is tied to ``wte`` and dropped; the causal
mask buffers ``attn.bias`` / ``attn.masked_bias`` are ignored. Weights keep
Hugging Face's Conv1D (in, out) layout, so no transposes are needed.

:func:`save_gpt` writes the same layout (no prefix, float32 or float64), with
diaphane's provenance under ``config.json["diaphane"]``: a diaphane model folder
is also a Hugging Face folder. It is written whole through
:func:`diaphane.nn.checkpoint.save_checkpoint` (the folder format of every model
kind, with each file's sha256), and loading checks those sums, the safetensors
layout, the settings' types, the number of blocks and every weight's shape before
building the model. Training checkpoints (parameter names ending in
``.g``/``.w``/``.b`` as :mod:`diaphane.nn.checkpoint` flattens them) load too.

Entry points: :func:`load_gpt`, :func:`save_gpt`, :func:`load_tokenizer`,
:class:`CheckpointFormatError`.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.errors import ModelFileError
from diaphane.models.gpt import GPT, KIND, GPTConfig, blocks_of

__all__ = ["CheckpointFormatError", "load_gpt", "load_tokenizer", "save_gpt"]

log = logging.getLogger(__name__)

CONFIG_FILE, WEIGHTS_FILE = "config.json", "model.safetensors"
TOKENIZER_FILE, VOCAB_FILE, MERGES_FILE = "tokenizer.json", "vocab.json", "merges.txt"
BUFFERS = re.compile(r"^h\.\d+\.attn\.(bias|masked_bias)$")
# HF leaf names -> diaphane's, by the kind of module they sit in.
LN_LEAVES = {"weight": "g", "bias": "b", "g": "g", "b": "b"}
LINEAR_LEAVES = {"weight": "w", "bias": "b", "w": "w", "b": "b"}
BLOCK_MODULES = ("ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj")
FLOAT_DTYPES = ("float16", "float32", "float64")
# The GPT2Config keys diaphane reads (the others are transformers' own business).
HF_SETTINGS = (
    "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "layer_norm_epsilon",
    "activation_function", "scale_attn_by_inverse_layer_idx", "initializer_range",
)  # fmt: skip
REFETCH = "download the model again, or train it again"


class CheckpointFormatError(ModelFileError):
    """A model folder that is missing a file or holds unexpected or missing weights."""


# ----------------------------------------------------------------------------- files


def _need(folder: Path, name: str, what: str) -> Path:
    path = folder / name
    if not path.is_file():
        hint = ""
        if name == WEIGHTS_FILE and (folder / "pytorch_model.bin").is_file():
            hint = (
                " It has pytorch_model.bin, which diaphane does not read (pickle); convert it "
                "with transformers: model.save_pretrained(folder, safe_serialization=True)."
            )
        raise CheckpointFormatError(
            f"{folder} has no {name} ({what}), so it is not a complete model folder; point at "
            f"one that holds config.json, model.safetensors and a tokenizer.{hint}"
        )
    return path


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as NumPy arrays (bfloat16 widened to float32,
    which NumPy lacks), the layout checked first (:func:`diaphane.nn.tensorfile.read_tensors`)."""
    from diaphane.nn.tensorfile import read_tensors

    try:
        return read_tensors(path, REFETCH)
    except ModelFileError as err:
        raise CheckpointFormatError(str(err)) from None


def load_tokenizer(folder: str | Path) -> Any:
    """The folder's tokenizer: ``tokenizer.json``, else ``vocab.json`` + ``merges.txt`` as
    GPT-2's byte-level BPE; None when it has neither.

    Raises:
        CheckpointFormatError: a tokenizer file is damaged, or one of the pair is missing.
    """
    folder = Path(folder)
    if (folder / TOKENIZER_FILE).is_file():
        return _tokenizer_file(folder / TOKENIZER_FILE)
    has_vocab, has_merges = (folder / VOCAB_FILE).is_file(), (folder / MERGES_FILE).is_file()
    if has_vocab != has_merges:
        missing = MERGES_FILE if has_vocab else VOCAB_FILE
        raise CheckpointFormatError(
            f"{folder} has {VOCAB_FILE if has_vocab else MERGES_FILE} but no {missing}; "
            "a byte-level BPE tokenizer needs both (or a tokenizer.json)."
        )
    return _bpe_files(folder) if has_vocab else None


def _tokenizer_file(path: Path) -> Any:
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_str(path.read_bytes().decode("utf-8"))
    except Exception as err:  # tokenizers raises plain Exceptions for every parse error
        raise CheckpointFormatError(_bad_tokenizer(path, err)) from None


def _bpe_files(folder: Path) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    try:
        tok = Tokenizer(models.BPE.from_file(str(folder / VOCAB_FILE), str(folder / MERGES_FILE)))
    except Exception as err:  # as above
        raise CheckpointFormatError(_bad_tokenizer(folder / VOCAB_FILE, err, MERGES_FILE)) from None
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return tok


def _bad_tokenizer(path: Path, err: Exception, other: str = "") -> str:
    reason = "it is not UTF-8 text" if isinstance(err, UnicodeDecodeError) else str(err)
    files = f"{path} (with {other})" if other else str(path)
    return f"{files} is not a tokenizer the tokenizers library can read ({reason}); {REFETCH}."


# ----------------------------------------------------------------------------- weights


def _target(name: str) -> tuple | None:
    """Where a (prefix-free) weight name goes in the parameter tree, or None if unknown."""
    if name in ("wte.weight", "wpe.weight", "wte", "wpe"):
        return (name.split(".")[0],)
    m = re.fullmatch(r"ln_f\.(\w+)", name)
    if m and m.group(1) in LN_LEAVES:
        return ("ln_f", LN_LEAVES[m.group(1)])
    m = re.fullmatch(
        r"h\.(\d+)\.(ln_[12]|attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.(\w+)", name
    )
    if not m:
        return None
    leaves = LN_LEAVES if m.group(2).startswith("ln") else LINEAR_LEAVES
    if m.group(3) not in leaves:
        return None
    return (int(m.group(1)), *m.group(2).split("."), leaves[m.group(3)])


def _strip(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Drop the ``transformer.`` prefix, the mask buffers and a tied ``lm_head``."""
    out = {}
    for name, value in weights.items():
        out[name.removeprefix("transformer.")] = value
    head = out.pop("lm_head.weight", None)
    if head is not None and "wte.weight" in out and not np.array_equal(head, out["wte.weight"]):
        raise CheckpointFormatError(
            "lm_head.weight differs from wte.weight: diaphane's GPT ties the unembedding to "
            "the token embeddings, and this checkpoint does not."
        )
    return {k: v for k, v in out.items() if not BUFFERS.match(k)}


def _expected(config: GPTConfig, n_inner: int) -> dict[tuple, tuple]:
    d = config.n_embd
    shapes: dict[tuple, tuple] = {}
    shapes[("wte",)] = (config.vocab_size, d)
    shapes[("wpe",)] = (config.n_positions, d)
    shapes[("ln_f", "g")] = shapes[("ln_f", "b")] = (d,)
    dims = {"attn.c_attn": (d, 3 * d), "attn.c_proj": (d, d)}
    dims |= {"mlp.c_fc": (d, n_inner), "mlp.c_proj": (n_inner, d)}
    for i in range(config.n_layer):
        for ln in ("ln_1", "ln_2"):
            shapes[(i, ln, "g")] = shapes[(i, ln, "b")] = (d,)
        for module, (n_in, n_out) in dims.items():
            shapes[(i, *module.split("."), "w")] = (n_in, n_out)
            shapes[(i, *module.split("."), "b")] = (n_out,)
    return shapes


def _hf_name(target: tuple) -> str:
    """Hugging Face's name of a tree position: ``(1, "mlp", "c_fc", "w")`` ->
    ``h.1.mlp.c_fc.weight``."""
    if len(target) == 1:
        return f"{target[0]}.weight"
    *path, leaf = target
    head = [f"h.{path[0]}", *path[1:]] if isinstance(path[0], int) else path
    return ".".join([*head, "bias" if leaf == "b" else "weight"])


def _names(keys: list) -> str:
    shown = ", ".join(sorted(keys)[:8])
    return shown + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")


def params_from_weights(
    weights: dict[str, np.ndarray], config: GPTConfig, n_inner: int | None = None
) -> dict:
    """The parameter tree of a GPT-2 ``state_dict``; errors name every unexpected,
    missing or misshapen weight."""
    weights, dt = _strip(weights), np.dtype(config.dtype)
    expected = _expected(config, n_inner or 4 * config.n_embd)
    found, unexpected = {}, []
    for name, value in weights.items():
        target = _target(name)
        if target in expected:
            found[target] = (name, value)
        else:
            unexpected.append(name)
    missing = [_hf_name(t) for t in expected if t not in found]
    if unexpected or missing:
        parts = [f"unexpected weights: {_names(unexpected)}"] if unexpected else []
        parts += [f"missing weights: {_names(missing)}"] if missing else []
        raise CheckpointFormatError(
            f"The weights in {WEIGHTS_FILE} do not match the GPT-2 of {config.n_layer} layers "
            f"that {CONFIG_FILE} describes ({'; '.join(parts)}); {REFETCH}."
        )
    tree: dict = {"h": [{} for _ in range(config.n_layer)]}
    for target, (name, value) in found.items():
        if tuple(value.shape) != expected[target]:
            raise CheckpointFormatError(
                f"Weight {name} in {WEIGHTS_FILE} is shaped {tuple(value.shape)}, but "
                f"{CONFIG_FILE} implies {expected[target]}; the files do not belong together: "
                f"{REFETCH}."
            )
        node, path = tree, target[:-1]
        if isinstance(target[0], int):  # inside block i
            node, path = tree["h"][target[0]], target[1:-1]
        for key in path:
            node = node.setdefault(key, {})
        node[target[-1]] = np.ascontiguousarray(value, dtype=dt)
    return tree


# ----------------------------------------------------------------------------- config


def config_from_json(d: dict, dtype: str, path: Path | None = None) -> tuple[GPTConfig, int | None]:
    """A :class:`GPTConfig` from a Hugging Face (or diaphane) ``config.json``, every
    setting checked for its type (``path`` names the file in errors)."""
    from diaphane.models._checks import settings_from

    path = path or Path(CONFIG_FILE)
    model_type = d.get("model_type", "gpt2")
    if model_type != "gpt2":
        raise CheckpointFormatError(
            f"{path} describes a {model_type!r} model; diaphane loads GPT-2 family "
            "checkpoints (model_type 'gpt2'): pass a GPT-2 folder."
        )
    if d.get("scale_attn_weights", True) is False:
        raise CheckpointFormatError(f"{path}: scale_attn_weights=False is not supported; "
                                    "pass a GPT-2 folder that scales attention.")  # fmt: skip
    d = dict(d)
    if d.get("n_positions") is None:
        d["n_positions"] = d.get("n_ctx", 1024)
    values = {k: v for k, v in d.items() if k in HF_SETTINGS}
    try:
        config = settings_from(GPTConfig, {**values, "dtype": dtype}, path, "",
                               ("vocab_size", "n_embd", "n_layer", "n_head"))  # fmt: skip
    except ModelFileError as err:
        raise CheckpointFormatError(str(err)) from None
    n_inner = d.get("n_inner")
    if n_inner is not None and not (isinstance(n_inner, int) and n_inner > 0):
        raise CheckpointFormatError(f"{path}: n_inner is {n_inner!r}, not null or a whole "
                                    "number above 0; the folder is damaged.")  # fmt: skip
    return config, n_inner


def config_to_json(model: GPT) -> dict:
    """``config.json`` for :func:`save_gpt`: Hugging Face's GPT2Config fields, and
    diaphane's provenance under ``"diaphane"``."""
    c = model.config
    from diaphane import __version__

    return {
        "kind": KIND,
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        **{k: v for k, v in c.to_dict().items() if k != "dtype"},
        "n_ctx": c.n_positions,
        "n_inner": None,
        "tie_word_embeddings": True,
        "torch_dtype": c.dtype,
        "bos_token_id": model.info.get("bos_token_id", 0),
        "eos_token_id": model.info.get("eos_token_id", 0),
        "diaphane": {"kind": KIND, "version": __version__, **model.info},
    }


# ----------------------------------------------------------------------------- entry points


def load_gpt(folder: str | os.PathLike, dtype: str = "float32") -> GPT:
    """Load a GPT-2 family model from a local folder.

    Args:
        folder: a Hugging Face GPT-2 folder (``config.json``, ``model.safetensors``,
            ``tokenizer.json`` or ``vocab.json`` + ``merges.txt``), a folder written by
            :func:`save_gpt`, a training checkpoint of ``diaphane train gpt``, or a model
            name (``gpt2``, ``openai-community/gpt2``) found offline in the Hugging Face
            cache (see :func:`diaphane.models.hub.resolve_model`).
        dtype: ``"float32"`` or ``"float64"`` (weights are converted).

    Returns:
        The model, with its tokenizer (None when the folder has none) and, in
        ``model.info``, diaphane's provenance if the folder has it.

    Raises:
        CheckpointFormatError: no such folder or cached name, a file is missing or
            damaged, or a weight is unexpected, missing or misshapen. The message names them.
    """
    from diaphane.models.hub import HubModelError, resolve_model

    try:
        folder = resolve_model(folder)
    except HubModelError as e:  # one error type for every folder problem load_gpt reports
        raise CheckpointFormatError(str(e)) from None
    raw = _read_config(folder)
    config, n_inner = config_from_json(raw, dtype, folder / CONFIG_FILE)
    weights = read_safetensors(_need(folder, WEIGHTS_FILE, "the weights"))
    _check_blocks(weights, config, folder)
    params = params_from_weights(weights, config, n_inner)
    tokenizer = load_tokenizer(folder)
    if tokenizer is None:
        log.warning("%s has no tokenizer.json or vocab.json + merges.txt; ids only.", folder)
    elif tokenizer.get_vocab_size() > config.vocab_size:
        raise CheckpointFormatError(
            f"The tokenizer in {folder} ({TOKENIZER_FILE}) has {tokenizer.get_vocab_size()} "
            f"tokens, more than the model's {config.vocab_size}; the files do not belong "
            f"together: {REFETCH}."
        )
    info = raw.get("diaphane") if isinstance(raw.get("diaphane"), dict) else {}
    return GPT(config, params, tokenizer, info=dict(info))


def _read_config(folder: Path) -> dict:
    """``config.json``, checked as every model folder's is, and the files it lists."""
    from diaphane.nn.checkpoint import CheckpointError, recorded_sha256, verify_files
    from diaphane.nn.model_folder import check_format, folder_kind, is_diaphane, read_config

    _need(folder, CONFIG_FILE, "the model's settings")
    try:
        raw = read_config(folder)
        check_format(raw, folder)
        verify_files(folder, recorded_sha256(raw, folder))
    except (ModelFileError, CheckpointError) as err:
        raise CheckpointFormatError(str(err)) from None
    kind = folder_kind(raw)
    if is_diaphane(raw) and kind not in (None, KIND):
        raise CheckpointFormatError(
            f"{folder} holds a {kind!r} model (says its {CONFIG_FILE}), not a GPT; use the "
            "command for that kind of model."
        )
    return raw


def _check_blocks(weights: dict, config: GPTConfig, folder: Path) -> None:
    """The blocks the weights hold must be the ``n_layer`` config.json says (checked
    before anything is built for each of them), and the weights floating point."""
    found = {int(m.group(1)) for name in weights
             if (m := re.match(r"^(?:transformer\.)?h\.(\d+)\.", name))}  # fmt: skip
    if len(found) != config.n_layer or found != set(range(len(found))):
        raise CheckpointFormatError(
            f"{folder / CONFIG_FILE} says n_layer={config.n_layer}, but {WEIGHTS_FILE} holds "
            f"blocks {_names([str(i) for i in sorted(found)]) or 'none'}; the files do not "
            f"belong together: {REFETCH}."
        )
    for name, value in weights.items():
        if (
            not BUFFERS.match(name.removeprefix("transformer."))
            and value.dtype.name not in FLOAT_DTYPES
        ):
            raise CheckpointFormatError(
                f"{folder / WEIGHTS_FILE}: weight {name} is {value.dtype}, not floating point; "
                f"the file is damaged: {REFETCH}."
            )


def _flat(model: GPT) -> dict[str, np.ndarray]:
    p = model.params
    out = {"wte.weight": p["wte"], "wpe.weight": p["wpe"]}
    out |= {"ln_f.weight": p["ln_f"]["g"], "ln_f.bias": p["ln_f"]["b"]}
    for i, blk in enumerate(blocks_of(p)):
        for module in BLOCK_MODULES:
            node = blk
            for key in module.split("."):
                node = node[key]
            for ours, theirs in (("g", "weight"), ("w", "weight"), ("b", "bias")):
                if ours in node:
                    out[f"h.{i}.{module}.{theirs}"] = node[ours]
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


def save_gpt(model: GPT, folder: str | os.PathLike, force: bool = False) -> Path:
    """Write ``model`` as a Hugging Face GPT-2 folder (config.json, model.safetensors,
    tokenizer.json), whole and atomically, in diaphane's folder format; it replaces only
    a GPT folder diaphane wrote, unless ``force``."""
    from diaphane.nn.checkpoint import save_checkpoint, unflatten_params

    extra = {TOKENIZER_FILE: model.tokenizer.to_str()} if model.tokenizer is not None else {}
    return save_checkpoint(folder, unflatten_params(_flat(model)), None, {},
                           config_to_json(model), extra, force=force)  # fmt: skip
