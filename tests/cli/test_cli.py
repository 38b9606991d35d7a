"""The `diaphane` command: `graph` and `check`, in process and as `python -m diaphane`."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import diaphane
import diaphane.numpy as dnp
from diaphane import examples
from diaphane.autodiff import defjvp, defvjp, primitive
from diaphane.cli import main

HAS_DOT = shutil.which("dot") is not None


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_graph_prints_deterministic_dot(capsys):
    status, out, err = run(capsys, "graph")
    assert status == 0 and err == ""
    assert out.startswith("digraph diaphane {") and out.endswith("}\n")
    assert 'label="w\\nfloat64[]"' in out
    assert run(capsys, "graph", "logistic")[1] == out


def test_graph_values_and_grads(capsys):
    status, out, _ = run(capsys, "graph", "mlp", "--values", "--grads")
    assert status == 0
    assert "params['W1']\\nfloat64[4,5]\\nvalue " in out
    assert '\\ngrad 1"' in out  # the seed on the loss


def test_graph_json(capsys):
    status, out, _ = run(capsys, "graph", "mlp", "--format", "json", "--grads")
    data = json.loads(out)
    assert status == 0 and data["format"] == "diaphane.graph"
    names = [data["nodes"][i]["name"] for i in data["inputs"]]
    assert names == ["params['W1']", "params['b1']", "params['W2']", "params['b2']", "x", "t"]
    assert np.shape(data["nodes"][0]["grad"]) == (4, 5)


def test_graph_writes_file(capsys, tmp_path):
    target = tmp_path / "g.dot"
    status, out, _ = run(capsys, "graph", "--values", "--out", str(target))
    assert status == 0 and out == ""
    text = target.read_text()
    assert text.startswith("digraph") and "value 0.8" in text
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]  # no temporary left behind


def test_unknown_example_lists_known_ones(capsys):
    for command in ("graph", "check"):
        status, out, err = run(capsys, command, "nope")
        assert status == 2 and out == ""
        assert err == "diaphane: unknown example 'nope'; known examples: logistic, mlp.\n"


def test_svg_without_graphviz_says_what_to_do(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    for fmt in ("svg", "png"):
        status, out, err = run(capsys, "graph", "--format", fmt, "--out", str(tmp_path / "g"))
        assert status == 2 and out == ""
        assert len(err.splitlines()) == 1
        assert "Graphviz" in err and "graphviz" in err and "--format dot" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_svg_and_png_with_graphviz(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", "--format", "svg")
    assert status == 0 and "<svg" in out
    status, out, _ = run(
        capsys, "graph", "mlp", "--format", "png", "--out", str(tmp_path / "g.png")
    )
    assert status == 0 and out == ""
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")


def test_check_all_examples(capsys):
    status, out, err = run(capsys, "check")
    assert status == 0 and err == ""
    header, *rows = out.splitlines()
    assert header.split() == [
        "example",
        "params",
        "fwd",
        "rel",
        "err",
        "rev",
        "rel",
        "err",
        "status",
    ]
    assert [r.split()[0] for r in rows] == list(examples.EXAMPLES)
    for row in rows:
        _, _, fwd, rev, verdict = row.split()
        assert verdict == "OK"
        assert float(fwd) < 1e-6 and float(rev) < 1e-6
    assert rows[0].split()[1] == "4"  # w, x, b, t
    assert rows[1].split()[1] == str(4 * 5 + 5 + 5 * 3 + 3 + 8 * 4 + 8 * 3)


# A primitive whose reverse rule is wrong by a factor of two, to see `check` fail.
_bad_square = primitive(lambda x: x * x, "bad_square")
defvjp(_bad_square, lambda g, ans, x: 4.0 * g * x)
defjvp(_bad_square, lambda t, ans, x: 2.0 * t * x)


def test_check_fails_on_a_wrong_rule(capsys, monkeypatch):
    def broken():
        return examples.Example(lambda x: dnp.sum(_bad_square(x)), (np.ones(3),), "wrong rule")

    monkeypatch.setitem(examples.EXAMPLES, "broken", broken)
    status, out, err = run(capsys, "check", "broken")
    assert status == 1
    (row,) = out.splitlines()[1:]
    name, params, fwd, rev, verdict = row.split()
    assert (name, params, verdict) == ("broken", "3", "FAIL")
    assert float(fwd) < 1e-6 and float(rev) > 0.1
    assert "reverse-mode derivative disagrees" in err


def test_help_lists_subcommands(capsys):
    status, out, _ = run(capsys)
    assert status == 0 and "graph" in out and "check" in out


def _python_m(*argv):
    return subprocess.run(
        [sys.executable, "-m", "diaphane", *argv], capture_output=True, text=True, timeout=120
    )


def test_python_m_version():
    done = _python_m("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"diaphane {diaphane.__version__}"


def test_python_m_graph():
    done = _python_m("graph")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("digraph diaphane {") and done.stderr == ""
