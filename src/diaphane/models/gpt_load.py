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
is also a Hugging Face folder. Training checkpoints (parameter names ending in
``.g``/``.w``/``.b`` as :mod:`diaphane.nn.checkpoint` flattens them) load too.

Entry points: :func:`load_gpt`, :func:`save_gpt`, :func:`load_tokenizer`,
:class:`CheckpointFormatError`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.files import atomic_open
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
SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2"}


class CheckpointFormatError(DiaphaneError):
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
        raise CheckpointFormatError(f"{folder} has no {name} ({what}).{hint}")
    return path


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as NumPy arrays (bfloat16 widened to float32,
    which NumPy lacks)."""
    with open(path, "rb") as f:
        try:
            (size,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(size))
        except (struct.error, ValueError, UnicodeDecodeError) as e:
            raise CheckpointFormatError(f"{path} is not a safetensors file ({e}).") from e
        data = f.read()
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        if spec["dtype"] not in SAFETENSORS_DTYPES:
            raise CheckpointFormatError(
                f"{path}: tensor {name} has unsupported dtype {spec['dtype']}."
            )
        start, end = spec["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype=SAFETENSORS_DTYPES[spec["dtype"]])
        if spec["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = arr.reshape(spec["shape"])
    return out


def load_tokenizer(folder: str | Path) -> Any:
    """The folder's tokenizer: ``tokenizer.json``, else ``vocab.json`` + ``merges.txt`` as
    GPT-2's byte-level BPE; None when it has neither."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    folder = Path(folder)
    if (folder / TOKENIZER_FILE).is_file():
        return Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    has_vocab, has_merges = (folder / VOCAB_FILE).is_file(), (folder / MERGES_FILE).is_file()
    if has_vocab != has_merges:
        missing = MERGES_FILE if has_vocab else VOCAB_FILE
        raise CheckpointFormatError(
            f"{folder} has {VOCAB_FILE if has_vocab else MERGES_FILE} but no {missing}; "
            "a byte-level BPE tokenizer needs both (or a tokenizer.json)."
        )
    if not has_vocab:
        return None
    tok = Tokenizer(models.BPE.from_file(str(folder / VOCAB_FILE), str(folder / MERGES_FILE)))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return tok


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
            f"The checkpoint does not match a GPT-2 with {config.n_layer} layers "
            f"({'; '.join(parts)})."
        )
    tree: dict = {"h": [{} for _ in range(config.n_layer)]}
    for target, (name, value) in found.items():
        if tuple(value.shape) != expected[target]:
            raise CheckpointFormatError(
                f"Weight {name} is shaped {tuple(value.shape)}, but config.json implies "
                f"{expected[target]}."
            )
        node, path = tree, target[:-1]
        if isinstance(target[0], int):  # inside block i
            node, path = tree["h"][target[0]], target[1:-1]
        for key in path:
            node = node.setdefault(key, {})
        node[target[-1]] = np.ascontiguousarray(value, dtype=dt)
    return tree


# ----------------------------------------------------------------------------- config


def config_from_json(d: dict, dtype: str) -> tuple[GPTConfig, int | None]:
    """A :class:`GPTConfig` from a Hugging Face (or diaphane) ``config.json``."""
    model_type = d.get("model_type", "gpt2")
    if model_type != "gpt2":
        raise CheckpointFormatError(
            f"config.json describes a {model_type!r} model; diaphane loads GPT-2 family "
            "checkpoints (model_type 'gpt2')."
        )
    if d.get("scale_attn_weights", True) is False:
        raise CheckpointFormatError("scale_attn_weights=False is not supported.")
    d = dict(d)
    d.setdefault("n_positions", d.get("n_ctx"))
    try:
        config = GPTConfig.from_dict({**d, "dtype": dtype})
    except TypeError as e:
        raise CheckpointFormatError(f"config.json lacks a GPT-2 setting ({e}).") from e
    return config, d.get("n_inner")


def config_to_json(model: GPT) -> dict:
    """``config.json`` for :func:`save_gpt`: Hugging Face's GPT2Config fields, and
    diaphane's provenance under ``"diaphane"``."""
    c = model.config
    from diaphane import __version__

    return {
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
        CheckpointFormatError: no such folder or cached name, a file is missing, or a
            weight is unexpected, missing or misshapen. The message names them.
    """
    from diaphane.models.hub import HubModelError, resolve_model

    try:
        folder = resolve_model(folder)
    except HubModelError as e:  # one error type for every folder problem load_gpt reports
        raise CheckpointFormatError(str(e)) from None
    try:
        raw = json.loads(_need(folder, CONFIG_FILE, "the model's settings").read_text("utf-8"))
    except ValueError as e:
        raise CheckpointFormatError(f"{folder / CONFIG_FILE} is not valid JSON ({e}).") from e
    config, n_inner = config_from_json(raw, dtype)
    weights = read_safetensors(_need(folder, WEIGHTS_FILE, "the weights"))
    params = params_from_weights(weights, config, n_inner)
    tokenizer = load_tokenizer(folder)
    if tokenizer is None:
        log.warning("%s has no tokenizer.json or vocab.json + merges.txt; ids only.", folder)
    elif tokenizer.get_vocab_size() > config.vocab_size:
        raise CheckpointFormatError(
            f"The tokenizer in {folder} has {tokenizer.get_vocab_size()} tokens, more than the "
            f"model's {config.vocab_size}."
        )
    return GPT(config, params, tokenizer, info=dict(raw.get("diaphane") or {}))


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


def save_gpt(model: GPT, folder: str | os.PathLike) -> Path:
    """Write ``model`` as a Hugging Face GPT-2 folder (config.json, model.safetensors,
    tokenizer.json), atomically: files are written to temporary names, then renamed."""
    from safetensors.numpy import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writes = {
        CONFIG_FILE: lambda p: Path(p).write_text(
            json.dumps(config_to_json(model), indent=2) + "\n", encoding="utf-8"
        ),
        WEIGHTS_FILE: lambda p: save_file(_flat(model), p, metadata={"format": "pt"}),
    }
    if model.tokenizer is not None:
        writes[TOKENIZER_FILE] = lambda p: model.tokenizer.save(p)
    for name, write in writes.items():
        with atomic_open(folder / name, "wb") as f:
            write(f.name)  # these writers take a file name: they fill the temporary file
    return folder
