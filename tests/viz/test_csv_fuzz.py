"""A CSV data matrix, damaged at random, reads or raises a diaphane error."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from diaphane.errors import DiaphaneError
from diaphane.viz.covariance import read_named_matrix

GOOD = "name,a,b\nx,1,2\ny,3,5\nz,2,1\n"


@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_damaged_csv(data):
    raw = bytearray(GOOD.encode())
    op = data.draw(st.sampled_from(["truncate", "flip", "insert", "replace"]))
    pos = data.draw(st.integers(0, len(raw) - 1))
    junk = data.draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"nan", b",", b"\n"]))
    if op == "truncate":
        raw = raw[:pos]
    elif op == "flip":
        raw[pos] ^= junk[0] or 1
    elif op == "insert":
        raw[pos:pos] = junk
    else:
        raw = bytearray(junk)
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "m.csv"
        path.write_bytes(bytes(raw))
        with contextlib.suppress(DiaphaneError):
            values, rows, cols = read_named_matrix(path)
            assert values.shape == (len(rows), len(cols))
