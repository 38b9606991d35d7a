"""How a report was made: versions, data and model fingerprints, settings, times, the command.

:func:`make` gathers the manifest of a run (written as ``manifest.json``) and
:func:`section` shows it as the article's last section.
"""

from __future__ import annotations

import datetime as dt
import platform
import shlex
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from diaphane import __version__
from diaphane.report.document import Note, Prose, Section, TableBlock

__all__ = ["DEPENDENCIES", "command_line", "make", "section", "sha256_of"]

DEPENDENCIES = (
    "numpy",
    "scipy",
    "numba",
    "gensim",
    "tokenizers",
    "safetensors",
    "jinja2",
    "matplotlib",
    "openTSNE",
    "umap-learn",
)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file (the manifest's fingerprint of it)."""
    from diaphane.text.fetch import sha256_file

    return sha256_file(path)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "diaphane": __version__}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def command_line(run: Any) -> str:
    """The command that rebuilds this report (every option that differs from the default)."""
    o = run.options
    parts = ["diaphane", "report", "--corpus", run.corpus_spec, "--out", str(o.out)]
    if o.model:
        parts += ["--model", o.model]
    if o.sentiment:
        parts += ["--sentiment", o.sentiment]
    if o.quick:
        parts.append("--quick")
    else:
        parts += ["--budget", f"{o.budget_minutes:g}"]
    if o.seed:
        parts += ["--seed", str(o.seed)]
    return shlex.join(parts)


def make(run: Any, sections: list[Section], timings: dict, folder: Path) -> dict:
    """The manifest of a finished run; ``files`` holds the sha256 of every file written."""
    files = {
        str(p.relative_to(folder)): sha256_of(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }
    corpus = run.corpus
    return {
        "kind": "diaphane-report",
        "diaphane_version": __version__,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "command": command_line(run),
        "python": sys.version.split()[0],
        "machine": {"system": platform.system(), "machine": platform.machine()},
        "versions": _versions(),
        "options": {
            "quick": run.quick,
            "budget_minutes": run.options.budget_minutes,
            "seed": run.seed,
            "corpus": run.corpus_spec,
        },
        "corpus": {
            "names": corpus["names"],
            "fingerprints": corpus["fingerprints"],
            "documents": len(corpus["documents"]),
            "sentences": len(run.sentences),
            "tokens": sum(map(len, run.sentences)),
        },
        "settings": run.settings,
        "models": run.models,
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "seconds": timings.get(s.id),
                "skipped": s.skipped,
                "facts": s.facts,
            }
            for s in sections
        ],
        "notes": run.notes,
        "files": files,
    }


def section(manifest: dict) -> Section:
    """The article's last section: the manifest as prose and tables."""
    rows = [
        [s["title"], s["seconds"], "not built: " + s["skipped"] if s["skipped"] else "built"]
        for s in manifest["sections"]
    ]
    models = []
    for name, info in manifest["models"].items():
        if name == "corpus":
            continue
        where = info.get("source") or ("cache" if info.get("cached") else "trained in this run")
        digest = info.get("fingerprint", {}).get("model.safetensors", "")[:16]
        models.append([name, where, info.get("seconds"), digest or "—"])
    data = [[n, manifest["corpus"]["fingerprints"][n][:16]] for n in manifest["corpus"]["names"]]
    versions = [[k, v] for k, v in manifest["versions"].items()]
    blocks: list[Any] = [
        Prose(
            "Everything above was computed by one run of diaphane, on this machine, from the "
            "data and models listed here. The same command rebuilds it; models already "
            "trained with the same data and settings are taken from the cache, so a second "
            f"run is faster. The command:\n\n`{manifest['command']}`"
        ),
        TableBlock(
            ["corpus", "sha256 (first 16)"], data, "The data, by fingerprint.", name="manifest-data"
        ),
        TableBlock(
            ["model", "from", "seconds", "weights sha256 (first 16)"],
            models,
            "The models: where each came from and how long it took.",
            name="manifest-models",
        ),
        TableBlock(
            ["section", "seconds", "status"],
            rows,
            "Time spent on each section.",
            name="manifest-sections",
        ),
        TableBlock(["package", "version"], versions, "Versions.", name="manifest-versions"),
        Note(
            "manifest.json beside this page holds every setting, seed and the sha256 of "
            "every file of the report."
        ),
    ]
    return Section(
        "how-made",
        "How this report was made",
        blocks,
        summary="versions, fingerprints, settings, timings, the command",
    )
