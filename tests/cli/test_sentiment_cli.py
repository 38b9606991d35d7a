"""``diaphane train sentiment`` and ``diaphane classify``: a small run, the output lines,
one-line errors and the loud fallback to the tiny demo sample."""

import contextlib
import io
import re

import pytest

import diaphane.cli as cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("sentiment") / "model"
    args = ["train", "sentiment", "--max-reviews", "500", "--test-fraction", "0.2",
            "--epochs", "6", "--lr", "0.01", "--hidden", "8", "--out", str(out)]  # fmt: skip
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(args) == 0
    return out, printed.getvalue()


@pytest.fixture(scope="module")
def model(trained):
    return trained[0]


def test_train_saves_the_model_and_reports_a_good_held_out_accuracy(trained):
    out, printed = trained
    assert {p.name for p in out.iterdir()} == {"config.json", "model.safetensors", "vocab.txt"}
    accuracy = float(re.search(r"held-out accuracy ([\d.]+)% \(100 reviews\)", printed)[1])
    assert accuracy >= 70.0, printed


def test_train_output_line(tmp_path, capsys):
    out = tmp_path / "m"
    args = ["train", "sentiment", "--max-reviews", "200", "--epochs", "2", "--out", str(out)]
    assert cli.main(args) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(
        rf"saved {re.escape(str(out))}: sentiment network h=10, \|V\| [\d,]+, 180 training "
        r"reviews in [\d.]+ s, held-out accuracy [\d.]+% \(20 reviews\)",
        line,
    ), line


def test_classify_prints_the_probability_and_the_words(model, capsys):
    text = "An excellent film: a wonderful, moving story with a great cast."
    assert cli.main(["classify", str(model), text, "-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"positive: p\(positive\) = 0\.\d{3}", lines[0]), lines
    assert lines[1] == "words that pushed it most:" and len(lines) == 5
    assert all(re.fullmatch(r" +[+-]\d+\.\d{3}  \S+", line) for line in lines[2:])
    cli.main(["classify", str(model), "a boring, stupid waste of time; the worst film"])
    assert capsys.readouterr().out.startswith("negative:")


@pytest.mark.parametrize(
    "args, message",
    [
        (["classify", "{model}", "   "], "the text is empty"),
        (["classify", "{tmp}/nowhere", "good"], "No model or checkpoint folder"),
        (["classify", "{model}", "qwertyuiop asdfgh"], "None of the words"),
        (["train", "sentiment", "--test-fraction", "1.5", "--out", "{tmp}/x"], "test-fraction"),
    ],
)
def test_errors_are_one_line(model, tmp_path, capsys, args, message):
    args = [a.format(model=model, tmp=tmp_path) for a in args]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_without_the_archive_it_falls_back_to_the_demo_sample_loudly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DIAPHANE_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "demo"
    assert cli.main(["train", "sentiment", "--epochs", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "WARNING" in captured.err and "too little to learn" in captured.err
    assert "180 training reviews" in captured.out
    assert '"corpus": "pang_lee_sample"' in (out / "config.json").read_text()
