import pytest

import diaphane.cli as cli

TEXT = "The fat cat sat on the mat. The fat dog ate the bone. A thin cat ran. " * 20


@pytest.fixture
def model(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(10):
        (folder / f"{i}.txt").write_text(TEXT)
    out = tmp_path / "model"
    args = [
        "train",
        "ngram",
        "--corpus",
        str(folder),
        "--order",
        "3",
        "--smoothing",
        "kn",
        "--min-count",
        "1",
        "--out",
        str(out),
    ]
    assert cli.main(args) == 0
    return out


def test_train_perplexity_next_generate(model, capsys):
    assert cli.main(["perplexity", str(model), "--split", "test"]) == 0
    assert "perplexity" in capsys.readouterr().out
    assert cli.main(["next", str(model), "The fat", "-k", "3"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["rank", "word", "p"] and len(table) == 4
    assert {table[1].split()[1], table[2].split()[1]} == {"cat", "dog"}
    assert (
        cli.main(["generate", str(model), "--prompt", "the", "--length", "5", "--seed", "0"]) == 0
    )
    first = capsys.readouterr().out
    cli.main(["generate", str(model), "--prompt", "the", "--length", "5", "--seed", "0"])
    assert capsys.readouterr().out == first and first.startswith("the ")


def test_perplexity_of_a_mixture(model, capsys):
    lines = []
    for weight in ("0", "0.5"):
        argv = ["perplexity", str(model), "--split", "test", "--mix", str(model)]
        assert cli.main([*argv, "--mix-weight", weight]) == 0
        lines.append(capsys.readouterr().out.splitlines())
    alone = float(lines[0][0].split("perplexity ")[1].split()[0])
    # A model mixed with itself is itself, whatever the weight.
    for out in lines:
        assert "mixture" in out[2] and float(out[2].rsplit(" ", 1)[1]) == pytest.approx(alone)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["train", "ngram", "--corpus", "nosuch", "--out", "x"],
            "unknown corpus 'nosuch'; known corpora",
        ),
        (["next", "MISSING", "the"], "no config.json"),
    ],
)
def test_one_line_errors(argv, message, capsys, tmp_path):
    argv = [str(tmp_path / a) if a in ("x", "MISSING") else a for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_empty_corpus_and_unknown_context(model, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("\n")
    assert (
        cli.main(
            [
                "train",
                "ngram",
                "--corpus",
                str(tmp_path / "empty.txt"),
                "--out",
                str(tmp_path / "e"),
            ]
        )
        == 2
    )
    assert "empty" in capsys.readouterr().err
    assert cli.main(["next", str(model), "zyzzyva qwerty"]) == 2
    assert "unknown to the model" in capsys.readouterr().err


def test_offline_missing_archive(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DIAPHANE_DATA", str(tmp_path))
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path))
    assert cli.main(["train", "ngram", "--corpus", "brown", "--out", str(tmp_path / "m")]) == 2
    assert "DIAPHANE_DATA" in capsys.readouterr().err
