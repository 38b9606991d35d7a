"""``diaphane lens``, ``diaphane saliency`` and ``diaphane attention``: look inside a GPT.

Each takes an optional model before the text: a folder (a Hugging Face GPT-2
checkpoint or a model diaphane trained) or a model name found offline in the
Hugging Face cache (``gpt2``, ``openai-community/gpt2``; an existing folder of that
name wins). With one input it is the text, and the small model shipped with
diaphane is used; with two, the first is the model. Each prints a table;
``--out FILE`` also writes the figure (an HTML page, or PNG/SVG by the file's
suffix or ``--format``; ``--out -`` writes HTML or SVG to standard output instead
of the table).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from diaphane.cli import UsageError
from diaphane.cli.options import add_force, check_out_file, integer

FORMATS = ("html", "png", "svg")
FLOW_TOKENS = 32  # longer texts get attention flow in the page only when --method flow asks
MAX_STEPS = 10_000  # each step is a forward and a backward pass: a typo must not run for days
RULES = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "lens",
        help="logit lens: how each layer ranks the output and watched tokens",
        description="For every layer, read the hidden state through the final LayerNorm and "
        "the unembedding: rank and probability of the output token, the watched tokens, and "
        "the top-k predictions.",
    )
    _model_text_args(p)
    p.add_argument("--watch", nargs="+", default=[], metavar="TOKEN", help="tokens to follow")
    p.add_argument("-k", type=integer(), default=5, help="top predictions per layer (default 5)")
    p.add_argument("--position", type=int, default=-1, help="position to show (default last)")
    p.add_argument(
        "--ecco", action="store_true", help="Ecco's variant: no final LayerNorm on inner layers"
    )
    p.add_argument(
        "--show", nargs="+", choices=("output", "next", "watch"), default=["output", "watch"],
        help="figure panels: the output token, the actual next token, the watched tokens",
    )  # fmt: skip
    p.set_defaults(func=_lens)

    p = subparsers.add_parser(
        "saliency",
        help="which input tokens a prediction rests on",
        description="Attribute the probability (logit, log-prob) of a target token at the last "
        "position to the input tokens: gradient, gradient x input, integrated gradients.",
    )
    _model_text_args(p)
    p.add_argument("--method", choices=("grad", "gradxinput", "ig"), default="ig")
    p.add_argument("--target", help="the token explained (default: the model's prediction)")
    p.add_argument("--contrast", help="explain target minus this token")
    p.add_argument("--quantity", choices=("prob", "logit", "logprob"), default="prob")
    p.add_argument("--steps", type=integer(1, MAX_STEPS), default=50,
                   help=f"integration steps, 1 to {MAX_STEPS:,} (default 50)")  # fmt: skip
    p.add_argument("--rule", choices=RULES, default="gausslegendre")
    p.add_argument("--baseline", choices=("zero", "pad", "unk"), default="zero")
    p.add_argument("--aggregate", choices=("l2", "sum"), default="l2")
    p.set_defaults(func=_saliency)

    p = subparsers.add_parser(
        "attention",
        help="attention rollout or attention flow back to the input tokens",
        description="Abnar & Zuidema's attention rollout and attention flow, heads averaged and "
        "the residual added.",
    )
    _model_text_args(p)
    p.add_argument("--method", choices=("rollout", "flow"), default="rollout")
    p.add_argument("--position", type=int, default=-1, help="output position (default last)")
    p.add_argument("--matrix", action="store_true", help="print all positions as a matrix")
    p.set_defaults(func=_attention)


def _model_text_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="[MODEL_DIR] TEXT",
                   help="model folder or Hugging Face model name (default: the shipped "
                   "model), and the text")  # fmt: skip
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument(
        "--out", metavar="FILE", help="also write the figure (HTML; .png/.svg by suffix; - stdout)"
    )
    p.add_argument("--format", choices=FORMATS, help="figure format (default: from --out's suffix)")
    add_force(p, files=True)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.out).suffix.lower().lstrip(".")
    return suffix if suffix in ("png", "svg") else "html"


def _emit(make_figure: Any, table: str, args: argparse.Namespace) -> int:
    """Print the table, and write the figure when ``--out`` asks for it (``-``: instead)."""
    if args.out is None:
        if args.format:
            raise UsageError(f"--format {args.format} writes a figure: pass --out FILE too.")
        print(table)
        return 0
    fmt = _format(args)
    if args.out == "-":
        if fmt == "png":
            raise UsageError("PNG output is binary: pass --out FILE.png")
        fig = make_figure()
        sys.stdout.write(fig.to_html() if fmt == "html" else fig.to_svg())
        return 0
    print(table)
    fig = make_figure()
    if fmt == "html":
        fig.to_html(args.out)
    elif fmt == "svg":
        fig.to_svg(args.out)
    else:
        fig.to_png(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _load(args: argparse.Namespace) -> tuple[Any, str]:
    from diaphane.models.gpt import default_model, load_gpt

    check_out_file(args.out, args.force)  # before the model loads: refusals come first
    if len(args.inputs) > 2:
        raise UsageError(
            f"Expected [MODEL_DIR] TEXT, got {len(args.inputs)} arguments; quote the text."
        )
    if len(args.inputs) == 2:  # the first is the model: a folder, or a name in HF's cache
        name_or_folder, text = args.inputs
        model = load_gpt(name_or_folder, dtype=args.dtype)
    else:
        (text,) = args.inputs
        model = default_model(dtype=args.dtype)
    if not text.strip():
        raise UsageError("The text is empty; give the words the model should read.")
    return model, text


def _lens(args: argparse.Namespace) -> int:
    from diaphane.lens import layer_rankings

    model, text = _load(args)
    r = layer_rankings(model, text, watch=args.watch, k=args.k, ecco_compatible=args.ecco)
    _check_position(args.position, len(r.ids))

    def figure() -> Any:
        from diaphane.lens.figures import RankingsFigure

        return RankingsFigure.from_rankings(
            r, targets=args.show, vocab_size=model.config.vocab_size, position=args.position
        )

    return _emit(figure, r.table(args.position), args)


def _saliency(args: argparse.Namespace) -> int:
    from diaphane.lens import saliency

    model, text = _load(args)
    s = saliency(
        model, text, target=args.target, method=args.method, quantity=args.quantity,
        contrast=args.contrast, n_steps=args.steps, rule=args.rule, baseline=args.baseline,
        aggregate=args.aggregate,
    )  # fmt: skip

    def figure() -> Any:
        from diaphane.lens.figures import SaliencyFigure

        return SaliencyFigure.from_saliency(s)

    return _emit(figure, s.table(), args)


def _attention(args: argparse.Namespace) -> int:
    from diaphane.lens import attention_flow, attention_rollout, model_attentions
    from diaphane.lens.rankings import encode, token_text

    model, text = _load(args)
    ids = encode(model, text)
    _check_position(args.position, len(ids))
    att = model_attentions(model, text)
    values = attention_flow(att) if args.method == "flow" else attention_rollout(att)[-1]
    tokens = [token_text(model, t) for t in ids]
    table = _matrix(values, tokens) if args.matrix else _row(values, tokens, args.position)

    def figure() -> Any:
        from diaphane.lens.figures import AttentionFigure

        flow = args.method == "flow" or len(ids) <= FLOW_TOKENS
        return AttentionFigure(
            tokens=tokens, attentions=att.astype("float64"), rollout=attention_rollout(att),
            flow=attention_flow(att, all_layers=True) if flow else None, view=args.method,
        )  # fmt: skip

    return _emit(figure, table, args)


def _check_position(position: int, n: int) -> None:
    if not -n <= position < n:
        raise UsageError(
            f"--position {position} is outside the text's {n} tokens; use one from {-n} to "
            f"{n - 1} (negative: from the end)."
        )


def _row(values: Any, tokens: list[str], position: int) -> str:
    pos = range(len(tokens))[position]
    width = max(len(repr(t)) for t in tokens)
    lines = [f"position {pos} ({tokens[pos]!r}) draws on:"]
    top = max(float(values[pos].max()), 1e-12)
    for tok, v in zip(tokens, values[pos], strict=True):
        lines.append(f"  {tok!r:<{width}}  {v:.4f}  {'#' * round(20 * v / top)}")
    return "\n".join(lines)


def _matrix(values: Any, tokens: list[str]) -> str:
    width = max(len(repr(t)) for t in tokens)
    lines = [" " * width + "  " + " ".join(f"{i:>6}" for i in range(len(tokens)))]
    for tok, row in zip(tokens, values, strict=True):
        lines.append(f"{tok!r:<{width}}  " + " ".join(f"{v:6.3f}" for v in row))
    return "\n".join(lines)
