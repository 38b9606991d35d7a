"""The main job: one command trains the default models and writes an explorable article.

Entry points: :func:`build_report` (what ``diaphane report`` runs) and
:class:`ReportOptions`. A report is a folder: ``index.html`` (the article, a
table of contents and one section per topic), ``figures/`` (each interactive
figure as its own self-contained page, framed by the article, with a static SVG
for print) and ``manifest.json`` (versions, fingerprints, settings, seeds, times).
It opens from disk with no network.

Sections are modules of :mod:`diaphane.report.sections`, each with ``ID``,
``TITLE`` and ``build(run) -> Section`` (see :mod:`diaphane.report.document`), so a
new section is one module and one line in ``SECTIONS``.
"""

from diaphane.report.build import build_report, is_report
from diaphane.report.run import ReportOptions, ReportRun

__all__ = ["ReportOptions", "ReportRun", "build_report", "is_report"]
