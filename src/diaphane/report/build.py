"""Building a report: run every section, write the folder beside its final place, move it in.

:func:`build_report` is the main job behind ``diaphane report``. Sections run in
order (each a module of :mod:`diaphane.report.sections` with ``build(run)``); a
section that cannot be built on this machine (missing data, say) says why in the
article instead of stopping the run. The folder is written under a temporary name
next to ``out`` and renamed into place only when complete, so an interrupted run
leaves the previous report as it was; an ``out`` that is not a diaphane report is
never replaced without ``force``.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import time
from pathlib import Path

from diaphane.errors import DiaphaneError, UsageError
from diaphane.files import write_atomic
from diaphane.report import manifest as manifest_mod
from diaphane.report.article import render_article, write_figures
from diaphane.report.document import Section
from diaphane.report.run import ReportOptions, ReportRun
from diaphane.report.sections import SECTIONS

__all__ = ["REPORT_KIND", "build_report", "is_report"]

log = logging.getLogger(__name__)

REPORT_KIND = "diaphane-report"
TITLE = "What the models learned"


def is_report(folder: Path) -> bool:
    """True when ``folder`` holds a report diaphane wrote (its manifest says so)."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("kind") == REPORT_KIND


def check_out(out: Path, force: bool) -> None:
    """Refuse, before any work, an ``out`` that cannot or must not be replaced."""
    if out.exists() and not out.is_dir():
        if not force:
            raise UsageError(
                f"{out} is a file, not a report folder; choose another --out, "
                "or add --force to replace it"
            )
    elif out.is_dir() and any(out.iterdir()) and not is_report(out) and not force:
        raise UsageError(
            f"{out} already holds files that are not a diaphane report; choose another --out, "
            "or add --force to replace the folder"
        )
    if out.resolve() == Path.cwd().resolve() or out.resolve() == Path.home().resolve():
        raise UsageError(f"--out {out} is the current or home folder; name a folder for the report")
    parent = out.resolve().parent
    existing = next(p for p in (parent, *parent.parents) if p.exists())
    if not existing.is_dir():
        raise UsageError(f"{existing} is a file, so {out} cannot be made; choose another --out")
    if not os.access(existing, os.W_OK):
        raise UsageError(f"cannot write in {existing}; choose another --out")


def build_report(options: ReportOptions) -> Path:
    """Train or reuse the models, build every section and write the report folder.

    Returns:
        The path of the report's ``index.html``.
    """
    out = Path(options.out)
    check_out(out, options.force)
    run = ReportRun(options)
    run.check_inputs()
    out.resolve().parent.mkdir(parents=True, exist_ok=True)
    tmp = out.resolve().parent / f".{out.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        sections, files, timings = _build_sections(run, tmp)
        manifest = manifest_mod.make(run, sections, timings, tmp)
        sections.append(manifest_mod.section(manifest))
        subtitle = _subtitle(run)
        write_atomic(tmp / "index.html", render_article(sections, files, TITLE, subtitle))
        manifest["files"]["index.html"] = manifest_mod.sha256_of(tmp / "index.html")
        manifest["seconds"] = round(run.elapsed(), 1)
        write_atomic(tmp / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
        _publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "index.html"


def _build_sections(run: ReportRun, folder: Path) -> tuple[list[Section], dict, dict]:
    sections, files, timings = [], {}, {}
    for name in SECTIONS:
        module = importlib.import_module(f"diaphane.report.sections.{name}")
        run.status(f"section {module.TITLE!r}")
        start = time.perf_counter()
        try:
            section = module.build(run)
        except DiaphaneError as err:  # data or a model this machine lacks: say so, go on
            log.info("section %s skipped: %s", name, err)
            section = Section(module.ID, module.TITLE, skipped=str(err))
        files.update(write_figures(section, folder))
        timings[section.id] = round(time.perf_counter() - start, 2)
        sections.append(section)
    return sections, files, timings


def _subtitle(run: ReportRun) -> str:
    names = " + ".join(run.corpus["names"])
    mode = "quick run" if run.quick else f"budget {run.options.budget_minutes:g} min"
    return f"Models trained by diaphane on {names} ({mode}, seed {run.seed}), and what they show."


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished folder into place; the old report (or, with --force, whatever
    was there) goes only once the new one is complete."""
    old = None
    if out.exists() or out.is_symlink():
        old = tmp.with_name(f".{out.name}.{os.getpid()}.old")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
