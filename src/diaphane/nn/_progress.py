"""The progress bar of :func:`diaphane.nn.train.train`: a tqdm bar on stderr with loss,
perplexity and tokens per second, off when stderr is not a terminal.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

__all__ = ["Progress", "perplexity"]


class Progress:
    """A tqdm bar on stderr with loss, perplexity and tokens/s; silent when disabled."""

    def __init__(self, enabled: bool | None, show_perplexity: bool = True) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.show_perplexity = show_perplexity
        self.bar: Any = None
        self.t0 = time.perf_counter()
        self.tokens = 0

    def start_epoch(self, epoch: int, epochs: int, total: int, done: int) -> None:
        self.close()
        self.t0, self.tokens = time.perf_counter(), 0
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total, initial=done, desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                file=sys.stderr, dynamic_ncols=True, leave=True,
            )  # fmt: skip

    def update(self, loss: float, tokens: int) -> None:
        """One more batch done: ``loss`` is the epoch's mean loss per token so far."""
        self.tokens += tokens
        if self.bar is None:
            return
        rate = self.tokens / max(time.perf_counter() - self.t0, 1e-9)
        fields = {"loss": f"{loss:.3f}"}
        if self.show_perplexity:  # a language model: its loss per token, and tokens/s
            fields["ppl"] = f"{perplexity(loss):.1f}"
            fields["tok_s"] = f"{rate:,.0f}"
        else:
            fields["per_s"] = f"{rate:,.0f}"
        self.bar.set_postfix(**fields, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 700.0))
