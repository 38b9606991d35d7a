"""GPT-2 small forward and backward: diaphane's engine against transformers (torch CPU).

A randomly initialised GPT-2 small (12 layers, 768 wide, 12 heads, 50,257 tokens),
built with transformers and loaded into diaphane from its state dict (float32);
10 tokens. Timed, ours and the peer's alternating, medians:

- a forward pass returning the logits, every hidden state and every attention map
  (transformers: eager attention, ``output_hidden_states``, ``output_attentions``);
- the gradient of one logit with respect to the input embeddings (the backward
  pass that saliency methods run), torch autograd as the peer.

    python bench/gpt.py [--runs 7] [--threads 1] [--tokens 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7, help="timed runs of each (median)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tokens", type=int, default=10)
    p.add_argument("--no-write", action="store_true", help="do not write bench/results")
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    import common

    common.pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

PEER = "transformers 5 + torch 2.13 CPU"


def models(seed: int = 0):
    """The same random GPT-2 small in transformers (eager attention) and in diaphane."""
    import torch
    import transformers

    from diaphane.models.gpt import GPT
    from diaphane.models.gpt_load import config_from_json, params_from_weights

    torch.manual_seed(seed)
    hf_config = transformers.GPT2Config(bos_token_id=0, eos_token_id=0)  # GPT-2 small's sizes
    peer = transformers.GPT2LMHeadModel(hf_config).eval()
    peer.config._attn_implementation = "eager"
    config, n_inner = config_from_json(hf_config.to_dict(), "float32")
    weights = {k: v.detach().numpy() for k, v in peer.state_dict().items()}
    ours = GPT(config, params_from_weights(weights, config, n_inner))
    return ours, peer


def timings(ours, peer, ids: np.ndarray, runs: int) -> dict[str, float]:
    import torch
    from common import interleaved

    from diaphane.autodiff import grad

    t_ids = torch.from_numpy(ids[None])
    embeds = ours.embed(ids)
    t_embeds = torch.from_numpy(embeds[None].copy())

    def ours_forward():
        return ours.forward(ids, output_hidden_states=True, output_attentions=True)

    def peer_forward():
        with torch.no_grad():
            return peer(t_ids, output_hidden_states=True, output_attentions=True)

    ours_grad = grad(lambda e: ours.forward(None, inputs_embeds=e).logits[-1, 42])

    def peer_grad():
        e = t_embeds.clone().requires_grad_(True)
        peer(inputs_embeds=e).logits[0, -1, 42].backward()
        return e.grad

    forward = interleaved({"ours": ours_forward, "peer": peer_forward}, runs=runs)
    backward = interleaved({"ours": lambda: ours_grad(embeds), "peer": peer_grad}, runs=runs)
    return {"forward_ours": forward["ours"], "forward_peer": forward["peer"],
            "grad_ours": backward["ours"], "grad_peer": backward["peer"]}  # fmt: skip


def check(ours, peer, ids: np.ndarray) -> float:
    """Largest logit difference between the two, so the timings compare like with like."""
    import torch

    with torch.no_grad():
        ref = peer(torch.from_numpy(ids[None])).logits[0].numpy()
    return float(np.abs(ours.forward(ids).logits - ref).max())


def main() -> None:
    import torch
    from common import machine_info, print_rows, row, write_result

    args = ARGS
    torch.set_num_threads(args.threads)
    ours, peer = models()
    ids = np.random.default_rng(0).integers(0, 50257, args.tokens)
    print(f"max |logit difference| {check(ours, peer, ids):.2e}")
    t = timings(ours, peer, ids, args.runs)
    n = args.tokens
    rows = [
        row(f"GPT-2 small, {n} tokens: forward with hidden states + attentions",
            t["forward_ours"], t["forward_peer"], PEER, "s", args.runs),
        row(f"GPT-2 small, {n} tokens: d logit / d inputs_embeds (forward + backward)",
            t["grad_ours"], t["grad_peer"], PEER, "s", args.runs),
    ]  # fmt: skip
    print_rows("GPT-2 small (random weights), float32", rows)
    if not args.no_write:
        machine = machine_info()
        machine["env"]["threads"] = str(args.threads)
        path = write_result("gpt", rows, command="python bench/gpt.py", machine=machine)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
