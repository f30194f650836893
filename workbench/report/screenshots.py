"""Screenshots of a report's dashboard for the docs, taken in headless Chromium.

``python -m workbench.report.screenshots reports/2026-Q3 --out docs/img`` writes
``dashboard-1366.png`` (the first screen of a 1366×768 laptop) and
``dashboard-390.png`` (the first two screens of a 390 px phone) of the folder's
``dashboard.html``, as a reader of the README sees the dashboard. Chromium runs
with a dead proxy, so the page cannot load anything from the network; the
browser tests (``tests/report/test_browser.py``) check the same page for
overflow, console errors and requests.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["SIZES", "find_chromium", "main", "screenshot"]

#: name → (width, height) in CSS pixels.
SIZES: dict[str, tuple[int, int]] = {"1366": (1366, 768), "390": (390, 1688)}
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """The Chromium binary; a clear error naming the Debian package when there is none."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError("no chromium found (Debian: apt-get install -y chromium "
                            "fonts-wqy-microhei)")


def screenshot(html: Path, png: Path, width: int, height: int, *,
               chromium: str | None = None, settle_ms: int = 15000) -> Path:
    """``png``: ``html`` at ``width``×``height``, after plotly has drawn (virtual time)."""
    html, png = Path(html).resolve(), Path(png).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"no dashboard at {html}")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wb-shot-") as profile:
        subprocess.run(
            [chromium or find_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars", "--no-first-run", "--disable-background-networking",
             "--proxy-server=127.0.0.1:9", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", f"--virtual-time-budget={settle_ms}",
             f"--screenshot={png}", html.as_uri()],
            check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    return png


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m workbench.report.screenshots",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a report folder (holds dashboard.html)")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args(argv)
    for name, (width, height) in SIZES.items():
        path = screenshot(args.report / "dashboard.html", args.out / f"dashboard-{name}.png",
                          width, height)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
