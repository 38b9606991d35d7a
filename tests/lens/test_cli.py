"""``diaphane lens``, ``saliency`` and ``attention`` on a model folder."""

from __future__ import annotations

import pytest

import diaphane.cli as cli
from diaphane.lens.saliency import RULES

TEXT = "Heathrow airport is located in the city of"


@pytest.fixture
def run(capsys):
    def go(*argv):
        code = cli.main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return go


def test_lens_prints_the_layer_table(run, gpt_folder, model):
    code, out, _ = run("lens", gpt_folder, TEXT, "--watch", " London", " Paris", "-k", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("position 7") and "' London'" in lines[1] and "' Paris'" in lines[1]
    assert len(lines) == 2 + model.config.n_layer + 1
    code, out, _ = run("lens", gpt_folder, TEXT, "--ecco", "--position", "0")
    assert code == 0 and out.startswith("position 0")


def test_saliency_prints_attributions_and_delta(run, gpt_folder):
    code, out, _ = run(
        "saliency", gpt_folder, TEXT, "--method", "ig", "--target", " London", "--steps", "8",
        "--rule", "riemann_trapezoid", "--baseline", "pad",
    )  # fmt: skip
    assert code == 0
    assert "ig attributions of prob(' London')" in out and "convergence delta" in out
    assert "'Heathrow'" in out
    code, out, _ = run("saliency", gpt_folder, TEXT, "--method", "grad", "--quantity", "logit")
    assert code == 0 and "grad attributions of logit(" in out


def test_attention_rollout_and_flow(run, gpt_folder):
    for method in ("rollout", "flow"):
        code, out, _ = run("attention", gpt_folder, TEXT, "--method", method)
        assert code == 0 and out.startswith("position 7") and "'Heathrow'" in out
    code, out, _ = run("attention", gpt_folder, TEXT, "--method", "flow", "--matrix")
    assert code == 0 and len(out.splitlines()) == 1 + 8


def test_user_errors_are_one_line(run, gpt_folder, tmp_path):
    code, _, err = run("lens", gpt_folder, TEXT, "--watch", "Heathrow airport")
    assert code == 2 and "tokens for this model" in err
    code, _, err = run("lens", gpt_folder, TEXT, "extra")
    assert code == 2 and "[MODEL_DIR] TEXT" in err
    code, _, err = run("attention", gpt_folder, TEXT, "--position", "40")
    assert code == 2 and "outside" in err
    code, _, err = run("lens", tmp_path, TEXT)
    assert code == 2 and err.startswith("diaphane:")


def test_cli_rules_are_the_library_rules():
    from diaphane.cli.lens import RULES as CLI_RULES

    assert CLI_RULES == RULES
