"""Summing sparse row gradients: ways to add 262,144 float32 rows of 50 numbers into a
20,000-row table (the gradient of one batch of embedding lookups).

Usage: ``python bench/sparse_rows.py [--runs N] [--no-markdown]``.

Every candidate produces the summed gradient of the touched rows; the peer is
``np.add.at`` into the dense table. Candidates: diaphane's ``segment_sum`` (a
column-stored one-hot matrix times the rows: one streaming pass, no sort), the
CSR product it replaced, ``argsort`` + ``np.add.reduceat``, and ``np.bincount``
(one flat pass, or one pass per column). Ids are Zipf-distributed as words in
text, and uniform. Runs on one thread. Writes ``bench/results/sparse_rows.json``
and regenerates ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # standard library only, so threads can be pinned before NumPy loads

common.pin_single_thread()

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from diaphane.autodiff.sparse import SparseRows, segment_sum  # noqa: E402

ROWS, DIMS, UPDATES = 20_000, 50, 262_144


def add_at(ids, values):
    out = np.zeros((ROWS, DIMS), values.dtype)
    np.add.at(out, ids, values)
    return out


def csr_product(ids, values):
    """The previous segment_sum: np.unique, then a row-stored one-hot matrix product."""
    uniq, inverse = np.unique(ids, return_inverse=True)
    n = len(ids)
    onehot = sp.csr_matrix(
        (np.ones(n, values.dtype), (inverse, np.arange(n))), shape=(len(uniq), n)
    )
    return uniq, onehot @ values


def sort_reduceat(ids, values):
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return ordered[starts], np.add.reduceat(values[order], starts, axis=0)


def _inverse(ids):
    uniq = np.flatnonzero(np.bincount(ids, minlength=ROWS))
    lookup = np.empty(ROWS, np.intp)
    lookup[uniq] = np.arange(len(uniq))
    return uniq, lookup[ids]


def bincount_flat(ids, values):
    uniq, inverse = _inverse(ids)
    keys = (inverse[:, None] * DIMS + np.arange(DIMS)).ravel()
    summed = np.bincount(keys, weights=values.ravel(), minlength=len(uniq) * DIMS)
    return uniq, summed.reshape(len(uniq), DIMS).astype(values.dtype)


def bincount_columns(ids, values):
    uniq, inverse = _inverse(ids)
    columns = np.ascontiguousarray(values.T)
    out = np.empty((len(uniq), DIMS), values.dtype)
    for j in range(DIMS):
        out[:, j] = np.bincount(inverse, weights=columns[j], minlength=len(uniq))
    return uniq, out


CANDIDATES = {
    "segment_sum (column-stored one-hot product)": lambda i, v: segment_sum(i, v, ROWS),
    "SparseRows.to_dense (segment_sum + scatter)": lambda i, v: SparseRows(
        i, v, (ROWS, DIMS)
    ).to_dense(),
    "np.unique + row-stored (CSR) one-hot product": csr_product,
    "argsort + np.add.reduceat": sort_reduceat,
    "np.bincount, one flat pass (float64 sums)": bincount_flat,
    "np.bincount per column (float64 sums)": bincount_columns,
}
OURS = "segment_sum (column-stored one-hot product)"


def _ids(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "zipf":
        return np.minimum(rng.zipf(1.2, UPDATES) - 1, ROWS - 1)
    return rng.integers(0, ROWS, UPDATES)


def _check(ids, values) -> None:
    """Every candidate sums the same rows; the float32 ones in np.add.at's order."""
    dense = add_at(ids, values)
    touched = np.unique(ids)
    for name, fun in CANDIDATES.items():
        out = fun(ids, values)
        uniq, summed = (touched, out[touched]) if isinstance(out, np.ndarray) else out
        assert np.array_equal(uniq, touched), name
        summed = np.asarray(summed)
        if "float64" in name:
            assert np.allclose(summed, dense[touched], rtol=1e-3, atol=1e-3), name
        elif name == OURS or name.startswith("SparseRows"):
            assert np.array_equal(summed, dense[touched]), name


def bench(kind: str, runs: int) -> list[dict]:
    rng = np.random.default_rng(0)
    ids = _ids(kind, rng)
    values = rng.standard_normal((UPDATES, DIMS)).astype(np.float32)
    _check(ids, values)
    fns = {name: (lambda f=f: f(ids, values)) for name, f in CANDIDATES.items()}
    fns["np.add.at"] = lambda: add_at(ids, values)
    times = common.interleaved(fns, runs=runs)
    touched = len(np.unique(ids))
    return [
        common.row(
            f"{name}, {kind} ids ({touched:,} rows touched)",
            times[name],
            times["np.add.at"],
            "np.add.at",
            "s",
            runs,
            kind="claim" if name == OURS else "sweep",
        )
        for name in CANDIDATES
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="interleaved runs per median")
    parser.add_argument(
        "--no-markdown", action="store_true", help="write the result file only, not BENCHMARKS.md"
    )
    args = parser.parse_args(argv)
    machine = common.machine_info()
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['blas']}")
    print(f"{UPDATES:,} float32 rows of {DIMS} into a {ROWS:,}-row table")
    rows = []
    for kind in ("zipf", "uniform"):
        section = bench(kind, args.runs)
        common.print_rows(f"{kind} ids", section)
        rows += section
    command = "python bench/sparse_rows.py" + (f" --runs {args.runs}" if args.runs != 7 else "")
    path = common.write_result("sparse_rows", rows, command=command, machine=machine)
    if args.no_markdown:
        print(f"\nwrote {path}")
        return
    import make_table

    print(f"\nwrote {path} and {make_table.write_markdown()}")


if __name__ == "__main__":
    main()
