"""Counting in bounded memory: the budget, the spill folder, sorted shards and their merge.

Partial counts that outgrow their share of the memory bound are written to disk as a
*shard*: a sorted sparse table in raw binary files. When the corpus has been read,
the shards are merged k ways, one block of keys at a time, so the merge holds a block
from every shard and never a whole one — the external merge sort of Stanford GloVe's
``cooccur`` and KenLM's ``lmplz``. Shards hold whole-number sums in float64 (or
int64), so adding them in any order gives the same bits.

Two kinds of shard:

- a **CSR shard** (co-occurrence counts): ``indptr`` (int64, one per row and one
  more), ``indices`` (int32, each row's columns in increasing order) and ``data``
  (float64), as :class:`scipy.sparse.csr_matrix` holds them;
- a **key shard** (n-gram counts): ``keys`` (sorted and unique; int64, or fixed-width
  bytes that sort as the keys do) and ``counts`` (int64), with every
  :data:`SAMPLE`-th key kept in memory to cut the merge into blocks.

Entry points: :func:`parse_memory`, :func:`current_rss`, :class:`SpillFolder`,
:func:`write_csr_shard`, :func:`merge_csr_shards`, :func:`write_key_shard`,
:func:`merge_key_shards`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from diaphane.errors import UsageError

__all__ = [
    "SAMPLE",
    "CsrShard",
    "KeyShard",
    "SpillFolder",
    "current_rss",
    "merge_csr_shards",
    "merge_key_shards",
    "parse_memory",
    "write_csr_shard",
    "write_key_shard",
]

SAMPLE = 4096  # a key shard keeps every SAMPLE-th key in memory
# Bytes a merge holds per entry of a block: the pieces read (16: row, column, value),
# their concatenation (16), the block's CSR (12) and scipy's sort; with some headroom.
MERGE_BYTES_PER_ENTRY = 64

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_MEMORY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)


def parse_memory(text: str) -> int:
    """Bytes from a size such as ``2G``, ``512M``, ``1.5GiB`` or ``1000000`` (units of 1024).

    >>> parse_memory("2G"), parse_memory("512m"), parse_memory("1.5GiB")
    (2147483648, 536870912, 1610612736)
    """
    m = _MEMORY.fullmatch(str(text))
    if not m:
        raise UsageError(f"cannot read the memory size {text!r}: write it as 2G, 512M or 1.5G")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def current_rss() -> int:
    """This process's resident memory in bytes (Linux: now; elsewhere: its peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


# ----------------------------------------------------------------------------- the folder


class SpillFolder:
    """A temporary folder for shards, removed when the ``with`` block ends however it ends
    (an error, Ctrl-C, or SIGTERM, which is turned into Ctrl-C while the block runs).

    Args:
        near: a path the folder is made beside (the output), when ``tmp_dir`` is not given.
        tmp_dir: the folder to make it in.
    """

    def __init__(
        self, near: str | os.PathLike | None = None, tmp_dir: str | os.PathLike | None = None
    ) -> None:
        parent = Path(tmp_dir) if tmp_dir is not None else None
        if parent is None and near is not None:
            parent = Path(near).expanduser().resolve().parent
        self.parent = parent
        self.path: Path | None = None
        self._count = 0
        self._old_handler = None

    def __enter__(self) -> SpillFolder:
        if self.parent is not None:
            self.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=".diaphane-spill-", dir=self.parent))
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            self._old_handler = signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(self, *exc) -> None:
        if self._old_handler is not None:
            signal.signal(signal.SIGTERM, self._old_handler)
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def new(self, stem: str) -> Path:
        """A fresh sub-folder ``stem-N``."""
        if self.path is None:
            raise RuntimeError("SpillFolder.new called outside its with block")
        self._count += 1
        folder = self.path / f"{stem}-{self._count}"
        folder.mkdir()
        return folder


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _read(path: Path, dtype, start: int, stop: int) -> np.ndarray:
    """Items ``start:stop`` of a raw binary file (plain reads: mapped pages would count
    against the process's resident memory until unmapped)."""
    dtype = np.dtype(dtype)
    if stop <= start:
        return np.zeros(0, dtype)
    return np.fromfile(path, dtype, count=stop - start, offset=start * dtype.itemsize)


# ----------------------------------------------------------------------------- CSR shards


@dataclass(frozen=True)
class CsrShard:
    """A sorted sparse matrix on disk (see the module's docstring)."""

    folder: Path
    n_rows: int
    nnz: int

    def indptr(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        stop = self.n_rows + 1 if stop is None else stop
        return _read(self.folder / "indptr", np.int64, start, stop)

    def part(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns and values of entries ``lo:hi``."""
        return _read(self.folder / "indices", np.int32, lo, hi), _read(
            self.folder / "data", np.float64, lo, hi
        )


def write_csr_shard(folder: Path, X: sp.csr_matrix) -> CsrShard:
    """Write a CSR matrix with sorted indices as a shard."""
    X.indptr.astype(np.int64).tofile(folder / "indptr")
    X.indices.astype(np.int32).tofile(folder / "indices")
    X.data.astype(np.float64).tofile(folder / "data")
    return CsrShard(folder, X.shape[0], int(X.nnz))


def merge_csr_shards(
    shards: list[CsrShard], n_cols: int, budget: int, sink: CsrSink | None = None
) -> sp.csr_matrix | None:
    """Sum CSR shards block of rows by block of rows, holding about ``budget`` bytes.

    Args:
        shards: shards of one shape (``n_rows`` x ``n_cols``).
        n_cols: the number of columns.
        budget: bytes a block may take (a row whose entries alone exceed it is one block).
        sink: where blocks go (default: gathered into the matrix returned).

    Returns:
        The summed matrix, with sorted indices; ``None`` when ``sink`` was given.
    """
    n_rows = shards[0].n_rows
    total = np.zeros(n_rows + 1, np.int64)
    for s in shards:  # one shard's indptr at a time
        total += s.indptr()
    bounds = _row_blocks(total, max(1, budget // MERGE_BYTES_PER_ENTRY))
    offsets = [s.indptr()[bounds] for s in shards]
    out = CsrSink() if sink is None else sink
    for j in range(len(bounds) - 1):
        out.add(_merge_rows(shards, offsets, j, int(bounds[j]), int(bounds[j + 1]), n_cols))
    return out.matrix(n_rows, n_cols) if sink is None else None


def _row_blocks(total: np.ndarray, entries: int) -> np.ndarray:
    """Row boundaries ``0 = b0 < b1 < … = n_rows`` with about ``entries`` entries between."""
    bounds = [0]
    n_rows = len(total) - 1
    while bounds[-1] < n_rows:
        nxt = int(np.searchsorted(total, total[bounds[-1]] + entries, "right")) - 1
        bounds.append(min(n_rows, max(nxt, bounds[-1] + 1)))
    return np.asarray(bounds, np.int64)


def _merge_rows(shards, offsets, j: int, r0: int, r1: int, n_cols: int) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for s, off in zip(shards, offsets, strict=True):
        lo, hi = int(off[j]), int(off[j + 1])
        if hi > lo:
            lengths = np.diff(s.indptr(r0, r1 + 1))
            rows.append(np.repeat(np.arange(r1 - r0, dtype=np.int32), lengths))
            c, v = s.part(lo, hi)
            cols.append(c)
            vals.append(v)
    if not rows:
        return sp.csr_matrix((r1 - r0, n_cols))
    # COO to CSR sums duplicates and sorts each row's columns; the sums are exact.
    coo = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r1 - r0, n_cols),
    )
    block = coo.tocsr()
    block.sort_indices()
    return block


@dataclass
class CsrSink:
    """Gathers merged blocks of rows into one matrix (a subclass may write them instead)."""

    lengths: list[np.ndarray] = field(default_factory=list)
    indices: list[np.ndarray] = field(default_factory=list)
    data: list[np.ndarray] = field(default_factory=list)

    def add(self, block: sp.csr_matrix) -> None:
        self.lengths.append(np.diff(block.indptr))
        self.indices.append(block.indices.astype(np.int32, copy=False))
        self.data.append(block.data)

    def matrix(self, n_rows: int, n_cols: int) -> sp.csr_matrix:
        indptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(np.concatenate(self.lengths), out=indptr[1:])
        X = sp.csr_matrix(
            (np.concatenate(self.data), np.concatenate(self.indices), indptr), (n_rows, n_cols)
        )
        X.has_sorted_indices = True
        return X


class CsrFileSink(CsrSink):
    """Writes merged blocks to ``folder/{indptr,indices,data}`` (raw binary, as a shard),
    each value divided by ``divisor``, holding only one block at a time."""

    def __init__(self, folder: Path, divisor: float = 1.0) -> None:
        super().__init__()
        self.folder, self.divisor = Path(folder), divisor
        self.peak = 0.0  # the largest sum before the division
        self.folder.mkdir(parents=True, exist_ok=True)
        self._files = [open(self.folder / n, "wb") for n in ("indices", "data")]  # noqa: SIM115

    def add(self, block: sp.csr_matrix) -> None:
        self.lengths.append(np.diff(block.indptr))
        self.peak = max(self.peak, float(block.data.max())) if block.nnz else self.peak
        block.indices.astype(np.int32, copy=False).tofile(self._files[0])
        (block.data / self.divisor).tofile(self._files[1])

    def close(self, n_rows: int) -> CsrShard:
        """Finish the files; returns the matrix written, as a shard."""
        for f in self._files:
            f.close()
        indptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(np.concatenate(self.lengths), out=indptr[1:])
        indptr.tofile(self.folder / "indptr")
        return CsrShard(self.folder, n_rows, int(indptr[-1]))


# ----------------------------------------------------------------------------- key shards


@dataclass(frozen=True)
class KeyShard:
    """Sorted unique keys and their counts on disk, every SAMPLE-th key in memory."""

    folder: Path
    dtype: np.dtype
    size: int
    samples: np.ndarray  # keys[::SAMPLE]

    def keys(self, lo: int, hi: int) -> np.ndarray:
        return _read(self.folder / "keys", self.dtype, lo, hi)

    def counts(self, lo: int, hi: int) -> np.ndarray:
        return _read(self.folder / "counts", np.int64, lo, hi)

    def position(self, key) -> int:
        """Where ``key`` would go in the sorted keys (``searchsorted(..., "left")``)."""
        i = int(np.searchsorted(self.samples, key, "left"))
        if i == 0:
            return 0
        lo = (i - 1) * SAMPLE
        return lo + int(np.searchsorted(self.keys(lo, min(lo + SAMPLE, self.size)), key, "left"))


def write_key_shard(folder: Path, keys: np.ndarray, counts: np.ndarray) -> KeyShard:
    """Write sorted unique ``keys`` and their ``counts`` as a shard."""
    keys.tofile(folder / "keys")
    counts.astype(np.int64).tofile(folder / "counts")
    return KeyShard(folder, keys.dtype, len(keys), keys[::SAMPLE].copy())


def merge_key_shards(shards: list[KeyShard], budget: int) -> Iterator[tuple[np.ndarray, ...]]:
    """Sum key shards block by block: yields sorted unique ``(keys, counts)`` blocks in
    key order, each of about ``budget`` bytes' worth of entries."""
    samples = np.sort(np.concatenate([s.samples for s in shards]))
    step = max(1, budget // MERGE_BYTES_PER_ENTRY // SAMPLE - len(shards))
    cuts = samples[step::step]
    starts = [[0, *(s.position(k) for k in cuts), s.size] for s in shards]
    for j in range(len(cuts) + 1):
        keys, counts = [], []
        for s, pos in zip(shards, starts, strict=True):
            keys.append(s.keys(pos[j], pos[j + 1]))
            counts.append(s.counts(pos[j], pos[j + 1]))
        yield sum_sorted_runs(keys, counts)


def sum_sorted_runs(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Sorted unique keys of several runs and their summed counts.

    >>> sum_sorted_runs([np.array([1, 3]), np.array([3, 4])], [np.array([1, 1]), np.array([2, 5])])
    (array([1, 3, 4]), array([1, 3, 5]))
    """
    key = np.concatenate(keys)
    if not key.size:
        return key, np.zeros(0, np.int64)
    order = np.argsort(key, kind="stable")
    key, count = key[order], np.concatenate(counts)[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return key[first], np.add.reduceat(count, first)
