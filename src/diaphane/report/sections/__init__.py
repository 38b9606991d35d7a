"""The report's sections, in reading order. Each module has ``ID``, ``TITLE`` and
``build(run: ReportRun) -> Section``; it raises a :class:`diaphane.errors.DiaphaneError`
when this machine lacks what it needs (the article then says why it is missing).
Modules whose names start with ``_`` hold a section's helpers, not sections."""

SECTIONS: tuple[str, ...] = (
    "data",
    "engine",
    "language_models",
    "sentiment",
    "glove",
    "explainers",
    "gpt",
)
