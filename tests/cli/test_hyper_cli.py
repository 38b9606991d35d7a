"""`diaphane hyper schedule|learned`: small runs write their figures; bad options are
one-line usage errors."""

from __future__ import annotations

import logging

import pytest

from diaphane.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


SMALL_SCHEDULE = ("--steps", "10", "--meta-iterations", "2", "--train", "100", "--valid", "50",
                  "--hidden", "8", "--batch", "10")  # fmt: skip
SMALL_LEARNED = ("--meta-iterations", "2", "--horizon", "10", "--unroll", "5", "--batch", "4",
                 "--hidden", "4", "--dim", "3", "--test-problems", "5",
                 "--tune-problems", "5")  # fmt: skip


def test_schedule_writes_figures_and_reports(capsys, tmp_path, caplog):
    pytest.importorskip("sklearn")
    out = tmp_path / "figs"
    with caplog.at_level(logging.INFO, logger="diaphane.cli.hyper"):
        status, text, _ = run(capsys, "hyper", "schedule", *SMALL_SCHEDULE, "--out", str(out),
                              "--svg")  # fmt: skip
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "meta_loss.html", "meta_loss.svg", "schedule.html", "schedule.svg",
    ]  # fmt: skip
    assert "validation loss" in text and "(2 meta-steps)" in text
    assert "L2 layer 1 weights:" in text and f"wrote {out / 'schedule.html'}" in text
    before, after = (float(x) for x in text.split()[2:5:2])
    assert after < before
    # Progress: one record per meta-iteration (a bar too, when stderr is a terminal).
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"meta-iteration {i}" for i in range(3)
    ]
    assert "Learned learning-rate schedule" in (out / "schedule.html").read_text()


def test_learned_writes_curves_beside_sgd_and_adam(capsys, tmp_path):
    status, text, _ = run(capsys, "hyper", "learned", *SMALL_LEARNED, "--out", str(tmp_path))
    assert status == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        "optimizer_curves.html", "optimizer_training.html",
    }  # fmt: skip
    lines = text.splitlines()
    assert lines[0].startswith("learned: median final loss")
    assert lines[1].startswith("SGD (tuned lr ") and lines[2].startswith("Adam (tuned lr ")
    assert "over 5 problems" in lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("schedule", "--steps", "0"), "--steps must be a positive integer, not 0."),
        (("schedule", "--meta-iterations", "-1"), "--meta-iterations must be a positive"),
        (("schedule", "--lr", "nan"), "--lr must be a finite number above 0, not nan."),
        (("schedule", "--l2", "inf"), "--l2 must be a finite number above 0"),
        (("schedule", "--momentum", "1.5"), "--momentum must lie between 0 and 1"),
        (("schedule", "--train", "2000"), "digits has 1797 images"),
        (("learned", "--hidden", "0"), "--hidden must be a positive integer"),
        (("learned", "--meta-lr", "-0.1"), "--meta-lr must be a finite number above 0"),
        (("learned", "--unroll", "50", "--horizon", "20"), "--unroll (50) cannot exceed"),
    ],
)
def test_bad_options_are_one_line_usage_errors(capsys, tmp_path, argv, message):
    status, out, err = run(capsys, "hyper", *argv, "--out", str(tmp_path / "x"))
    assert status == 2 and out == ""
    assert err.startswith("diaphane: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()  # nothing written before the check


def test_needs_a_demo(capsys):
    with pytest.raises(SystemExit):
        main(["hyper"])
    assert "DEMO" in capsys.readouterr().err
