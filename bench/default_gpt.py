"""The shipped default GPT against the one it replaced: held-out perplexity and the lens probes.

    python bench/default_gpt.py [--old-rev REV] [--no-write] [--model DIR]

Both models are measured here, on the same held-out documents (every 20th document of
each embedded corpus, the trainer's own split), per whitespace word (fair across their
different tokenizers) and per token. The old model is read from git (``--old-rev``,
default: the last commit before the shipped weights changed); without git history its
rows are left out. Also recorded: the agreement rate at the output and the induction
rank against issue 13's goals, the right answers among the candidate prompts, and the
shipped model's validation curve and training time from its ``config.json``.
``--model DIR`` measures another GPT folder (a checkpoint, a candidate) in its place,
without writing bench/results.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # standard library only

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = Path("src/diaphane/data/default_gpt")
FILES = ("config.json", "model.safetensors", "tokenizer.json")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True).stdout


def old_model(rev: str | None, into: Path) -> tuple[Path, str] | None:
    """The shipped model folder as of ``rev`` (default: before the last weight change)."""
    try:
        if rev is None:
            revs = _git("log", "--format=%H", "--", str(SHIPPED / "model.safetensors")).split()
            changed = [r.decode() for r in revs]
            head_differs = _git("status", "--porcelain", "--", str(SHIPPED)).strip()
            rev = changed[0] if head_differs else changed[1]
        for name in FILES:
            (into / name).write_bytes(_git("show", f"{rev}:{SHIPPED / name}"))
    except (subprocess.CalledProcessError, IndexError, FileNotFoundError) as err:
        print(f"no old model from git ({err}); its rows are left out", file=sys.stderr)
        return None
    return into, rev[:10]


def measure(model, corpora: list[str]) -> dict:
    from diaphane.lens.probes import agreement_by_layer, induction_ranks, right_answers
    from diaphane.models.gpt_train import corpus_texts, heldout_perplexity, split_texts

    out: dict = {"heldout": {}}
    for name in corpora:
        docs, _ = corpus_texts(name)
        out["heldout"][name] = heldout_perplexity(model, split_texts(docs)[1])
    out["agreement"] = agreement_by_layer(model).rate.tolist()
    out["induction"] = induction_ranks(model).median_second.tolist()
    out["right"] = len(right_answers(model))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old-rev", default=None, help="git revision of the old model")
    p.add_argument("--corpora", default="wiki+lee+brown")
    p.add_argument("--no-write", action="store_true", help="do not write bench/results")
    p.add_argument("--model", type=Path, help="measure this GPT folder (implies --no-write)")
    args = p.parse_args(argv)
    common.pin_threads(2)
    from diaphane.models.gpt import default_model, load_gpt

    corpora = args.corpora.split("+")
    new = load_gpt(args.model) if args.model else default_model()
    ours = measure(new, corpora)
    info = new.info
    size = f"{new.config.n_layer} layers x {new.config.n_embd}, {info['steps']} steps"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        found = old_model(args.old_rev, Path(tmp))
        if found:
            old = load_gpt(found[0])
            theirs = measure(old, corpora)
            peer = (f"the model it replaced ({old.config.n_layer} layers x {old.config.n_embd}, "
                    f"{old.info.get('steps')} steps; git {found[1]})")  # fmt: skip
            for name in corpora:
                a, b = ours["heldout"][name], theirs["heldout"][name]
                what = f"default GPT ({size}): held-out {name} perplexity per word"
                what += f" ({a['words']:,} words)"
                rows.append(common.row(what, a["ppl_word"], b["ppl_word"], peer, "perplexity", 1))
            rows.append(common.row("default GPT: candidate prompts completed right (of 40+)",
                                   ours["right"], theirs["right"], peer, "prompts", 1,
                                   better="higher"))  # fmt: skip
    wiki = ours["heldout"]["wiki"]
    rows += [
        common.row(f"default GPT: held-out wiki perplexity per token ({wiki['tokens']:,} tokens)",
                   wiki["ppl_token"], 284 / 2, "issue 13 goal: half of the old 284",
                   "perplexity", 1, kind="reference"),
        common.row("default GPT: subject-verb agreement right at the output",
                   ours["agreement"][-1], 0.8, "issue 13 goal", "rate", 1, kind="reference",
                   better="higher"),
        common.row("default GPT: median rank of the next token in a repeated random "
                   "sequence's second half, best layer", min(ours["induction"]), 1.0,
                   "issue 13 goal (induction)", "rank", 1, kind="reference", better="lower"),
    ]  # fmt: skip
    curve = [h for h in info.get("history", []) if "valid_loss" in h]

    for h in curve[:: max(len(curve) // 8, 1)] + curve[-1:]:
        rows.append(common.row(f"default GPT validation perplexity per token at step {h['step']}",
                               math.exp(h["valid_loss"]), None, "", "perplexity", 1,
                               kind="sweep"))  # fmt: skip
    common.print_rows("default GPT", rows)
    print(json.dumps({"ours": ours, "recipe": info.get("command"),
                      "note": info.get("recipe_note")}, indent=1))  # fmt: skip
    if not (args.no_write or args.model):
        path = common.write_result("default_gpt", rows, command="python bench/default_gpt.py")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
