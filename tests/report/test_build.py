"""Writing the report folder: never over what a user owns, never half-written, the cache."""

from __future__ import annotations

import json

import pytest

import diaphane.report.build as build_mod
from diaphane.errors import UsageError
from diaphane.report import ReportOptions, build_report, is_report
from diaphane.report.run import ReportRun
from diaphane.report.sections import engine


@pytest.fixture
def one_section(monkeypatch, report_home):
    """Reports of one fast section, so each build takes a second or two."""
    monkeypatch.setattr(build_mod, "SECTIONS", ("engine",))


def _options(out, **kw):
    return ReportOptions(corpus="lee", quick=True, out=out, progress=False, **kw)


def test_writes_a_report_and_replaces_only_reports(one_section, tmp_path):
    out = tmp_path / "report"
    index = build_report(_options(out))
    assert index == out / "index.html" and is_report(out)
    first = (out / "manifest.json").read_text()
    build_report(_options(out))  # a report may be replaced by a new one
    assert is_report(out) and (out / "manifest.json").read_text() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # nothing left beside


def test_a_folder_the_user_owns_is_refused_then_forced(one_section, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError, match=r"not a diaphane report.*--force"):
        build_report(_options(mine))
    assert (mine / "thesis.tex").read_text() == "years of work"
    plain = tmp_path / "notes.txt"
    plain.write_text("keep")
    with pytest.raises(UsageError, match="is a file"):
        build_report(_options(plain))
    assert plain.read_text() == "keep"
    build_report(_options(mine, force=True))
    assert is_report(mine) and not (mine / "thesis.tex").exists()


def test_an_interrupted_build_leaves_the_previous_report(one_section, tmp_path, monkeypatch):
    out = tmp_path / "report"
    build_report(_options(out))
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def interrupted(run):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "build", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_report(_options(out))
    after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_section_that_cannot_be_built_says_why(one_section, tmp_path, monkeypatch):
    from diaphane.errors import DataNotFoundError

    def missing(run):
        raise DataNotFoundError("the brown corpus archive is not here")

    monkeypatch.setattr(engine, "build", missing)
    out = tmp_path / "report"
    build_report(_options(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sections"][0]["skipped"] == "the brown corpus archive is not here"
    assert (
        "could not be built on this run: the brown corpus archive"
        in (out / "index.html").read_text()
    )


def test_bad_options_are_refused_before_any_work(tmp_path):
    with pytest.raises(UsageError, match="--budget"):
        ReportOptions(budget_minutes=0)
    with pytest.raises(UsageError, match="--budget"):
        ReportOptions(budget_minutes=float("nan"))
    with pytest.raises(UsageError, match="current or home folder"):
        build_report(ReportOptions(out=".", force=True))


def test_named_inputs_are_checked_before_any_section(one_section, tmp_path, monkeypatch):
    import shutil

    from diaphane.errors import DiaphaneError, ModelFileError
    from diaphane.models.gpt import default_model_path

    monkeypatch.setattr(engine, "build", lambda run: pytest.fail("a section ran"))
    with pytest.raises(DiaphaneError, match="nosuch"):
        build_report(ReportOptions(corpus="lee+nosuch", quick=True, out=tmp_path / "r"))
    damaged = tmp_path / "gpt"
    shutil.copytree(default_model_path(), damaged)
    (damaged / "model.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(ModelFileError, match=r"model\.safetensors"):
        build_report(_options(tmp_path / "r", model=str(damaged)))
    with pytest.raises(DiaphaneError, match="--sentiment"):
        build_report(_options(tmp_path / "r", sentiment=str(tmp_path / "nothing")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpt"]  # no report, no temporary


def test_the_cache_gives_back_the_same_model(report_home, tmp_path):
    first = ReportRun(_options(tmp_path / "a"))
    lm = first.ngram()
    assert first.models["ngram"]["cached"] is False
    second = ReportRun(_options(tmp_path / "b"))
    again = second.ngram()
    assert second.models["ngram"]["cached"] is True
    test = second.lm_split[0].test
    assert again.perplexity(test) == lm.perplexity(test)
    # another setting is another entry
    third = ReportRun(_options(tmp_path / "c", seed=1))
    third.ngram()
    assert third.models["ngram"]["cached"] is False
    assert third.models["ngram"]["fingerprint"] != first.models["ngram"]["fingerprint"]
