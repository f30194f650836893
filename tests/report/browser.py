"""Open an HTML file in headless chromium over the DevTools protocol and report what
happened: console errors, uncaught exceptions, network requests, rendered plotly
figures, the fonts used for Chinese text and a screenshot of the first screen.

Used by the browser tests only (through the ``chromium`` fixture). Like the
PostgreSQL tests, :func:`ensure_chromium` installs Debian's ``chromium`` (and a CJK
font) when it is missing and the tests run as root with ``apt-get`` (a fresh CI
machine), so the dashboard is checked in a real browser there;
``WORKBENCH_BROWSER_INSTALL=0`` forbids the install. Without it the tests skip
with the reason, except on CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import time
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium(timeout_s: int = 900) -> str | None:
    """The chromium binary; as root with apt-get, install Debian's package when it is missing.

    A file lock keeps two xdist workers from running apt-get at once.
    """
    found = find_chromium()
    if (found or os.environ.get("WORKBENCH_BROWSER_INSTALL", "1") == "0" or os.geteuid() != 0
            or not shutil.which("apt-get")):
        return found
    from tests.apt import apt_install

    apt_install(["chromium", "fonts-wqy-microhei"], done=lambda: find_chromium() is not None,
                timeout_s=timeout_s)
    return find_chromium()


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL requested
    plots: int = 0  # .js-plotly-plot elements
    drawn: int = 0  # of them, those with an <svg class="main-svg"> and traces
    info: dict[str, Any] = field(default_factory=dict)  # page-specific evaluation result
    fonts: list[str] = field(default_factory=list)  # platform fonts used for the <h1>
    screenshot: bytes = b""

    @property
    def network(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


class _Cdp:
    def __init__(self, url: str) -> None:
        import websocket  # websocket-client, installed with jupyter

        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, event: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(e["method"] == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(event)
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)

    def close(self) -> None:
        self.ws.close()


PLOTS_JS = """(() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const drawn = plots.filter(p => p.querySelector('svg.main-svg') &&
      p.querySelectorAll('.trace, .point, path.bars, .scatterlayer path, '
                         + '.heatmaplayer image, .hm image').length > 0);
  return JSON.stringify({plots: plots.length, drawn: drawn.length});
})()"""


def open_page(html_path: Path, profile: Path, *, eval_js: str | None = None,
              width: int = 1366, height: int = 768, settle_s: float = 20.0) -> PageReport:
    """Load ``html_path`` in a fresh headless chromium (no network: every request
    is recorded, and a dead proxy makes any real one fail)."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("no chromium")
    profile.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--no-default-browser-check", "--disable-sync", "--proxy-server=127.0.0.1:9",
         f"--user-data-dir={profile}", "--remote-debugging-port=0",
         f"--window-size={width},{height}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    cdp = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            targets = json.load(r)
        page = next(t for t in targets if t["type"] == "page")
        cdp = _Cdp(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network", "DOM", "CSS"):
            cdp.call(f"{domain}.enable")
        cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                 deviceScaleFactor=1, mobile=False)
        cdp.call("Page.navigate", url=html_path.resolve().as_uri())
        cdp.wait_for("Page.loadEventFired", timeout=60)

        report = PageReport()
        deadline, last = time.monotonic() + settle_s, None
        while time.monotonic() < deadline:  # plotly draws after load; wait until stable
            res = cdp.call("Runtime.evaluate", expression=PLOTS_JS, returnByValue=True)
            state = json.loads(res["result"]["value"])
            if state == last and state["plots"] == state["drawn"]:
                break
            last = state
            time.sleep(0.5)
        report.plots, report.drawn = last["plots"], last["drawn"]
        if eval_js:
            res = cdp.call("Runtime.evaluate", expression=eval_js, returnByValue=True)
            report.info = json.loads(res["result"]["value"])
        doc = cdp.call("DOM.getDocument")
        node = cdp.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="h1")
        if node.get("nodeId"):
            fonts = cdp.call("CSS.getPlatformFontsForNode", nodeId=node["nodeId"])
            report.fonts = [f["familyName"] for f in fonts.get("fonts", [])]
        shot = cdp.call("Page.captureScreenshot", format="png")
        report.screenshot = base64.b64decode(shot["data"])
        cdp.call("Runtime.evaluate", expression="1")  # flush pending events
        for e in cdp.events:
            m, p = e["method"], e.get("params", {})
            if m == "Network.requestWillBeSent":
                report.requests.append(p["request"]["url"])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                report.console_errors.append(" ".join(str(a.get("value", a.get("description")))
                                                      for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                report.exceptions.append(
                    d.get("exception", {}).get("description") or d.get("text", ""))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                report.console_errors.append(p["entry"].get("text", ""))
        return report
    finally:
        if cdp is not None:
            cdp.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------- PNG pixels
def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG into rows of raw pixel bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i:i + 3]) for r in rows for i in range(0, len(r), bpp)]


def colour_stats(data: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not the most common colour)."""
    from collections import Counter

    _, _, pixels = png_pixels(data)
    counts = Counter(pixels)
    top = counts.most_common(1)[0][1]
    return len(counts), 1 - top / len(pixels)
