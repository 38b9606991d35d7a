"""``diaphane train sentiment`` and ``diaphane classify``: a small run, the output lines,
one-line errors, no fallback to the tiny demo sample, and the shipped model as the
default of ``classify``, ``neighbors`` and ``map``."""

import contextlib
import io
import json
import re

import pytest

import diaphane.cli as cli
from tests.conftest import require_archives


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    require_archives("movie_reviews")
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
    require_archives("movie_reviews")
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
    try:
        status = cli.main(args)
    except SystemExit as bad_option:  # argparse refuses the value itself, in one line
        status = bad_option.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_without_the_archive_it_stops_with_one_line(tmp_path, monkeypatch, capsys):
    # No silent fallback to the 200-review demo: the error says where to get the archive.
    monkeypatch.setenv("DIAPHANE_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DIAPHANE_OFFLINE", "1")
    out = tmp_path / "demo"
    assert cli.main(["train", "sentiment", "--epochs", "1", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert "diaphane data fetch movie_reviews" in captured.err and "DIAPHANE_DATA" in captured.err
    assert "Traceback" not in captured.err and not out.exists()


def test_the_demo_sample_still_trains_when_asked_for(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DIAPHANE_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "demo"
    argv = ["train", "sentiment", "--corpus", "pang_lee_sample", "--epochs", "1", "--out", str(out)]
    assert cli.main(argv) == 0
    assert "180 training reviews" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["corpus"] == "pang_lee_sample"
    assert config["data"]["command"].startswith("diaphane train sentiment --corpus pang_lee_sample")


def test_the_command_is_recorded(model):
    command = json.loads((model / "config.json").read_text())["data"]["command"]
    assert command == (
        "diaphane train sentiment --corpus movie_reviews --test-fraction 0.2 --max-reviews 500 "
        "--hidden 8 --min-count 1 --polarity-cutoff 0.0 --features binary --normalize "
        "--optimizer adam --lr 0.01 --weight-decay 0.0 --epochs 6 --batch-size 32 --seed 0 "
        f"--out {model}"
    )


# ----------------------------------------------------------------------------- the shipped model


def test_classify_uses_the_shipped_model_without_a_folder(capsys):
    assert cli.main(["classify", "An excellent film: a wonderful, moving story.", "-k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("positive: p(positive) = 0.9") and len(lines) == 4
    assert cli.main(["classify", "a boring, stupid waste of time; the worst film"]) == 0
    assert capsys.readouterr().out.startswith("negative:")


def test_classify_reads_stdin_with_the_shipped_model(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("awful, dull and lifeless"))
    assert cli.main(["classify", "-"]) == 0
    assert capsys.readouterr().out.startswith("negative:")


def test_neighbors_use_the_shipped_model_without_a_folder(capsys):
    from diaphane.models.sentiment import default_network

    assert cli.main(["neighbors", "excellent", "--metric", "dot", "-k", "5"]) == 0
    words = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    polarity = default_network().word_polarity()
    assert len(words) == 5 and all(polarity[w] > 0 for w in words), words
    assert cli.main(["neighbors", "excellent", "terrible", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# excellent\n") and "\n# terrible\n" in out


def test_neighbors_take_a_folder_first(model, capsys):
    assert cli.main(["neighbors", str(model), "excellent", "-k", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert cli.main(["neighbors", str(model)]) == 2
    assert "name the word(s)" in capsys.readouterr().err
    assert cli.main(["neighbors", "no/such/model", "excellent"]) == 2
    assert "No model folder or vectors file at no/such/model" in capsys.readouterr().err


def test_map_uses_the_shipped_model_without_a_folder(capsys, tmp_path):
    assert cli.main(["map", "-n", "20", "--select", "extreme"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "word,x,y,score" and len(lines) == 21
    out = tmp_path / "map.json"
    assert cli.main(["map", "--near", "excellent", "-n", "8", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["points"][0]["word"] == "excellent"
