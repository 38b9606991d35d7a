"""Drive figures in a real headless Chromium (Debian's binary through Playwright).

Use through the fixtures in ``tests/viz/conftest.py``::

    def test_opens(browser_page, tmp_path):
        path = tmp_path / "fig.html"
        fig.to_html(path)
        page, errors, requests = browser_page(path)
        assert_clean(errors, requests)
        assert "0.5" in hover_tooltip(page, "#cell-0-1")
        assert_not_blank(page)

``browser_page(path)`` opens the file in a fresh context where every request
that is not a ``file:`` URL is recorded and aborted, console errors, uncaught
exceptions and any ``alert``/``confirm``/``prompt`` dialog are recorded as
errors, and the page is closed after the test.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any, NamedTuple

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
TOOLTIP = "#dia-tooltip"


class OpenedFigure(NamedTuple):
    """A figure open in the browser; unpacks as ``page, console_errors, requests``."""

    page: Any
    console_errors: list[str]
    requests: list[str]


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright (Python package `playwright`) is not installed"
    if shutil.which("chromium") is None:
        return "no `chromium` on PATH (Debian/Ubuntu: apt-get install chromium)"
    return None


def launch(playwright: Any) -> Any:
    """Launch the system Chromium headless (never Playwright's own downloaded browser)."""
    return playwright.chromium.launch(
        executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS
    )


def open_figure(browser: Any, html_path: str | Path, viewport=(1100, 800)) -> OpenedFigure:
    """Open ``html_path`` from disk with the network blocked; record errors and requests."""
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]},
        service_workers="block",
        device_scale_factor=1,
    )
    errors: list[str] = []
    requests: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            if r.request.url not in requests:
                requests.append(r.request.url)
            r.abort()

    def on_request(request: Any) -> None:
        if not request.url.startswith(LOCAL_SCHEMES) and request.url not in requests:
            requests.append(request.url)

    def on_dialog(dialog: Any) -> None:
        errors.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", on_request)
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else 0)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("dialog", on_dialog)
    page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
    return OpenedFigure(page, errors, requests)


def assert_clean(console_errors: list[str], requests: list[str]) -> None:
    """No console errors, exceptions or dialogs, and no request left the file."""
    assert console_errors == [], console_errors
    assert requests == [], f"the page tried to reach outside: {requests}"


def tooltip_text(page: Any) -> str:
    """The visible tooltip's text (waits for it to show)."""
    tip = page.locator(f"{TOOLTIP}:not([hidden])")
    tip.wait_for(state="visible", timeout=3000)
    return tip.inner_text()


def hover_tooltip(page: Any, selector: str) -> str:
    """Hover the first element matching ``selector`` and return the tooltip's text."""
    page.mouse.move(0, 0)
    page.locator(selector).first.hover()
    return tooltip_text(page)


def screenshot_stats(page: Any, path: str | Path | None = None) -> tuple[float, int]:
    """Screenshot the page; return (grey-level standard deviation, number of colours)."""
    import numpy as np
    from PIL import Image

    png = page.screenshot(full_page=True)
    if path is not None:
        Path(path).write_bytes(png)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int64)
    grey = pixels.mean(axis=2)
    packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    return float(grey.std()), int(np.unique(packed).size)


def assert_not_blank(page: Any, path: str | Path | None = None, min_colors: int = 8) -> None:
    """The screenshot shows something: its pixels vary and use several colours."""
    std, colors = screenshot_stats(page, path)
    assert std > 5.0, f"screenshot looks blank (grey-level std {std:.2f})"
    assert colors >= min_colors, f"screenshot has only {colors} colours"
