"""Bad input gets one clear line, a bug gets a traceback, and nothing a user owns is lost.

In process (``diaphane.cli.main``) where it can be; a real ``python -m diaphane`` for
what only a process shows: a reader of its output that is gone.
"""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import diaphane.cli as cli
from diaphane.cli import options
from diaphane.errors import UsageError

TEXT = "\n".join(
    " ".join(np.random.default_rng(i).choice(list("abcdefghij"), 8)) + " ." for i in range(80)
)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TEXT)
    return str(path)


def train(kind: str, corpus: str, out: Path, *extra: str) -> list[str]:
    quick = {
        "ngram": ["--min-count", "1"],
        "ppmi": ["--min-count", "1", "--dim", "3", "--window", "2"],
        "glove": ["--min-count", "1", "--dim", "3", "--window", "2", "--epochs", "1"],
        "nplm": ["--min-count", "1", "--order", "3", "--dim", "4", "--hidden", "4",
                 "--epochs", "1"],
    }[kind]  # fmt: skip
    return ["train", kind, "--corpus", corpus, *quick, "--out", str(out), *extra]


def status_and_err(capsys, argv: list[str]) -> tuple[int, str]:
    try:
        status = cli.main(argv)
    except SystemExit as bad_option:  # argparse: one line, status 2
        status = bad_option.code
    return status, capsys.readouterr().err


def one_line(err: str) -> str:
    """The error line (progress notes such as 'counted ...' may come before it)."""
    lines = [line for line in err.splitlines() if line.startswith("diaphane")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("option", "value"),
    [("--order", "0"), ("--order", "-2"), ("--k", "nan"), ("--k", "inf"), ("--k", "0"),
     ("--min-count", "0"), ("--order", "2.5")],
)  # fmt: skip
def test_absurd_ngram_options_are_refused_in_one_line(capsys, corpus, tmp_path, option, value):
    status, err = status_and_err(capsys, train("ngram", corpus, tmp_path / "m", option, value))
    assert status == 2 and option in one_line(err) and value in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("kind", "option", "value"),
    [("glove", "--dim", "0"), ("glove", "--lr", "nan"), ("glove", "--lr", "1e12"),
     ("glove", "--x-max", "-1"), ("glove", "--window", "0"), ("ppmi", "--eig", "inf"),
     ("ppmi", "--shift", "0"), ("nplm", "--lr", "-1"), ("nplm", "--epochs", "-1"),
     ("nplm", "--batch-size", "0"), ("nplm", "--order", "1"), ("nplm", "--max-steps", "-5")],
)  # fmt: skip
def test_absurd_training_options_are_refused(capsys, corpus, tmp_path, kind, option, value):
    status, err = status_and_err(capsys, train(kind, corpus, tmp_path / "m", option, value))
    assert status == 2 and option in one_line(err)


@pytest.mark.parametrize(
    "argv",
    [["next", "M", "the", "-k", "0"], ["generate", "M", "--length", "-5"],
     ["generate", "M", "--temperature", "nan"], ["perplexity", "M", "--mix-weight", "2"],
     ["neighbors", "M", "a", "-k", "0"], ["map", "M", "-n", "-1"],
     ["generate", "M", "--seed", "-1"], ["hyper", "schedule", "--seed", "-1"],
     ["hyper", "learned", "--seed", "-1"], ["report", "--seed", "-1"],
     ["report", "--budget", "1e30"], ["train", "nplm", "--weight-decay", "1e9"],
     ["train", "sentiment", "--weight-decay", "1e9"], ["train", "gpt", "--weight-decay", "1e9"]],
)  # fmt: skip
def test_absurd_options_of_the_other_commands(capsys, tmp_path, argv):
    argv = [str(tmp_path / "m") if a == "M" else a for a in argv]
    status, err = status_and_err(capsys, argv)
    assert status == 2 and argv[-2] in one_line(err)


def test_too_few_words_are_refused_naming_the_cause(capsys, corpus, tmp_path):
    status, err = status_and_err(capsys, train("ngram", corpus, tmp_path / "m", "--min-count",
                                               "1e9"))  # fmt: skip
    assert status == 2 and "--min-count" in one_line(err) and not (tmp_path / "m").exists()
    one = tmp_path / "one.txt"
    one.write_text("word\n")
    for kind in ("ngram", "nplm"):
        status, err = status_and_err(capsys, train(kind, str(one), tmp_path / kind))
        assert status == 2 and "too little text" in one_line(err)
        assert not (tmp_path / kind).exists()


def test_sizes_that_cannot_fit_are_refused_naming_the_bytes(capsys, corpus, tmp_path):
    status, err = status_and_err(capsys, train("glove", corpus, tmp_path / "m", "--dim", "1e9"))
    line = one_line(err)
    assert status == 2 and "--dim" in line and ("GB" in line or "TB" in line)
    gpt = ["train", "gpt", "--corpus", corpus, "--vocab-size", "1e9", "--out", str(tmp_path / "g")]
    status, err = status_and_err(capsys, gpt)
    assert status == 2 and "--vocab-size" in one_line(err) and "need about" in err
    status, err = status_and_err(capsys, train("ngram", corpus, tmp_path / "n", "--order", "1e9"))
    assert status == 2 and "--order" in one_line(err)


def test_check_memory_names_the_need_and_the_option(monkeypatch):
    monkeypatch.setattr(options, "available_memory", lambda: 2_000_000)
    options.check_memory("Some tables", 1_000_000, "--dim")
    with pytest.raises(UsageError, match=r"need about 3\.0 MB.*2\.0 MB available; lower --dim"):
        options.check_memory("Some tables", 3_000_000, "--dim")


def test_number_types():
    assert options.integer()("1e3") == 1000 and options.real(0, 1)("0.5") == 0.5
    for parse, text in [(options.integer(), "0"), (options.integer(), "1.5"),
                        (options.real(0, 1), "nan"), (options.learning_rate, "0"),
                        (options.learning_rate, "100"), (options.real(low=0), "-inf")]:  # fmt: skip
        with pytest.raises(Exception, match=r"must|not a"):
            parse(text)


# ----------------------------------------------------------------------------- errors


def test_a_diaphane_error_is_one_line_and_a_bug_a_traceback(capsys, monkeypatch):
    def user_error(args):
        raise UsageError("the example is wrong; pick another")

    monkeypatch.setattr(cli, "build_parser", _parser_with(user_error))
    status, err = status_and_err(capsys, ["graph"])
    assert status == 2 and one_line(err) == "diaphane: the example is wrong; pick another"

    def bug(args):
        return {}["missing"]  # a KeyError: diaphane's fault, not the user's

    monkeypatch.setattr(cli, "build_parser", _parser_with(bug))
    status, err = status_and_err(capsys, ["graph"])
    assert status == 70 and "Traceback" in err and "KeyError" in err
    assert "this is a bug in diaphane" in err.splitlines()[-1]


def _parser_with(func):
    real = cli.build_parser

    def build():
        parser = real()
        sub = next(a for a in parser._actions if a.dest == "command")
        sub.choices["graph"].set_defaults(func=func)
        return parser

    return build


def test_machine_refusals_are_one_line(capsys, monkeypatch, corpus, tmp_path):
    import diaphane.nn.checkpoint as ck

    def full(path, arrays):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    first = tmp_path / "m"
    assert cli.main(train("ngram", corpus, first)) == 0
    before = (first / "model.safetensors").read_bytes()
    monkeypatch.setattr(ck, "_write_arrays", full)
    status, err = status_and_err(capsys, train("ngram", corpus, first))
    assert status == 2 and "disk is full" in one_line(err)
    assert (first / "model.safetensors").read_bytes() == before  # the old model is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "tiny.txt"]  # no temporary left


def test_a_closed_pipe_ends_the_command_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "diaphane", "graph"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    proc.stdout.close()  # the reader is gone before a byte is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""


# ----------------------------------------------------------------------------- what is there


def test_out_that_is_not_a_model_of_the_kind_is_kept_unless_forced(capsys, corpus, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    status, err = status_and_err(capsys, train("ngram", corpus, mine))
    assert status == 2 and "--force" in one_line(err)
    assert [p.name for p in mine.iterdir()] == ["thesis.txt"]
    plain = tmp_path / "plain.txt"
    plain.write_text("mine")
    assert status_and_err(capsys, train("ppmi", corpus, plain))[0] == 2
    assert plain.read_text() == "mine"
    assert cli.main(train("ngram", corpus, tmp_path / "lm")) == 0
    status, err = status_and_err(capsys, train("ppmi", corpus, tmp_path / "lm"))
    assert status == 2 and "holds an ngram model" in one_line(err)
    assert cli.main(train("ngram", corpus, tmp_path / "lm")) == 0  # the same kind: replaced
    assert cli.main(train("ppmi", corpus, mine, "--force")) == 0
    assert sorted(p.name for p in mine.iterdir()) == ["config.json", "model.safetensors",
                                                      "vocab.txt"]  # fmt: skip


def test_out_dot_and_out_under_a_file_are_refused(capsys, corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("mine")
    for out in (".", str(tmp_path / "f" / "m"), ""):
        argv = train("ngram", corpus, Path("x"))
        argv[argv.index("x")] = out
        status, err = status_and_err(capsys, argv)
        assert status == 2 and one_line(err)
    assert (tmp_path / "f").read_text() == "mine"


def test_an_out_that_is_a_symlink_loop_is_refused(capsys, corpus, tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    status, err = status_and_err(capsys, train("ngram", corpus, tmp_path / "a"))
    assert status == 2 and "loop" in one_line(err) and "--out" in err


def test_figure_outs_keep_the_input_and_files_diaphane_did_not_write(capsys, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text(",a,b,c\nr1,1,2,3\nr2,4,5,6\n")
    mine = tmp_path / "mine.html"
    mine.write_text("years of work")
    (tmp_path / "schedule.html").write_text("mine too")
    cov = ["explain", "cov", str(data), "--out"]
    refused = [[*cov, str(data)], [*cov, str(data), "--force"], [*cov, str(mine)],
               ["graph", "--out", str(mine)], ["lens", "the cat", "--out", str(mine)],
               ["map", "--out", str(mine)],
               ["hyper", "schedule", "--steps", "2", "--meta-iterations", "1", "--train", "20",
                "--valid", "10", "--hidden", "2", "--batch", "10",
                "--out", str(tmp_path)]]  # fmt: skip
    for argv in refused:
        status, err = status_and_err(capsys, argv)
        assert status == 2 and "--out" in one_line(err), argv
    assert data.read_text().startswith(",a,b,c") and mine.read_text() == "years of work"
    assert (tmp_path / "schedule.html").read_text() == "mine too"
    assert cli.main([*cov, str(mine), "--force"]) == 0 and "diaphane" in mine.read_text()
    assert cli.main([*cov, str(mine)]) == 0  # a page diaphane wrote is replaced without --force


def test_diaphane_knows_its_own_outputs_again(capsys, tmp_path):
    einsum = ["explain", "einsum", "ij,jk->ik", "--shapes", "2x3", "3x4", "--out"]
    for argv in ([*einsum, str(tmp_path / "e.html")],
                 [*einsum, str(tmp_path / "e.svg"), "--format", "svg"],
                 [*einsum, str(tmp_path / "e.png"), "--format", "png"],
                 ["graph", "--out", str(tmp_path / "g.dot")],
                 ["graph", "--format", "json", "--out", str(tmp_path / "g.json")],
                 ["map", "-n", "20", "--out", str(tmp_path / "m.json")]):  # fmt: skip
        assert cli.main(argv) == 0 and cli.main(argv) == 0, argv
    csv = ["map", "-n", "20", "--out", str(tmp_path / "m.csv")]
    assert cli.main(csv) == 0 and status_and_err(capsys, csv)[0] == 2  # a CSV carries no mark
    assert cli.main([*csv, "--force"]) == 0


def test_resume_without_a_checkpoint_is_refused(capsys, corpus, tmp_path):
    for kind in ("nplm", "glove"):
        status, err = status_and_err(capsys, train(kind, corpus, tmp_path / kind, "--resume"))
        assert status == 2 and "nothing to resume" in one_line(err)
        assert not (tmp_path / kind).exists()


def test_an_empty_split_says_which_split_to_use(capsys, corpus, tmp_path):
    assert cli.main(train("ngram", corpus, tmp_path / "m")) == 0  # one file: one document
    status, err = status_and_err(capsys, ["perplexity", str(tmp_path / "m")])
    assert status == 2 and "--split train" in one_line(err)


def test_an_unknown_kind_of_vectors_folder_is_named(capsys, corpus, tmp_path):
    out = tmp_path / "v"
    assert cli.main(train("ppmi", corpus, out)) == 0
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "kind": "frob"}))
    status, err = status_and_err(capsys, ["neighbors", str(out), "a"])
    assert status == 2 and "'frob'" in one_line(err) and "does not know" in err


def test_resume_with_other_settings_is_refused_naming_them(capsys, corpus, tmp_path):
    out, ck = tmp_path / "g", ["--checkpoint-dir", str(tmp_path / "ck")]
    assert cli.main(train("glove", corpus, out, *ck)) == 0
    before = (out / "model.safetensors").read_bytes()
    for option, value in [("--dim", "5"), ("--window", "3")]:
        status, err = status_and_err(capsys, train("glove", corpus, out, *ck, "--resume",
                                                    option, value))  # fmt: skip
        assert status == 2 and option in one_line(err) and "--resume" in err
    assert (out / "model.safetensors").read_bytes() == before
    assert cli.main(train("glove", corpus, out, *ck, "--resume")) == 0  # the same settings


def test_a_damaged_model_folder_is_one_line_naming_the_file(capsys, corpus, tmp_path):
    out = tmp_path / "m"
    assert cli.main(train("ngram", corpus, out)) == 0
    config = json.loads((out / "config.json").read_text())
    (out / "model.safetensors").write_bytes(b"\xff" * 40)
    status, err = status_and_err(capsys, ["next", str(out), "a"])
    assert status == 2 and "model.safetensors" in one_line(err)
    (out / "config.json").write_text(json.dumps({**config, "format": 99}))
    status, err = status_and_err(capsys, ["next", str(out), "a"])
    assert status == 2 and "newer" in one_line(err) and "Upgrade diaphane" in err
