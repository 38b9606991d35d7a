"""word2vec and GloVe text files, damaged at random, load or raise a diaphane error."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from diaphane.errors import DiaphaneError
from diaphane.vectors import load_vectors

GOOD = "3 2\ncat 0.1 0.2\ndog 0.3 0.1\nfish 0.5 0.5\n"
LINE = st.text(st.characters(codec="utf-8"), max_size=20) | st.sampled_from(
    ["1000000000 1000000000", "3 0", "cat nan inf", "dog 1e400 2", "x", "", "2 2 2"]
)


def _loads_or_refuses(text: bytes, suffix: str = ".txt") -> None:
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / f"v{suffix}"
        path.write_bytes(text)
        with contextlib.suppress(DiaphaneError):
            wv = load_vectors(path)
            assert len(wv) >= 1 and wv.dim >= 1


@given(data=st.data(), header=st.booleans())
@settings(max_examples=60, deadline=None)
def test_changed_lines(data, header):
    lines = GOOD.splitlines() if header else GOOD.splitlines()[1:]
    i = data.draw(st.integers(0, len(lines) - 1))
    op = data.draw(st.sampled_from(["replace", "insert", "drop", "truncate"]))
    if op == "replace":
        lines[i] = data.draw(LINE)
    elif op == "insert":
        lines.insert(i, data.draw(LINE))
    elif op == "drop":
        del lines[i]
    else:
        lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    _loads_or_refuses("\n".join(lines).encode("utf-8"))


@given(raw=st.binary(max_size=120), suffix=st.sampled_from([".txt", ".bin"]))
@settings(max_examples=40, deadline=None)
def test_any_bytes(raw, suffix):
    _loads_or_refuses(raw, suffix)
