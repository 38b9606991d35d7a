"""Figure tests share the root ``tests/conftest.py`` fixtures: ``chromium`` (one headless
Chromium for the session), ``browser_page(path)`` (see ``browser.py``: returns
``(page, console_errors, requests)``) and ``hostile_word``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
