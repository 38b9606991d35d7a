"""Training a small GPT from scratch: raw text, a byte-level BPE tokenizer, Adam.

The corpus is read as raw text (case and punctuation kept, as a GPT reads it):
the Lee news corpus and the Wikipedia sample that ship in the gensim wheel, or a
user's file or folder. Documents are split into training and validation text
(every 20th document, or the last 5% of a single document); a byte-level BPE
tokenizer is trained on the training text with the ``tokenizers`` library;
the token stream (documents joined by ``<|endoftext|>``) is cut into windows of
``n_positions + 1`` tokens, and the model learns to predict every next token
with Adam (linear warm-up, then cosine decay) through :func:`diaphane.nn.train.train`,
which gives progress, checkpoints and exact resume.

Entry points: :func:`train_gpt`, :class:`GPTTrainConfig`, :func:`corpus_texts`,
:func:`train_tokenizer`, :func:`lm_loss`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from diaphane.autodiff.core import DiaphaneError
from diaphane.models.gpt import GPT, GPTConfig, blocks_of, gpt_forward, init_params
from diaphane.models.gpt_load import config_to_json, load_tokenizer
from diaphane.nn.losses import cross_entropy

__all__ = [
    "EOT",
    "GPTTrainConfig",
    "corpus_groups",
    "corpus_texts",
    "detokenize",
    "heldout_perplexity",
    "lm_loss",
    "token_windows",
    "train_gpt",
    "train_tokenizer",
]

log = logging.getLogger(__name__)

EOT = "<|endoftext|>"  # GPT-2's document separator, token 0 here
VALID_EVERY = 20
MAX_VALID_WINDOWS = 256


@dataclass
class GPTTrainConfig:
    """How to train (the model's shape is a :class:`~diaphane.models.gpt.GPTConfig`).

    Attributes:
        corpus: ``"lee"``, ``"wiki"`` or a path to a text file or folder.
        vocab_size: BPE vocabulary size (byte alphabet and ``<|endoftext|>`` included).
        steps: optimiser steps in all.
        batch_size: windows per step.
        lr: peak learning rate.
        warmup: steps of linear warm-up.
        min_lr_ratio: the cosine decay ends at ``lr * min_lr_ratio``.
        weight_decay: AdamW's decoupled weight decay.
        seed: initial weights and the order of the windows.
        checkpoint_every: steps between checkpoints.
        repeat_fraction: the fraction of training windows whose second half repeats their
            first half (copying a span seen earlier is what induction heads do; natural text
            rarely repeats within one window, so a small model seldom learns it unprompted).
        init_from: a GPT folder to start from (its weights and tokenizer; the shape must
            match) instead of random weights: further training of a finished model.
    """

    corpus: str = "wiki"
    vocab_size: int = 4096
    steps: int = 2000
    batch_size: int = 16
    lr: float = 3e-3
    warmup: int = 100
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    seed: int = 0
    checkpoint_every: int = 100
    repeat_fraction: float = 0.0
    init_from: str = ""


# ----------------------------------------------------------------------------- text


def _clean_wiki(text: str) -> str:
    """Paragraphs of prose from filtered wiki markup: no bold/italic quotes, headings,
    or the short caption lines galleries leave behind."""
    text = re.sub(r"'{2,}", "", text)
    keep = [p.strip() for p in text.split("\n") if len(p.split()) >= 8 and "==" not in p]
    return "\n".join(" ".join(p.split()) for p in keep)


def corpus_texts(name_or_path: str) -> tuple[list[str], str]:
    """Raw documents of a corpus and its fingerprint (sha256 of the source bytes).

    ``lee`` and ``wiki`` are read as raw text; ``brown`` (tokenised and tagged in its
    archive) is detokenised back into running text; a path is read as UTF-8 files.
    """
    from diaphane.text import load_corpus

    corpus = load_corpus(name_or_path)
    if name_or_path == "lee":
        text = corpus.sources[0].read_text(encoding="utf-8", errors="replace")
        docs = [line.strip() for line in text.splitlines() if line.strip()]
    elif name_or_path == "wiki":
        docs = [d for d in _wiki_pages(corpus.sources[0]) if d]
    elif name_or_path == "brown":
        docs = [detokenize(doc.sentences) for doc in corpus.documents()]
    elif Path(name_or_path).exists():
        docs = [_read(p) for p in corpus.sources]
        docs = [d for d in docs if d.strip()]
    else:
        raise DiaphaneError(
            f"Corpus {name_or_path!r} has no raw text for a GPT; use lee, wiki, brown or a "
            "text file."
        )
    if not docs:
        raise DiaphaneError(f"Corpus {name_or_path!r} holds no text; give it a file with some.")
    return docs, corpus.fingerprint


def corpus_groups(spec: str) -> list[tuple[str, list[str], str]]:
    """``(name, documents, fingerprint)`` for each part of ``spec`` (names joined by ``+``)."""
    names = [n for n in spec.split("+") if n] if "+" in spec else [spec]
    return [(name, *corpus_texts(name)) for name in names]


# Brown's tokens back to running text: its quote marks, and no space before punctuation
# or after an opening bracket.
_BROWN_QUOTES = {"``": '"', "''": '"', "--": "--"}
_NO_SPACE_BEFORE = re.compile(r" ([,.;:!?%)\]}]|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|n't\b)")
_NO_SPACE_AFTER = re.compile(r"([(\[{$]) ")


def detokenize(sentences: list[list[str]]) -> str:
    """One document's tokenised sentences as running text (Brown's conventions undone).

    >>> print(detokenize([["``", "It", "is", "n't", "so", ",", "''", "he", "said", "."]]))
    "It isn't so," he said.
    """
    out = []
    for sent in sentences:
        text = " ".join(_BROWN_QUOTES.get(w, w) for w in sent)
        text = _NO_SPACE_BEFORE.sub(r"\1", text)
        text = _NO_SPACE_AFTER.sub(r"\1", text)
        text = re.sub(r'" ([^"]*?) "', r'"\1"', text)
        out.append(text)
    return " ".join(out)


def _wiki_pages(path: Path) -> list[str]:
    import bz2

    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    with bz2.open(path) as f:
        return [
            _clean_wiki(filter_wiki(text))
            for _title, text, _id in extract_pages(f)
            if not text.lstrip().upper().startswith("#REDIRECT")
        ]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DiaphaneError(
            f"{path} is not UTF-8 text ({e.reason} at byte {e.start}); convert it to UTF-8 "
            "(e.g. iconv -f LATIN1 -t UTF-8)."
        ) from e


def split_texts(docs: list[str]) -> tuple[list[str], list[str]]:
    """Every 20th document for validation; with fewer than 20, the last 5% of the text."""
    if len(docs) >= VALID_EVERY:
        valid = docs[VALID_EVERY - 1 :: VALID_EVERY]
        train = [d for i, d in enumerate(docs) if i % VALID_EVERY != VALID_EVERY - 1]
        return train, valid
    text = "\n".join(docs)
    cut = int(len(text) * 0.95)
    return [text[:cut]], [text[cut:]]


def train_tokenizer(texts: list[str], vocab_size: int) -> Any:
    """A GPT-2 style byte-level BPE tokenizer (``tokenizers``), ``<|endoftext|>`` = id 0."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def token_stream(tokenizer: Any, texts: list[str]) -> np.ndarray:
    """All texts as one id stream, each document followed by ``<|endoftext|>``."""
    eot = tokenizer.token_to_id(EOT)
    ids: list[int] = []
    for enc in tokenizer.encode_batch(texts, add_special_tokens=False):
        ids.extend(enc.ids)
        ids.append(eot)
    return np.asarray(ids, dtype=np.int64)


def token_windows(stream: np.ndarray, context: int) -> np.ndarray:
    """Non-overlapping windows ``[N, context + 1]``: inputs and their next tokens."""
    n = (len(stream) - 1) // context
    if n < 1:
        raise DiaphaneError(
            f"The text has {len(stream)} tokens, too few for one window of {context + 1}; "
            "use more text or a shorter context."
        )
    idx = np.arange(n)[:, None] * context + np.arange(context + 1)
    return stream[idx]


def repeat_halves(windows: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A copy of ``windows`` in which ``fraction`` of the rows (drawn with ``seed``) have their
    second half replaced by the start of their first half: ``a b c ... a b c ...``.

    >>> repeat_halves(np.arange(10).reshape(2, 5), 0.5, 0).tolist()
    [[0, 1, 2, 3, 4], [5, 6, 7, 5, 6]]
    """
    if not 0.0 <= fraction <= 1.0:
        raise DiaphaneError(f"The repeat fraction must lie in [0, 1], not {fraction}.")
    out = windows.copy()
    n, width = out.shape
    rows = np.random.default_rng([seed, 1]).choice(n, size=round(fraction * n), replace=False)
    half = (width + 1) // 2
    out[rows, half:] = out[rows, : width - half]
    return out


# ----------------------------------------------------------------------------- loss


def lm_loss(params: dict, windows: np.ndarray, config: GPTConfig) -> Any:
    """Mean next-token cross-entropy (nats) of windows ``[B, T + 1]``."""
    out = gpt_forward(params, config, windows[:, :-1], None, False, False, False)
    v = config.vocab_size
    return cross_entropy(out.logits.reshape((-1, v)), windows[:, 1:].reshape(-1))


def mean_loss(params: dict, windows: np.ndarray, config: GPTConfig, batch: int = 32) -> float:
    """Token-weighted mean loss over windows, in batches (no gradients)."""
    total = 0.0
    for i in range(0, len(windows), batch):
        chunk = windows[i : i + batch]
        total += float(lm_loss(params, chunk, config)) * len(chunk)
    return total / len(windows)


def heldout_perplexity(model: Any, docs: list[str], batch: int = 16) -> dict:
    """Perplexity of ``model`` on ``docs`` per token and per whitespace word.

    Every token's loss counts (each document's ``<|endoftext|>`` too), over
    non-overlapping windows of the model's context; per word divides the same total
    by the number of whitespace-separated words, so models with different tokenizers
    compare fairly. Returns ``tokens``, ``words``, ``ppl_token`` and ``ppl_word``.
    """
    n = model.config.n_positions
    stream = token_stream(model.tokenizer, docs)
    starts = range(0, len(stream) - 1, n)
    total, tokens = 0.0, 0
    windows = [stream[s : s + n + 1] for s in starts]
    full = [w for w in windows if len(w) == n + 1]
    for i in range(0, len(full), batch):
        chunk = np.stack(full[i : i + batch])
        total += float(lm_loss(model.params, chunk, model.config)) * chunk[:, 1:].size
        tokens += chunk[:, 1:].size
    tail = windows[-1]
    if len(tail) < n + 1 and len(tail) > 1:
        total += float(lm_loss(model.params, tail[None], model.config)) * (len(tail) - 1)
        tokens += len(tail) - 1
    words = sum(len(d.split()) for d in docs)
    return {"tokens": tokens, "words": words, "ppl_token": math.exp(total / tokens),
            "ppl_word": math.exp(total / words)}  # fmt: skip


def schedule(cfg: GPTTrainConfig):
    """Linear warm-up to ``lr``, then cosine decay to ``lr * min_lr_ratio`` at the last step."""

    def lr(step: int) -> float:
        if step <= cfg.warmup:
            return cfg.lr * step / max(cfg.warmup, 1)
        frac = min((step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1), 1.0)
        low = cfg.lr * cfg.min_lr_ratio
        return low + 0.5 * (cfg.lr - low) * (1 + math.cos(math.pi * frac))

    return lr


# ----------------------------------------------------------------------------- training


def _tokenizer_for(train_texts: list[str], cfg: GPTTrainConfig, ckpt: Path, resume: bool) -> Any:
    """The checkpoint's tokenizer when resuming (so ids keep their meaning), else a new one."""
    last = ckpt / "last"
    if resume and (last / "tokenizer.json").is_file():
        log.info("Resuming with the tokenizer of %s.", last)
        return load_tokenizer(last)
    log.info("Training a byte-level BPE tokenizer of %d tokens.", cfg.vocab_size)
    return train_tokenizer(train_texts, cfg.vocab_size)


def _validation_log(windows: np.ndarray, config: GPTConfig, every: int):
    """A training callback that measures the validation loss every ``every`` steps and
    records it in the training history (so it is checkpointed and resumes exactly)."""

    def callback(state: Any, params: dict) -> None:
        if every and state.step % every == 0:
            loss = mean_loss(params, windows, config)
            state.history.append({"step": state.step, "valid_loss": loss})
            log.info("step %d: validation loss %.4f (perplexity %.1f)", state.step, loss,
                     math.exp(loss))  # fmt: skip

    return callback


def _starting_model(folder: str, model_config: GPTConfig) -> GPT:
    """The GPT in ``folder``, refused unless it has the shape asked for."""
    from diaphane.models.gpt import load_gpt

    start = load_gpt(folder, dtype=model_config.dtype)
    shape = ("n_layer", "n_embd", "n_head", "n_positions")
    theirs = {k: getattr(start.config, k) for k in shape}
    ours = {k: getattr(model_config, k) for k in shape}
    if theirs != ours:
        raise DiaphaneError(
            f"{folder} holds a GPT of shape {theirs}, not the {ours} asked for; give the "
            "same --layers, --width, --heads and --context as the model you start from."
        )
    log.info("Starting from the weights and tokenizer of %s.", folder)
    return start


def _fingerprint(docs: list[str]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.encode("utf-8") + b"\0")
    return h.hexdigest()


def train_gpt(
    model_config: GPTConfig,
    cfg: GPTTrainConfig,
    out: str | Path,
    resume: bool = False,
    progress: bool | None = None,
    command: str = "",
    checkpoint_dir: str | Path | None = None,
    force: bool = False,
) -> GPT:
    """Train a GPT from scratch on ``cfg.corpus`` and write it to ``out``.

    Checkpoints go to ``checkpoint_dir/last`` (every ``cfg.checkpoint_every`` steps
    and on Ctrl-C); ``resume=True`` continues from there exactly. The final model
    folder ``out`` (config.json, model.safetensors, tokenizer.json) records the seed,
    the corpus fingerprint, the final validation loss and ``command``.

    Args:
        model_config: the model's shape; ``vocab_size`` is replaced by the tokenizer's.
        cfg: data, optimiser and schedule settings.
        out: output folder.
        resume: continue from the last checkpoint in ``checkpoint_dir``.
        progress: progress bar on stderr (None: when stderr is a terminal).
        command: the command line that reproduces this run, recorded in config.json.
        checkpoint_dir: checkpoint folder (default ``OUT.checkpoints``, beside ``out``).
        force: replace ``out`` even if it is not a GPT folder diaphane wrote.

    Returns:
        The trained model.
    """
    from diaphane.nn.model_folder import check_replaceable
    from diaphane.nn.optim import Adam
    from diaphane.nn.train import ArrayBatches, TrainConfig, train

    out = Path(out)
    check_replaceable(out, "gpt", force)  # before the work, not after it
    groups = corpus_groups(cfg.corpus)
    splits = {name: split_texts(docs) for name, docs, _fp in groups}
    train_texts = [t for train_part, _ in splits.values() for t in train_part]
    ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else Path(f"{out}.checkpoints")
    start = _starting_model(cfg.init_from, model_config) if cfg.init_from else None
    tokenizer = start.tokenizer if start else _tokenizer_for(train_texts, cfg, ckpt, resume)
    config = GPTConfig(**{**model_config.to_dict(), "vocab_size": tokenizer.get_vocab_size()})
    train_w = token_windows(token_stream(tokenizer, train_texts), config.n_positions)
    if cfg.repeat_fraction:
        train_w = repeat_halves(train_w, cfg.repeat_fraction, cfg.seed)
    valid_sets = {
        name: token_windows(token_stream(tokenizer, valid), config.n_positions)[:MAX_VALID_WINDOWS]
        for name, (_, valid) in splits.items()
    }
    valid_w = np.concatenate(list(valid_sets.values()))
    log.info("%d training windows, %d validation windows.", len(train_w), len(valid_w))
    if len(groups) == 1:
        fingerprint, docs_fp = groups[0][2], _fingerprint(groups[0][1])
    else:
        fingerprint = {name: fp for name, _, fp in groups}
        docs_fp = {name: _fingerprint(docs) for name, docs, _ in groups}
    params = dict(start.params) if start else init_params(config, cfg.seed)
    params["h"] = {str(i): b for i, b in enumerate(blocks_of(params))}  # checkpoints hold no lists
    info = {
        "corpus": cfg.corpus, "corpus_fingerprint": fingerprint, "text_fingerprint": docs_fp,
        "seed": cfg.seed, "training": asdict(cfg), "command": command,
        "train_tokens": int(train_w[:, :-1].size), "valid_tokens": int(valid_w[:, :-1].size),
    }  # fmt: skip
    bare = GPT(config, params, tokenizer, info=info)
    result = train(
        lambda p, w: lm_loss(p, w, config),
        params,
        Adam(schedule(cfg), betas=(0.9, 0.95), weight_decay=cfg.weight_decay, decoupled=True),
        ArrayBatches([train_w], batch_size=cfg.batch_size, seed=cfg.seed),
        callbacks=[_validation_log(valid_w[:: max(len(valid_w) // 64, 1)], config,
                                   cfg.checkpoint_every)],
        config=TrainConfig(
            epochs=10**6, patience=0, checkpoint_dir=ckpt, max_steps=cfg.steps,
            checkpoint_every=cfg.checkpoint_every, progress=progress,
        ),
        model_config=config_to_json(bare),
        extra_files={"tokenizer.json": tokenizer.to_str()},
        resume=resume,
    )  # fmt: skip
    params = dict(result.params)
    params["h"] = blocks_of(params)
    valid_loss = mean_loss(params, valid_w, config)
    info |= {"steps": result.state.step, "stopped": result.state.stopped}
    info |= {"valid_loss": valid_loss, "valid_ppl": math.exp(valid_loss)}
    if len(valid_sets) > 1:
        info["valid_by_corpus"] = {
            name: {"loss": (loss := mean_loss(params, w, config)), "ppl": math.exp(loss),
                   "tokens": int(w[:, :-1].size)}
            for name, w in valid_sets.items()
        }  # fmt: skip
    info["history"] = result.state.history
    log.info("Validation loss %.4f (perplexity %.1f).", valid_loss, math.exp(valid_loss))
    model = GPT(config, params, tokenizer, info=info)
    if not result.interrupted:
        model.save(out, force=force)
    return model
