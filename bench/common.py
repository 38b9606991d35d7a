"""Shared helpers for the benchmarks: machine description, interleaved timing, peak
memory, and the result writer.

A result is ``bench/results/NAME.json``::

    {"benchmark", "when", "machine": {"cpu", "cores", "blas", "env"},
     "rows": [{"what", "ours", "peer", "peer_name", "ratio", "unit", "runs"}]}

plus an optional ``"command"`` that reproduces it (``python bench/NAME.py`` when absent).
``ratio`` is ours / peer. A row may also carry (files without them stay valid):

- ``"kind"``: ``"claim"`` (the default: ours against a peer measured on the same work,
  shown at the top of its section), ``"sweep"`` (other settings, alternatives, the
  peer's own numbers) or ``"reference"`` (against a figure not measured here: a paper's,
  a goal, a number quoted in an issue; or a plain reference value). Sweeps and
  references go to the appendix of BENCHMARKS.md.
- ``"better"``: ``"lower"`` or ``"higher"``; by default inferred from the unit
  (:func:`infer_better`).
- ``"when"`` and ``"machine"``: when and where this row was measured, where that differs
  from the file's (a row kept from an earlier run, see :func:`merge_result`).

Only the standard library is imported at module level: a benchmark must be able to
pin BLAS threads (:func:`pin_single_thread`) before NumPy is loaded.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
# OpenBLAS tuning variables some machines set; a wrong core type halves GEMM speed.
OPENBLAS_TUNING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Set by the re-exec in unset_openblas_tuning so the child can record what was removed.
_UNSET_MARK = "DIAPHANE_BENCH_UNSET"

ROW_KEYS = ("what", "ours", "peer", "peer_name", "ratio", "unit", "runs")
OPTIONAL_ROW_KEYS = ("kind", "better", "when", "machine")
KINDS = ("claim", "sweep", "reference")
BETTER = ("lower", "higher")


# ----------------------------------------------------------------------------- environment


def pin_threads(n: int) -> None:
    """Ask every BLAS/OpenMP pool for ``n`` threads; call before importing NumPy."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)


def pin_single_thread() -> None:
    """Ask every BLAS/OpenMP pool (and XLA) for one thread; call before importing NumPy."""
    pin_threads(1)
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        extra = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = f"{flags} {extra}".strip()


def unset_openblas_tuning() -> None:
    """Re-run this script without ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` if they are set.

    OpenBLAS reads them when it loads, so the process restarts itself; the removed
    values are passed on so :func:`machine_info` can record them.
    """
    present = {k: os.environ[k] for k in OPENBLAS_TUNING if k in os.environ}
    if not present:
        return
    env = {k: v for k, v in os.environ.items() if k not in present}
    env[_UNSET_MARK] = json.dumps(present)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    """NumPy's BLAS as ``"openblas 0.3.27 (SkylakeX, pthreads, 1 thread)"``."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return _blas_from_config()
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not pools:
        return _blas_from_config()
    p = pools[0]
    detail = ", ".join(str(x) for x in (p.get("architecture"), p.get("threading_layer")) if x)
    threads = p.get("num_threads")
    detail += f", {threads} thread{'s' if threads != 1 else ''}"
    return f"{p.get('internal_api')} {p.get('version')} ({detail})"


def _blas_from_config() -> str:
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # show_config's layout differs across NumPy versions
        return "unknown"


def _env() -> dict[str, str]:
    env = {k: os.environ[k] for k in (*THREAD_VARS, *OPENBLAS_TUNING) if k in os.environ}
    removed = json.loads(os.environ.get(_UNSET_MARK, "{}"))
    for k, v in removed.items():
        env[k] = f"unset by the benchmark (was {v})"
    for k in OPENBLAS_TUNING:
        env.setdefault(k, "not set")
    return env


def machine_info() -> dict[str, Any]:
    """``{"cpu", "cores", "blas", "env"}`` for the result file (call after importing NumPy)."""
    import numpy  # noqa: F401  (threadpoolctl only sees libraries already loaded)

    return {"cpu": _cpu_name(), "cores": os.cpu_count(), "blas": _blas(), "env": _env()}


# ----------------------------------------------------------------------------- measuring


def interleaved(
    fns: dict[str, Callable[[], Any]], runs: int = 7, warmup: int = 1
) -> dict[str, float]:
    """Median seconds per call of each function, the functions taking turns run by run.

    Alternating (and rotating the order each run) spreads slow drifts of the
    machine — frequency changes, a noisy neighbour — over all contenders alike.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(runs):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            gc.collect()
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


@contextlib.contextmanager
def cpu_bound_neighbour(enabled: bool = True) -> Iterator[None]:
    """Run a CPU-bound process beside the block (a Python busy loop at normal priority),
    for the "loaded machine" rows the speed goals ask for; killed on the way out."""
    if not enabled:
        yield
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it reach the scheduler before timing starts
        yield
    finally:
        proc.kill()
        proc.wait()


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated during one call of ``fn``, above what was live before it.

    Uses :mod:`tracemalloc`, which sees Python objects and NumPy array buffers (NumPy
    reports its allocations to it). It does not see PyTorch's or XLA's allocators, so
    memory is only compared between NumPy-based implementations.
    """
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


# ----------------------------------------------------------------------------- results


def row(
    what: str,
    ours: float,
    peer: float | None,
    peer_name: str,
    unit: str,
    runs: int,
    *,
    kind: str | None = None,
    better: str | None = None,
    when: str | None = None,
    machine: dict | None = None,
) -> dict:
    """One result row; ``ratio`` is ours / peer (``None`` without a peer value).

    The keyword arguments are the optional keys (see the module docstring); those left
    at ``None`` are not written, so the row keeps its defaults.
    """
    r = {
        "what": what,
        "ours": ours,
        "peer": peer,
        "peer_name": peer_name,
        "ratio": ours / peer if peer else None,
        "unit": unit,
        "runs": runs,
    }
    extra = {"kind": kind, "better": better, "when": when, "machine": machine}
    r.update({k: v for k, v in extra.items() if v is not None})
    check_row(r)
    return r


def check_row(r: dict) -> None:
    """Raise ``ValueError`` if a row lacks a key or has an unknown kind or direction."""
    missing = [k for k in ROW_KEYS if k not in r]
    if missing:
        raise ValueError(f"Result row {r.get('what')!r} lacks {missing}; see bench/common.py.")
    for key, allowed in (("kind", KINDS), ("better", BETTER)):
        if key in r and r[key] not in allowed:
            raise ValueError(
                f"Result row {r['what']!r} has {key} {r[key]!r}; use one of {allowed}."
            )


def row_kind(r: dict) -> str:
    """The row's kind: ``"claim"`` unless it says otherwise."""
    return r.get("kind", "claim")


# Unit families: what a ratio is "of" and which way is better.
_FAMILY_BETTER = {"rate": "higher", "score": "higher", "time": "lower", "memory": "lower",
                  "perplexity": "lower", "loss": "lower"}  # fmt: skip
_SCORE_UNITS = ("rho", "\N{GREEK SMALL LETTER RHO}", "acc.", "accuracy", "%")


def unit_family(unit: str) -> str | None:
    """``"rate"`` (``.../s``), ``"time"``, ``"memory"``, ``"perplexity"``, ``"loss"``,
    ``"score"`` (accuracy, rho, %) or ``None`` when the unit does not say."""
    base, _, per = unit.partition("/")
    if per == "s":
        return "rate"
    if base in ("s", "B"):
        return "time" if base == "s" else "memory"
    if unit in ("perplexity", "loss"):
        return unit
    return "score" if unit in _SCORE_UNITS else None


def infer_better(unit: str) -> str | None:
    """Which way is better for a unit: rates (``.../s``), accuracy, rho are ``"higher"``;
    time, memory, perplexity and loss ``"lower"``; ``None`` when the unit does not say.

    >>> infer_better("s/op"), infer_better("tokens/s"), infer_better("rho")
    ('lower', 'higher', 'higher')
    """
    return _FAMILY_BETTER.get(unit_family(unit) or "")


def row_better(r: dict) -> str | None:
    """The row's ``better``, else the one its unit implies."""
    return r.get("better") or infer_better(r["unit"])


def _clean_row(r: dict) -> dict:
    check_row(r)
    return {k: r[k] for k in (*ROW_KEYS, *OPTIONAL_ROW_KEYS) if k in r}


def write_result(
    name: str,
    rows: list[dict],
    command: str | None = None,
    machine: dict | None = None,
    results_dir: Path | str | None = None,
) -> Path:
    """Write ``results_dir/NAME.json`` (default ``bench/results``) atomically; returns the path."""
    rows = [_clean_row(r) for r in rows]
    result: dict[str, Any] = {
        "benchmark": name,
        "when": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": machine if machine is not None else machine_info(),
        "rows": rows,
    }
    if command:
        result["command"] = command
    out_dir = Path(results_dir) if results_dir is not None else RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def merge_result(
    name: str,
    rows: list[dict],
    command: str | None = None,
    machine: dict | None = None,
    results_dir: Path | str | None = None,
) -> Path:
    """Add ``rows`` to ``NAME.json``, replacing the old rows of the same ``what``.

    The rows kept from the old file keep their own date and machine: each gets the old
    file's ``when`` (and ``machine``, where it differs from this run's) unless it has
    one already, so a new run's stamp never lands on rows it did not measure.
    """
    out_dir = Path(results_dir) if results_dir is not None else RESULTS_DIR
    path = out_dir / f"{name}.json"
    machine = machine if machine is not None else machine_info()
    old = json.loads(path.read_text()) if path.exists() else {"rows": []}
    names = {r["what"] for r in rows}
    kept = []
    for r in old["rows"]:
        if r["what"] in names:
            continue
        r = {**r, "when": r.get("when") or old["when"]}
        r_machine = r.get("machine") or old["machine"]
        if r_machine == machine:
            r.pop("machine", None)
        else:
            r["machine"] = r_machine
        kept.append(r)
    return write_result(name, kept + rows, command, machine, out_dir)


def format_value(x: float | None, unit: str) -> str:
    """A value with three significant digits, in a readable unit; ``n/a`` for none."""
    if x is None or x != x:  # missing or NaN
        return "n/a"
    base, _, per = unit.partition("/")
    per = f"/{per}" if per else ""
    scales = _SCALES.get(base)
    if scales is None:
        text = f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.3g}"
        return f"{text} {unit}".strip()
    for scale, name in scales:
        if abs(x) >= scale or scale == scales[-1][0]:
            v = x / scale
            return f"{v:,.0f} {name}{per}" if abs(v) >= 1000 else f"{v:.3g} {name}{per}"
    raise AssertionError("unreachable")


def format_ratio(ratio: float | None) -> str:
    return "n/a" if ratio is None or ratio != ratio else f"{ratio:.2f}"


_SCALES = {
    "s": ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")),
    "B": ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"), (1, "B")),
}


def print_rows(title: str, rows: list[dict]) -> None:
    """A plain-text table of result rows on stdout."""
    print(f"\n{title}")
    width = max(len(r["what"]) for r in rows)
    pwidth = max(len(r["peer_name"]) for r in rows)
    for r in rows:
        print(
            f"  {r['what']:<{width}}  ours {format_value(r['ours'], r['unit']):>10}"
            f"  {r['peer_name']:<{pwidth}} {format_value(r['peer'], r['unit']):>10}"
            f"  ratio {format_ratio(r['ratio'])}"
        )
