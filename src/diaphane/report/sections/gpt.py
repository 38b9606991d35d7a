"""The report's GPT section: how the shipped (or ``--model``) GPT forms its predictions.

Every number is measured on ``run.gpt()`` in this run; nothing about the model's
answers is assumed. The section

1. picks, with :func:`diaphane.lens.probes.right_answers`, a prompt the model
   completes correctly and shows its logit-lens rankings;
2. follows " are" against " is" through the layers on an agreement prompt and gives
   the per-layer agreement rate over :data:`~diaphane.lens.probes.AGREEMENT_PROMPTS`;
3. attributes that choice to the input tokens with integrated gradients;
4. traces the same prompt's attention back to its tokens (rollout and flow);
5. measures induction on a random sequence shown twice;
6. factorises the MLP neurons on a few sentences.

Layers are counted as in the figures: 0 is the embeddings, ``n`` the output of the
``n``-th block; the last is the model's own output.

Entry points: :func:`build`, :data:`ID`, :data:`TITLE`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from diaphane.errors import DiaphaneError
from diaphane.lens import probes
from diaphane.report.document import FigureBlock, Note, Prose, Section, TableBlock
from diaphane.report.run import ReportRun
from diaphane.report.sections import _gpt_parts as parts
from diaphane.report.sections._gpt_parts import layer_name, q

__all__ = ["ID", "TITLE", "build", "settings"]

ID = "gpt"
TITLE = "Inside the GPT"


def settings(quick: bool) -> dict:
    """The section's sizes: integration steps, induction length, factors and texts."""
    if quick:
        return {"ig_steps": 12, "induction_length": 12, "factors": 4, "texts": 3}
    return {"ig_steps": 64, "induction_length": 24, "factors": 6, "texts": len(parts.FACTOR_TEXTS)}


def build(run: ReportRun) -> Section:
    """The GPT section: rankings, agreement, saliency, attention, induction, factors."""
    start = time.perf_counter()
    model = run.gpt()
    if getattr(model, "tokenizer", None) is None:
        raise DiaphaneError("the GPT has no tokenizer; pass --model a folder with tokenizer.json")
    s = settings(run.quick)
    facts: dict = {"settings": s}
    run.status("gpt: logit lens and agreement")
    blocks = [*_about(run, model, facts), *_rankings(model, facts)]
    agreement, shown = _agreement_measure(model)
    blocks += _agreement(model, agreement, shown, facts)
    run.status("gpt: saliency and attention")
    blocks += parts.saliency_blocks(model, shown, s["ig_steps"], facts)
    blocks += parts.attention_blocks(model, shown[0], facts)
    run.status("gpt: induction and neuron factors")
    blocks += parts.induction_blocks(model, s["induction_length"], run.seed, facts)
    blocks += parts.factor_blocks(model, s, run.seed, facts)
    facts["section_seconds"] = round(time.perf_counter() - start, 2)
    summary = (
        f"A {model.config.n_layer}-layer GPT read layer by layer: agreement right in "
        f"{facts['agreement']['rate'][-1]:.0%} of the prompts at the output."
    )
    return Section(ID, TITLE, blocks, summary=summary, facts=facts)


# ----------------------------------------------------------------------------- the model


def _about(run: ReportRun, model: Any, facts: dict) -> list:
    c, info = model.config, model.info
    ppl = info.get("valid_ppl")
    source = run.models.get("gpt", {}).get("source", "shipped default")
    facts["model"] = {
        "source": source, "n_layer": c.n_layer, "n_embd": c.n_embd, "n_head": c.n_head,
        "vocab_size": c.vocab_size, "n_positions": c.n_positions, "valid_ppl": ppl,
        "corpus": info.get("corpus"), "steps": info.get("steps"),
    }  # fmt: skip
    trained = ""
    if info.get("corpus"):
        trained = f" diaphane trained it on {info['corpus']}"
        trained += f" for {info['steps']:,} steps." if info.get("steps") else "."
    ppl_text = f"{ppl:.1f}" if ppl else "not recorded"
    who = "the model shipped with diaphane" if source == "shipped default" else f"`{source}`"
    text = (
        f"This section looks inside a GPT-style transformer: {who}, "
        f"{c.n_layer} layers of width {c.n_embd} with {c.n_head} attention heads each, a "
        f"vocabulary of {c.vocab_size:,} tokens and a context of {c.n_positions} tokens."
        f"{trained} Its validation perplexity is {ppl_text}"
        + (
            f": on held-out text it is, on average, as unsure as a choice among {ppl:.0f} "
            "equally likely tokens."
            if ppl
            else "."
        )
        + " Everything below is measured on this model in this run."
    )
    # Plain prose, not a Metric row: the article's template cannot show Metric blocks yet.
    return [Prose(text)]


# ----------------------------------------------------------------------------- rankings


def choose_prompt(scores: list[probes.CandidateScore]) -> probes.CandidateScore:
    """The most confident right answer; if none is right, the best-ranked candidate."""
    right = [c for c in scores if c.right]
    if right:
        return max(right, key=lambda c: c.prob)
    scored = [c for c in scores if c.ranks is not None]
    if not scored:
        raise DiaphaneError("no candidate prompt has a single-token answer for this tokenizer")
    return min(scored, key=lambda c: (c.final_rank, -c.prob))


def _rankings(model: Any, facts: dict) -> list:
    from diaphane.lens import layer_rankings
    from diaphane.lens.figures import RankingsFigure

    scores = probes.score_candidates(model)
    right = [c for c in scores if c.right]
    chosen = choose_prompt(scores)
    r = layer_rankings(model, chosen.prompt, watch=[chosen.expected])
    figure = RankingsFigure.from_rankings(
        r, targets=("output", "watch"), vocab_size=model.config.vocab_size
    )
    n_scored = sum(c.ranks is not None for c in scores)
    facts["candidates"] = {
        "total": len(scores), "scored": n_scored,
        "right": [[c.prompt, c.expected, c.first_layer, round(c.prob, 4)] for c in right],
        "unscorable": [[c.prompt, c.expected] for c in scores if c.ranks is None],
    }  # fmt: skip
    facts["rankings"] = {
        "prompt": chosen.prompt, "expected": chosen.expected, "right": chosen.right,
        "first_layer": chosen.first_layer, "output_prob": round(chosen.prob, 4),
        "ranks": [int(x) for x in chosen.ranks],
    }  # fmt: skip
    blocks: list[Any] = [Prose(_rankings_prose(scores, right, chosen, n_scored))]
    if not right:
        blocks.append(Note(
            f"None of the {n_scored} scorable candidates is this model's top prediction; the "
            f"figure shows the best-ranked one, {q(chosen.expected)} at rank "
            f"{chosen.final_rank}.", kind="warning",
        ))  # fmt: skip
    blocks.append(FigureBlock(
        "rankings", figure,
        f"Rows are layers, columns the prompt's tokens; a cell is the rank (1 = top) of the "
        f"token predicted next. Read the last column of the {q(chosen.expected)} panel "
        "from the top down: the layer where it turns darkest is where the answer forms.",
        height=520,
    ))  # fmt: skip
    if right:
        blocks.append(TableBlock(
            ["prompt", "expected", "first layer at rank 1", "output probability"],
            [[c.prompt, repr(c.expected), c.first_layer, c.prob] for c in right],
            caption="The candidate prompts this model gets right (its top-1 next token).",
            name="right-answers",
        ))  # fmt: skip
    return blocks


def _rankings_prose(scores, right, chosen, n_scored) -> str:
    n_rows = len(chosen.ranks)
    text = (
        "The *logit lens* reads every layer's hidden state as if it were the last: through the "
        "final LayerNorm and the unembedding, each layer gives a ranking of the whole "
        f"vocabulary for the next token. To pick a prompt worth watching, {len(scores)} "
        "candidate completions (names, set phrases, counting and calendar sequences) were run "
        f"through the model; {n_scored} have an answer that is one token for its tokenizer, "
        f"and the model's top prediction is the expected token in {len(right)} of them."
    )
    if not chosen.right:
        return text
    first = chosen.first_layer
    when = (
        "only at the output"
        if first == n_rows - 1
        else f"already at layer {first} of {n_rows - 1}"
        if first
        else "already in the embeddings"
    )
    return text + (
        f"\n\nThe figure follows the most confident of them: “{chosen.prompt}” → "
        f"{q(chosen.expected)}, with probability {chosen.prob:.2f} at the output. The "
        f"expected token first reaches rank 1 {when}."
    )


# ----------------------------------------------------------------------------- agreement


def _agreement_measure(model: Any) -> tuple[probes.AgreementResult, tuple[str, str, str]]:
    result = probes.agreement_by_layer(model)
    return result, result.prompts[0]  # the first kept: "The keys to the cabinet" if it scores


def _agreement(model: Any, a: probes.AgreementResult, shown: tuple, facts: dict) -> list:
    from diaphane.lens import layer_rankings
    from diaphane.lens.figures import RankingsFigure

    prompt, good, bad = shown
    r = layer_rankings(model, prompt, watch=[good, bad])
    figure = RankingsFigure.from_rankings(r, targets=("watch",), vocab_size=model.config.vocab_size)
    rows = a.n_layers
    facts["agreement"] = {
        "prompts": len(a.prompts), "skipped": [list(p) for p, _ in a.skipped],
        "rate": [round(float(x), 4) for x in a.rate],
        "shown": {"prompt": prompt, "grammatical": good, "ungrammatical": bad,
                  "good_rank": [int(x) for x in a.good_rank[0]],
                  "bad_rank": [int(x) for x in a.bad_rank[0]]},
    }  # fmt: skip
    table = TableBlock(
        ["layer", "prompts right", "rate", "median rank, grammatical", "median rank, other"],
        [
            [layer_name(lay, rows), int(a.correct[:, lay].sum()), float(a.rate[lay]),
             float(np.median(a.good_rank[:, lay])), float(np.median(a.bad_rank[:, lay]))]
            for lay in range(rows)
        ],
        caption=f"Subject-verb agreement over {len(a.prompts)} prompts with an attractor noun, "
        "read from every layer.",
        highlight=[(1 + int(np.argmax(a.rate[1:])), 2)], name="agreement",
    )  # fmt: skip
    blocks: list[Any] = [
        Prose(_agreement_prose(a, shown)),
        FigureBlock(
            "agreement", figure,
            f"Two panels, {q(good)} above {q(bad)}; the last column is the prediction after "
            f"the whole prompt. Where the {q(good)} cell is darker than the {q(bad)} cell, "
            "that layer prefers the grammatical verb.",
            height=460,
        ),
        table,
    ]  # fmt: skip
    if a.skipped:
        blocks.append(Note(f"{len(a.skipped)} prompts were left out: {a.skipped[0][1]}."))
    return blocks


def _agreement_prose(a: probes.AgreementResult, shown: tuple) -> str:
    prompt, good, bad = shown
    g, b = int(a.good_rank[0, -1]), int(a.bad_rank[0, -1])
    verdict = "prefers the grammatical verb" if a.correct[0, -1] else "falls for the attractor"
    best = 1 + int(np.argmax(a.rate[1:]))  # layer 0 sees the last token alone
    return (
        f"A verb agrees with its subject, not with the noun nearest to it: “{prompt}” goes on "
        f"with {q(good)}, not {q(bad)}. Watching both candidates through the layers shows "
        f"where the choice is made. At the output this model ranks "
        f"{q(good)} #{g} and {q(bad)} #{b}: it {verdict} here.\n\n"
        f"One prompt proves little, so the table scores {len(a.prompts)} such prompts, half "
        "with a singular subject and a plural attractor, half the other way round. At the "
        f"output the grammatical verb wins in {a.rate[-1]:.0%} of them. Chance is 50%; a model "
        "that simply copied the number of the nearest noun would score 0%, so a rate below "
        f"half means the attractor wins more often than the subject. Layer 0, the embedding of "
        f"the last token alone, scores {a.rate[0]:.0%} from the attractor word itself; the best "
        f"block is layer {layer_name(best, a.n_layers)}, at {a.rate[best]:.0%}."
    )
