"""Benchmark: counting past memory — streamed within a bound, on Dask — and Stanford's cooccur.

    python bench/scale.py [--tokens 100e6] [--compare-tokens 10e6] [--dask-tokens 10e6]
                          [--memory 1G] [--runs 3] [--glove-src DIR] [--no-write]

A synthetic corpus is generated into a temporary folder (never kept): ``--tokens`` words
drawn from a Zipf distribution (p ∝ 1/rank) over 100,000 words, in sentences of 5 to 35
words, one per line. diaphane reads it with a `` .`` ending each line (its tokeniser
ends sentences at punctuation); Stanford's tools read the same lines without it (their
windows end at a newline). Both count with window 10, 1/d weights, both sides, words
seen 5 times or more. Every measurement runs in a process of its own, whose peak
resident memory the operating system reports (``wait4``).

Rows:

- **vs Stanford GloVe** (``vocab_count`` + ``cooccur -memory`` at the bound, built from
  source with ``cc -O3`` in the temporary folder when ``--glove-src`` holds GloVe's
  ``src/``; nothing of it is kept): tokens per second of the whole count (reading,
  vocabulary, co-occurrences, the merged matrix written to disk), and of the counting
  pass alone (``cooccur`` against diaphane's pass over its cached tokens plus merge).
  The two matrices are checked to have the same entries and the same total.
- **the bound**: diaphane's peak RSS streaming ``--tokens`` with ``--memory``.
- **streamed vs in memory**: tokens per second of both on ``--compare-tokens`` (a size
  whose in-memory count fits), median of ``--runs`` alternating runs.
- **Dask**: a 2-worker ``LocalCluster`` against a 1-worker one on ``--dask-tokens``
  (cluster start-up not counted), median of ``--runs`` alternating runs: tokens per
  second, and the CPU seconds the cluster spent (workers, client and scheduler), which
  do not depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info, print_rows, row, write_result

VOCAB = 100_000
WINDOW = 10
MIN_COUNT = 5
STANFORD = "Stanford GloVe vocab_count + cooccur (C, -O3)"
GLOVE_MIRROR = Path("/work/.mirror/stanfordnlp+GloVe/repo")


# ----------------------------------------------------------------------------- the corpus


def make_corpus(folder: Path, n_tokens: int, seed: int = 0) -> tuple[Path, Path]:
    """``ours.txt`` (lines ending in `` .``) and ``plain.txt`` (the same lines without)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, VOCAB + 1)
    cdf = np.cumsum(p / p.sum())
    words = np.array([f"w{r}" for r in range(VOCAB)], dtype=object)
    folder.mkdir(parents=True, exist_ok=True)
    ours, plain = folder / "ours.txt", folder / "plain.txt"
    with ours.open("w") as fo, plain.open("w") as fp:
        done = 0
        while done < n_tokens:
            n = min(1 << 21, n_tokens - done)
            toks = words[np.minimum(np.searchsorted(cdf, rng.random(n)), VOCAB - 1)]
            lengths = rng.integers(5, 36, n // 5 + 1)
            ends = np.cumsum(lengths)
            ends = ends[ends <= n] - 1
            ends = np.unique(np.append(ends, n - 1))
            last = toks[ends]
            toks[ends] = last + " .\n"
            fo.write(" ".join(toks.tolist()))
            toks[ends] = last + "\n"
            fp.write(" ".join(toks.tolist()))
            done += n
    return ours, plain


# ----------------------------------------------------------------------------- children


def run_child(argv: list[str], cwd: Path | None = None, stdin=None, stdout=None) -> dict:
    """Run a command; its wall seconds, peak RSS (bytes) and, for our children, its JSON."""
    start = time.perf_counter()
    quiet = subprocess.DEVNULL if stdout is not None else None  # Stanford's progress lines
    proc = subprocess.Popen(argv, cwd=cwd, stdin=stdin, stdout=stdout or subprocess.PIPE,
                            stderr=quiet)  # fmt: skip
    out = proc.stdout.read() if stdout is None else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed with status {proc.returncode}")
    result = json.loads(out) if out.strip() else {}
    result["wall"] = time.perf_counter() - start
    result["rss"] = usage.ru_maxrss * 1024
    return result


def ours(kind: str, *args: str) -> dict:
    return run_child([sys.executable, __file__, "--child", kind, *args])


def child(kind: str, args: list[str]) -> None:
    """The measurements that run in a process of their own; JSON on stdout."""
    if kind == "stream":
        print(json.dumps(_child_stream(Path(args[0]), int(args[1]), Path(args[2]))))
    elif kind == "memory":
        print(json.dumps(_child_memory(Path(args[0]))))
    elif kind == "dask":
        print(json.dumps(_child_dask(Path(args[0]), int(args[1]))))


def _child_stream(corpus: Path, bound: int, out: Path) -> dict:
    from diaphane.cli.scale import data_budget
    from diaphane.text.cooccur_stream import stream_cooccurrence

    budget = data_budget(bound, f"{bound}")  # as `--memory` shares it out
    t0 = time.perf_counter()
    _, X, stats = stream_cooccurrence(str(corpus), budget, WINDOW, min_count=MIN_COUNT,
                                      out=out, tmp_dir=out.parent)  # fmt: skip
    seconds = time.perf_counter() - t0
    step = 1 << 24
    total = sum(float(X.part(lo, min(lo + step, X.nnz))[1].sum()) for lo in range(0, X.nnz, step))
    return {"seconds": seconds, "tokens": stats.tokens, "nnz": X.nnz, "shards": stats.shards,
            "passes": stats.seconds, "total": total}  # fmt: skip


def _child_memory(corpus: Path) -> dict:
    from diaphane.text.cooccur import cooccurrence_matrix, corpus_sequences, encode_sequences

    t0 = time.perf_counter()
    sequences, _ = corpus_sequences(str(corpus))
    vocab, ids = encode_sequences(sequences, MIN_COUNT)
    X = cooccurrence_matrix(ids, len(vocab), WINDOW)
    return {"seconds": time.perf_counter() - t0, "tokens": int(sum(map(len, ids))),
            "nnz": int(X.nnz)}  # fmt: skip


def _child_dask(corpus: Path, workers: int) -> dict:
    from diaphane.text.dask_count import connect, dask_cooccurrence

    with connect("local", workers) as client:
        client.run(_warm)  # a long-lived cluster has its kernels loaded: not part of a count
        _warm()
        cpu0 = _cluster_cpu(client)
        t0 = time.perf_counter()
        _, X, info = dask_cooccurrence(client, str(corpus), WINDOW, min_count=MIN_COUNT,
                                       part_bytes=1 << 20)  # fmt: skip
        seconds = time.perf_counter() - t0
        cpu = _cluster_cpu(client) - cpu0
    return {"seconds": seconds, "cpu": cpu, "tokens": info["tokens"], "nnz": int(X.nnz)}


def _warm() -> None:
    """Load the compiled counting kernels (from numba's cache) into this process."""
    import numpy as np

    from diaphane.text.cooccur import count_chunk, counting_weights

    count_chunk(np.array([1, 2, 1]), np.array([3]), 3, counting_weights(True, WINDOW)[0], True)


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cluster_cpu(client) -> float:
    """CPU seconds of the workers and of this process (client and scheduler)."""
    return sum(client.run(_cpu_seconds).values()) + _cpu_seconds()


# ----------------------------------------------------------------------------- Stanford


def build_glove(src: Path | None, folder: Path) -> Path | None:
    """Stanford's ``vocab_count`` and ``cooccur`` compiled into ``folder``, or ``None``."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    code = folder / "glove-src"
    if src is not None and (src / "src" / "cooccur.c").is_file():
        shutil.copytree(src / "src", code)
    elif GLOVE_MIRROR.is_dir():  # the bare clone `fetch github:stanfordnlp/GloVe` leaves
        code.mkdir()
        archive = subprocess.run(["git", f"--git-dir={GLOVE_MIRROR}", "archive", "HEAD", "src"],
                                 check=True, capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(code), "--strip-components=1"], input=archive,
                       check=True)  # fmt: skip
    else:
        return None
    bin_dir = folder / "glove-bin"
    bin_dir.mkdir()
    for tool in ("vocab_count", "cooccur"):
        subprocess.run([cc, "-O3", "-march=native", "-funroll-loops", "-w", "-o",
                        str(bin_dir / tool), str(code / f"{tool}.c"), str(code / "common.c"),
                        "-lm", "-pthread"], check=True)  # fmt: skip
    return bin_dir


def run_stanford(bin_dir: Path, plain: Path, folder: Path, memory_gb: float) -> dict:
    import numpy as np

    work = folder / "stanford"
    work.mkdir(exist_ok=True)
    with plain.open("rb") as fin, (work / "vocab.txt").open("wb") as fout:
        vocab = run_child([str(bin_dir / "vocab_count"), "-min-count", str(MIN_COUNT),
                           "-verbose", "0"], work, fin, fout)  # fmt: skip
    with plain.open("rb") as fin, (work / "cooc.bin").open("wb") as fout:
        argv = [str(bin_dir / "cooccur"), "-memory", str(memory_gb), "-vocab-file", "vocab.txt",
                "-verbose", "0", "-window-size", str(WINDOW), "-symmetric", "1",
                "-distance-weighting", "1"]  # fmt: skip
        cooc = run_child(argv, work, fin, fout)
    record = np.dtype([("w1", "<i4"), ("w2", "<i4"), ("val", "<f8")])
    nnz = (work / "cooc.bin").stat().st_size // record.itemsize
    total = 0.0
    with (work / "cooc.bin").open("rb") as f:
        while (chunk := np.fromfile(f, record, count=1 << 24)).size:
            total += float(chunk["val"].sum())
    shutil.rmtree(work)
    return {"vocab": vocab, "cooccur": cooc, "nnz": nnz, "total": total}


# ----------------------------------------------------------------------------- rows


def stanford_rows(folder, ours_txt, plain, bound, glove_src) -> list[dict]:
    out = folder / "X"
    mine = ours("stream", str(ours_txt), str(bound), str(out))
    shutil.rmtree(out)
    n = mine["tokens"]
    rows = [row(f"streamed count of {n / 1e6:.0f}M Zipf tokens, --memory {bound / 2**30:g}G:"
                " peak RSS", mine["rss"], bound, "the bound (goal: at most 1.2x)", "B", 1,
                kind="reference")]  # fmt: skip
    print(f"ours streamed: {mine}", file=sys.stderr)
    bin_dir = build_glove(glove_src, folder)
    if bin_dir is None:
        print("no C compiler or GloVe source: Stanford's rows are left out", file=sys.stderr)
        return rows
    peer = run_stanford(bin_dir, plain, folder, bound / 2**30)
    print(f"Stanford: {peer}", file=sys.stderr)
    both = peer["vocab"]["wall"] + peer["cooccur"]["wall"]
    ours_count = mine["passes"]["count"] + mine["passes"]["merge"]
    what = f"{n / 1e6:.0f}M Zipf tokens, window {WINDOW}, --memory {bound / 2**30:g}G"
    rows += [
        row(f"count co-occurrences of {what} (read, vocabulary, count, merge to disk)",
            n / mine["seconds"], n / both, STANFORD, "tokens/s", 1),
        row(f"counting pass alone, {what} (ours: cached ids; cooccur: the text)",
            n / ours_count, n / peer["cooccur"]["wall"], "Stanford GloVe cooccur", "tokens/s", 1),
        row(f"entries of the matrix, {what}", mine["nnz"], peer["nnz"], STANFORD, "entries", 1,
            kind="sweep", better="higher"),
        row(f"sum of the counts, {what}", mine["total"], peer["total"], STANFORD, "weight", 1,
            kind="sweep", better="higher"),
        row(f"peak RSS of cooccur at -memory {bound / 2**30:g}", peer["cooccur"]["rss"], bound,
            "the bound", "B", 1, kind="sweep"),
    ]  # fmt: skip
    return rows


def alternating(fns: dict, runs: int) -> dict[str, list[dict]]:
    """Each measurement ``runs`` times, taking turns (the order rotating run by run)."""
    names, results = list(fns), {name: [] for name in fns}
    for r in range(runs):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            results[name].append(fns[name]())
    return results


def compare_rows(folder: Path, n_tokens: int, bound: int, runs: int) -> list[dict]:
    ours_txt, _ = make_corpus(folder / "compare", n_tokens, seed=1)
    out = folder / "compare" / "X"

    def streamed():
        result = ours("stream", str(ours_txt), str(bound), str(out))
        shutil.rmtree(out)
        return result

    got = alternating({"memory": lambda: ours("memory", str(ours_txt)), "stream": streamed}, runs)
    n = got["memory"][0]["tokens"]
    rate = {k: statistics.median(n / r["seconds"] for r in v) for k, v in got.items()}
    rss = {k: max(r["rss"] for r in v) for k, v in got.items()}
    print(f"streamed vs in memory: {got}", file=sys.stderr)
    what = f"{n / 1e6:.0f}M Zipf tokens, window {WINDOW}"
    return [
        row(f"streamed (--memory {bound / 2**30:g}G) vs in memory, {what} (goal: at least 1/1.5)",
            rate["stream"], rate["memory"], "diaphane in memory", "tokens/s", runs,
            kind="reference"),
        row(f"peak RSS streamed vs in memory, {what}", rss["stream"], rss["memory"],
            "diaphane in memory", "B", runs, kind="sweep"),
    ]  # fmt: skip


def dask_rows(folder: Path, n_tokens: int, runs: int) -> list[dict]:
    ours_txt, _ = make_corpus(folder / "dask", n_tokens, seed=2)
    got = alternating({w: (lambda w=w: ours("dask", str(ours_txt), str(w))) for w in (1, 2)}, runs)
    n = got[1][0]["tokens"]
    rate = {w: statistics.median(n / r["seconds"] for r in v) for w, v in got.items()}
    cpu = {w: statistics.median(r["cpu"] for r in v) for w, v in got.items()}
    print(f"Dask: {got}", file=sys.stderr)
    what = f"Dask LocalCluster, 2 workers vs 1, {n / 1e6:.0f}M Zipf tokens"
    return [
        row(f"{what} (goal: 1.6x)", rate[2], rate[1], "1 worker", "tokens/s", runs,
            kind="reference"),
        # The work the cluster does, whatever else the machine runs: ~1 means parts cost
        # nothing extra, so two free cores would give about twice the rate.
        row(f"{what}: CPU seconds of workers and client", cpu[2], cpu[1], "1 worker", "s", runs,
            kind="sweep"),
    ]  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--tokens", type=float, default=100e6, help="corpus of the bound and Stanford rows"
    )
    p.add_argument("--compare-tokens", type=float, default=10e6, help="streamed vs in memory")
    p.add_argument("--dask-tokens", type=float, default=10e6, help="the Dask rows")
    p.add_argument("--memory", default="1G", help="the bound (default 1G)")
    p.add_argument("--runs", type=int, default=3, help="alternating runs of the small rows")
    p.add_argument("--glove-src", type=Path, default=None, help="a checkout of stanfordnlp/GloVe")
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the corpora are written")
    p.add_argument("--note", default="", help="how loaded the machine was, for the record")
    p.add_argument("--no-write", action="store_true", help="do not write bench/results")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], args.child[1:])
        return 0

    from diaphane.text.spill import parse_memory

    bound = parse_memory(args.memory)
    with tempfile.TemporaryDirectory(prefix="diaphane-scale-", dir=args.tmp_dir) as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        ours_txt, plain = make_corpus(folder, int(args.tokens))
        print(f"corpus: {ours_txt.stat().st_size / 2**20:,.0f} MiB in "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)  # fmt: skip
        rows = stanford_rows(folder, ours_txt, plain, bound, args.glove_src)
        ours_txt.unlink()
        plain.unlink()
        rows += compare_rows(folder, int(args.compare_tokens), bound, args.runs)
        rows += dask_rows(folder, int(args.dask_tokens), args.runs)
    print_rows("Counting past memory and past one machine", rows)
    if not args.no_write:
        machine = machine_info()
        if args.note:
            machine["env"] = {**machine["env"], "load": args.note}
        path = write_result("scale", rows, command="python bench/scale.py", machine=machine)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
