"""``diaphane report``: train the default models and write an explorable article of what
they learned (one folder; ``index.html`` opens from disk with no network)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from diaphane.cli.options import integer, real

MAX_BUDGET = 24 * 60.0  # minutes: a day; no report needs more


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="train the default models and write an article of what they learned",
        description="Train (or reuse) the n-gram, neural and GloVe models on the embedded "
        "corpus, look inside the shipped GPT and sentiment network, and write one article "
        "with interactive figures: report/index.html.",
    )
    p.add_argument("--corpus", default=None,
                   help="corpus names or paths joined by + (default: wiki+lee, plus brown "
                   "when its archive is on this machine and the run is not --quick)")  # fmt: skip
    p.add_argument("--model", default=None, help="a GPT-2 folder (default: the shipped GPT)")
    p.add_argument("--sentiment", default=None,
                   help="a sentiment network folder (default: the shipped one)")  # fmt: skip
    p.add_argument("--out", default="report", help="the report folder (default: report)")
    p.add_argument("--quick", action="store_true", help="a small run of about a minute")
    p.add_argument("--budget", type=real(0, MAX_BUDGET, low_open=True), default=5.0,
                   metavar="MINUTES", help="roughly how long training may take, above 0 and "
                   f"at most {MAX_BUDGET:g} (a day; default 5)")  # fmt: skip
    p.add_argument("--seed", type=integer(0), default=0, help="every random choice (default 0)")
    p.add_argument("--force", action="store_true",
                   help="replace an --out folder that is not a diaphane report")  # fmt: skip
    p.add_argument("--no-cache", dest="use_cache", action="store_false",
                   help="train every model afresh, ignoring the report cache")  # fmt: skip
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars on stderr (default: when stderr is a terminal)")  # fmt: skip
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from diaphane.report import ReportOptions, build_report

    options = ReportOptions(
        corpus=args.corpus, model=args.model, sentiment=args.sentiment, out=args.out,
        quick=args.quick, budget_minutes=args.budget, seed=args.seed, force=args.force,
        use_cache=args.use_cache, progress=args.progress,
    )  # fmt: skip
    index = build_report(options)
    print(f"wrote {index}", file=sys.stderr)
    print(index.resolve().as_uri())
    return 0
