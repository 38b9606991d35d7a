"""``diaphane neighbors|analogy|evaluate|map`` on a small vectors file."""

import json

import numpy as np
import pytest

import diaphane.cli as cli
from diaphane.vectors import WordVectors

WORDS = ["man", "woman", "king", "queen", "paris", "france", "london", "england", "apple", "pear"]


@pytest.fixture
def vectors_file(tmp_path):
    rng = np.random.default_rng(0)
    base = {w: rng.normal(size=8) for w in WORDS}
    gender, capital = rng.normal(size=8) * 2, rng.normal(size=8) * 2
    base["woman"], base["queen"] = base["man"] + gender, base["king"] + gender
    base["paris"], base["london"] = base["france"] + capital, base["england"] + capital
    wv = WordVectors(WORDS, np.stack([base[w] for w in WORDS]), scores=np.linspace(-1, 1, 10))
    return wv.save_word2vec(tmp_path / "vectors.txt")


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_neighbors(capsys, vectors_file):
    code, out, _ = run(capsys, "neighbors", vectors_file, "king", "-k", "3", "--metric", "dot")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    word, score = lines[0].split("\t")
    assert word in WORDS and word != "king" and float(score)


def test_analogy(capsys, vectors_file):
    code, out, _ = run(capsys, "analogy", vectors_file, "man", "woman", "king")
    assert code == 0 and out.splitlines()[0].split("\t")[0] == "queen"
    code, out, _ = run(capsys, "analogy", vectors_file, "france", "paris", "england",
                       "--method", "3cosmul", "-k", "2")  # fmt: skip
    assert out.splitlines()[0].startswith("london\t") and len(out.splitlines()) == 2


def test_unknown_word_is_one_line_with_suggestion(capsys, vectors_file):
    code, out, err = run(capsys, "neighbors", vectors_file, "quen")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "did you mean 'queen'" in err


def test_missing_model(capsys, tmp_path):
    code, _, err = run(capsys, "evaluate", tmp_path / "nothing")
    assert code == 2 and "No model folder or vectors file" in err


def test_evaluate_table_and_json(capsys, vectors_file):
    code, out, _ = run(capsys, "evaluate", vectors_file)
    assert code == 0
    assert "WordSim353 rho" in out and "analogy 3CosMul acc" in out
    code, out, _ = run(capsys, "evaluate", vectors_file, "--json")
    rows = json.loads(out)["rows"]
    assert [r["benchmark"] for r in rows][2:] == ["analogy 3CosAdd acc", "analogy 3CosMul acc"]
    assert rows[2]["used"] > 0 and rows[2]["used"] + rows[2]["oov"] == 19544


def test_map_to_stdout_and_files(capsys, vectors_file, tmp_path):
    code, out, _ = run(capsys, "map", vectors_file, "-n", "6")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "word,x,y" and len(lines) == 7  # no scores in word2vec
    code, _, _ = run(
        capsys, "map", vectors_file, "--out", tmp_path / "m.json", "--near", "king", "-n", "4"
    )
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["method"] == "pca" and data["points"][0]["word"] == "king"
    code, _, err = run(capsys, "map", vectors_file, "--color", "sentiment")
    assert code == 2 and "no per-word scores" in err
    code, _, err = run(capsys, "map", vectors_file, "--out", tmp_path / "m.gif")
    assert code == 2 and ".csv, .json" in err


def test_map_html_figure(capsys, vectors_file, tmp_path):
    pytest.importorskip("diaphane.viz.embedding_map")
    code, _, _ = run(capsys, "map", vectors_file, "--out", tmp_path / "m.html")
    page = (tmp_path / "m.html").read_text()
    assert code == 0 and "<html" in page.lower() and "queen" in page
