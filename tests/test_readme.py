"""The README's commands run as pasted: its tour, in order, from a fresh clone.

The tour's shell block (under "## A tour") runs as one bash script with ``set -e``
in a fresh ``git clone`` of this repository, with the data folder this test session
uses (the ``export DIAPHANE_DATA=...`` line is the README's advice for a checkout
beside ``shared/``; here the session's own setting stands in for it). The first
command that exits non-zero fails the test, and its output says which.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_archives

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def shell_blocks(text: str, heading: str) -> list[str]:
    """The ```bash blocks of the README section that starts with ``heading``."""
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    part = text[start : end if end >= 0 else len(text)]
    return re.findall(r"```bash\n(.*?)```", part, flags=re.S)


def tour_script(block: str) -> str:
    lines = [ln for ln in block.splitlines() if not ln.startswith("export DIAPHANE_DATA=")]
    return "set -euxo pipefail\n" + "\n".join(lines) + "\n"


def test_the_readme_opens_with_install_report_and_tests():
    first = shell_blocks(README.read_text(encoding="utf-8"), "## Set up, run, test")[0]
    commands = [ln.split("#")[0].strip() for ln in first.splitlines() if ln.strip()]
    assert commands[0].endswith("pip install -e '.[dev]'")
    assert commands[1] == "diaphane report"
    assert commands[2] == "python -m pytest"


def test_the_tour_runs_as_pasted(tmp_path):
    require_archives("brown", "movie_reviews")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to make a fresh clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    (block,) = shell_blocks(README.read_text(encoding="utf-8"), "## A tour")
    env = {**os.environ, "DIAPHANE_HOME": str(tmp_path / "home"), "MPLBACKEND": "Agg"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(["bash", "-c", tour_script(block)], cwd=clone, env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, f"a README command failed:\n{done.stderr[-4000:]}"
    assert "Traceback" not in done.stderr
