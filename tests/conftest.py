"""Every test reads corpora from the shared data folder and never touches the network.

Set at import, before any fixture of any scope runs (module-scoped fixtures load corpora).
"""

import os
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

os.environ.setdefault("DIAPHANE_DATA", str(SHARED_DATA))
os.environ["DIAPHANE_OFFLINE"] = "1"
