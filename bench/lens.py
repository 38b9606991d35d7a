"""The lens on a GPT-2-small-sized model: diaphane against torch + Captum (CPU).

A random GPT-2 small (12 layers, 768 wide, 12 heads, the full 50,257-token
vocabulary) built by diaphane, saved, and loaded by transformers: both sides
hold the same weights. On 10 tokens, alternating ours and theirs, medians of
several runs:

- integrated gradients, 50 Gauss-Legendre steps, target probability at the last
  position (Captum: all 50 steps in one batch; ours: chunks bounded to about 512 MiB);
- gradient x input (Captum's InputXGradient);
- the logit lens over all layers x positions (ranks and probabilities of the
  output token and two watched tokens, top-5), against the same computation in
  torch on transformers' hidden states;
- a forward pass with hidden states and attentions;
- attention flow over 64 tokens x 12 layers (all 2,080 causal pairs), against
  networkx's max-flow timed on a few pairs and scaled to all of them.

    nice python bench/lens.py [--runs 5] [--threads 2] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="timed runs of each (median)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--nx-pairs", type=int, default=6, help="networkx pairs to time")
    p.add_argument("--no-write", action="store_true", help="do not write bench/results")
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    import common

    common.pin_threads(ARGS.threads)

import common  # noqa: E402
import numpy as np  # noqa: E402

N_TOKENS, N_STEPS, FLOW_TOKENS = 10, 50, 64


def build(vocab: int):
    """Our random GPT-2 small and the same weights in transformers."""
    import transformers

    from diaphane.models.gpt import GPT, GPTConfig

    cfg = GPTConfig(vocab_size=vocab, n_positions=1024, n_embd=768, n_layer=12, n_head=12)
    ours = GPT(cfg, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        ours.save(tmp)
        theirs = transformers.GPT2LMHeadModel.from_pretrained(tmp, attn_implementation="eager")
    return ours, theirs.eval()


def torch_lens(hf, ids, watch, k=5):
    """The logit lens in torch: ranks (ties by id), probabilities, top-k."""
    import torch

    with torch.no_grad():
        out = hf(ids[None], output_hidden_states=True)
        states = torch.stack([h[0] for h in out.hidden_states[:-1]])
        logits = torch.cat([hf.lm_head(hf.transformer.ln_f(states)), out.logits])
        output = logits[-1].argmax(-1)
        nxt = torch.cat([ids[1:], ids[:1]])
        tracked = torch.cat([output[:, None], nxt[:, None], watch.expand(len(ids), -1)], 1).expand(
            logits.shape[0], -1, -1
        )
        target = logits.gather(-1, tracked)
        vocab = torch.arange(logits.shape[-1])
        ranks = torch.stack(
            [
                1
                + (logits > target[..., j : j + 1]).sum(-1)
                + ((logits == target[..., j : j + 1]) & (vocab < tracked[..., j : j + 1])).sum(-1)
                for j in range(tracked.shape[-1])
            ],
            -1,
        )
        probs = torch.softmax(logits, -1)
        return ranks, probs.gather(-1, tracked), torch.topk(logits, k, -1)


def networkx_flow_per_pair(caps: np.ndarray, pairs: int) -> float:
    """Seconds networkx takes for one (output, input) max-flow, averaged over ``pairs``."""
    import networkx as nx

    n_layers, n = caps.shape[0], caps.shape[1]
    g = nx.DiGraph()
    for layer in range(n_layers):
        rows, cols = np.nonzero(caps[layer])
        for a, b in zip(rows, cols, strict=True):
            g.add_edge((layer + 1, a), (layer, b), capacity=caps[layer, a, b])
    rng = np.random.default_rng(0)
    chosen = [(int(i), int(rng.integers(0, i + 1))) for i in rng.integers(n // 2, n, pairs)]
    start = time.perf_counter()
    for i, j in chosen:
        nx.maximum_flow_value(g, (n_layers, i), (0, j))
    return (time.perf_counter() - start) / pairs


def main() -> None:
    import torch
    from captum.attr import InputXGradient, IntegratedGradients

    from diaphane.lens import attention_flow, layer_rankings, model_attentions, saliency
    from diaphane.lens.attention import residual_attention
    from diaphane.lens.saliency import _chunk_size

    torch.set_num_threads(ARGS.threads)
    runs = ARGS.runs
    ours, hf = build(ARGS.vocab)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, ARGS.vocab, N_TOKENS)
    target, watch = int(ids[-1]), [int(ids[3]), int(ids[5])]
    tids = torch.tensor(ids)
    x = hf.transformer.wte.weight[tids].detach()[None]

    def fwd(e):
        return torch.softmax(hf(inputs_embeds=e).logits[:, -1], -1)[:, target]

    rows = []
    t = common.interleaved(
        {
            "ours": lambda: saliency(ours, ids, target, method="ig", n_steps=N_STEPS),
            "captum": lambda: IntegratedGradients(fwd).attribute(
                x, baselines=torch.zeros_like(x), n_steps=N_STEPS, method="gausslegendre"
            ),
        },
        runs=runs,
    )
    chunk = _chunk_size(ours, N_TOKENS, N_STEPS + 2)
    what = f"integrated gradients, {N_STEPS} steps, {N_TOKENS} tokens (ours in chunks of {chunk})"
    rows.append(common.row(what, t["ours"], t["captum"], "Captum", "s", runs))
    print(rows[-1], flush=True)

    t = common.interleaved(
        {
            "ours": lambda: saliency(ours, ids, target, method="gradxinput"),
            "captum": lambda: InputXGradient(fwd).attribute(x.clone().requires_grad_()),
        },
        runs=runs,
    )
    rows.append(common.row("gradient x input", t["ours"], t["captum"], "Captum", "s", runs))
    print(rows[-1], flush=True)

    twatch = torch.tensor(watch)
    t = common.interleaved(
        {
            "ours": lambda: layer_rankings(ours, ids, watch=watch, k=5),
            "torch": lambda: torch_lens(hf, tids, twatch),
        },
        runs=2 * runs,
    )
    what = "logit lens, all 13 layers x 10 positions (ranks, probs, top-5)"
    rows.append(common.row(what, t["ours"], t["torch"], "transformers + torch", "s", 2 * runs))
    print(rows[-1], flush=True)

    def hf_forward():
        with torch.no_grad():
            hf(tids[None], output_hidden_states=True, output_attentions=True)

    t = common.interleaved({"ours": lambda: ours.forward(ids), "hf": hf_forward}, runs=2 * runs)
    what = "forward pass with hidden states and attentions, 10 tokens"
    rows.append(common.row(what, t["ours"], t["hf"], "transformers", "s", 2 * runs))
    print(rows[-1], flush=True)

    long_ids = rng.integers(0, ARGS.vocab, FLOW_TOKENS)
    att = model_attentions(ours, long_ids)
    attention_flow(att[:1, :, :4, :4])  # compile (numba caches it on disk)
    t = common.interleaved({"ours": lambda: attention_flow(att)}, runs=runs)
    per_pair = networkx_flow_per_pair(residual_attention(att), ARGS.nx_pairs)
    pairs = FLOW_TOKENS * (FLOW_TOKENS + 1) // 2
    what = f"attention flow, {FLOW_TOKENS} tokens x 12 layers ({pairs} pairs)"
    peer = f"networkx ({ARGS.nx_pairs} pairs timed, x{pairs})"
    rows.append(common.row(what, t["ours"], per_pair * pairs, peer, "s", runs))
    print(rows[-1], flush=True)

    small = common.peak_memory(lambda: saliency(ours, ids, target, n_steps=N_STEPS))
    whole = common.peak_memory(
        lambda: saliency(ours, ids, target, n_steps=N_STEPS, chunk_size=N_STEPS)
    )
    what = f"integrated gradients peak memory, chunks of {chunk} steps"
    rows.append(common.row(what, small, whole, f"ours, one chunk of {N_STEPS}", "B", 1,
                           kind="sweep"))  # fmt: skip
    print(rows[-1], flush=True)

    common.print_rows("lens", rows)
    if not ARGS.no_write:
        cmd = f"nice python bench/lens.py --runs {runs} --threads {ARGS.threads}"
        print(common.write_result("lens", rows, command=cmd))


if __name__ == "__main__":
    main()
