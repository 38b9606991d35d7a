"""Measure a GPT folder the way issue 13 asks: held-out perplexity and what the lens shows.

    python docs/measure_gpt.py [MODEL_DIR ...] [--json OUT.json]

For each model (default: the shipped one): perplexity per word on the held-out
documents of each embedded corpus (every 20th document, the trainer's own split; the
loss of every token, end-of-text included, over the number of whitespace-separated
words, so models with different tokenizers compare fairly), the subject-verb agreement
rate per layer, the induction ranks in a repeated random sequence, and the candidate
prompts it completes right.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from diaphane.lens.probes import agreement_by_layer, induction_ranks, right_answers
from diaphane.models.gpt import default_model_path
from diaphane.models.gpt_load import load_gpt
from diaphane.models.gpt_train import corpus_texts, heldout_perplexity, split_texts


def measure(folder: Path, corpora: list[str]) -> dict:
    model = load_gpt(folder)
    result: dict = {"model": str(folder), "heldout": {}}
    for name in corpora:
        docs, _ = corpus_texts(name)
        result["heldout"][name] = heldout_perplexity(model, split_texts(docs)[1])
    agree = agreement_by_layer(model)
    result["agreement_rate"] = agree.rate.tolist()
    induction = induction_ranks(model)
    result["induction_median_second"] = induction.median_second.tolist()
    result["induction_rank_one_layer"] = induction.rank_one_layer
    result["right_answers"] = [[c.prompt, c.expected, c.first_layer]
                               for c in right_answers(model)]  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="*", type=Path, default=[default_model_path()])
    p.add_argument("--corpora", default="wiki+lee+brown")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    results = [measure(m, args.corpora.split("+")) for m in args.models]
    for r in results:
        print(r["model"])
        for name, h in r["heldout"].items():
            print(f"  held-out {name}: {h['ppl_word']:.1f} per word, {h['ppl_token']:.1f} per "
                  f"token ({h['words']:,} words, {h['tokens']:,} tokens)")  # fmt: skip
        print("  agreement rate per layer:", " ".join(f"{x:.2f}" for x in r["agreement_rate"]))
        print("  induction median rank (2nd repeat) per layer:", r["induction_median_second"])
        print(f"  right answers: {len(r['right_answers'])}")
        for prompt, expected, layer in r["right_answers"]:
            print(f"    {prompt!r} -> {expected!r} (rank 1 from layer {layer})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
