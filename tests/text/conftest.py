import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(autouse=True)
def _offline_data(monkeypatch):
    """Tests read the shared archives and never touch the network."""
    if not os.environ.get("DIAPHANE_DATA"):
        monkeypatch.setenv("DIAPHANE_DATA", str(SHARED_DATA))
    monkeypatch.setenv("DIAPHANE_OFFLINE", "1")
