"""Every published page looked at in a real browser, as its readers see it: the
dashboard and each analysis report of a report run on the tiny sample, in Chinese
and in English, at 1366 px (a laptop) and 390 px (a phone).

Each page: no horizontal overflow of the page (wide tables scroll in their own
box), no console errors or exceptions, no network request, a ``<title>`` in the
report's language. A Chinese page's visible text is Chinese: no run of three or
more English words outside code identifiers, collapsed statistics (``<details>``)
and the charts (whose words the analyses' own tests check).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.report.browser import open_page
from workbench.cli import main
from workbench.contract import ANALYSES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("browser"),
    pytest.mark.usefixtures("chromium"),
    pytest.mark.skipif(importlib.util.find_spec("websocket") is None,
                       reason="websocket-client (installed with jupyter) is missing"),
]

PERIOD = "2026-Q3"
WIDTHS = (1366, 390)

#: Measures the page, then strips what may hold code words (code, collapsed
#: statistics, charts, scripts) and returns the visible text that is left.
READ_JS = """(() => {
  const vw = window.innerWidth, sw = document.documentElement.scrollWidth;
  const title = document.title;
  document.querySelectorAll(
    'details, code, pre, script, style, .js-plotly-plot, .plotly-graph-div, svg'
  ).forEach(e => e.remove());
  return JSON.stringify({vw, sw, title, text: document.body.innerText});
})()"""

#: Three or more English words in a row (letters only, so code_ids and file.names
#: do not count).
ENGLISH_RUN = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z'’]+(?:[ ,]+[A-Za-z][A-Za-z'’]+){2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_runs(text: str) -> list[str]:
    """The runs of English words in ``text`` (see :data:`ENGLISH_RUN`).

    >>> english_runs("本期共发现 3 项问题（hidden_benefit），详见 findings.csv")
    []
    >>> english_runs("本期 the report is mostly English")
    ['the report is mostly English']
    """
    return [m.group(0) for m in ENGLISH_RUN.finditer(text)]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from workbench.samples import generate

    base = tmp_path_factory.mktemp("browser-reports")
    source = base / "tiny"
    generate(source, scale="tiny")
    folders = {}
    for lang in ("zh", "en"):
        out = base / f"reports-{lang}"
        code = main(["report", "--source", str(source), "--period", PERIOD, "--out", str(out),
                     "--lang", lang])
        assert code == 0
        folders[lang] = out / PERIOD
    return folders


PAGES = ("dashboard", *ANALYSES)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_published_page_reads_in_its_language_at_both_widths(
    published: dict[str, Path], page: str, lang: str, tmp_path: Path
) -> None:
    path = published[lang] / f"{page}.html"
    if not path.is_file():
        pytest.skip(f"{page} is not part of this report run")
    for width in WIDTHS:
        report = open_page(path, tmp_path / f"profile-{width}", eval_js=READ_JS, width=width,
                           height=900)
        assert report.console_errors == [], report.console_errors
        assert report.exceptions == [], report.exceptions
        assert report.network == [], report.network
        info = report.info
        assert info["sw"] <= info["vw"], f"{page} ({lang}) is {info['sw']} px wide at {width}"
        if lang == "zh":
            assert CJK.search(info["title"]), info["title"]
            runs = english_runs(info["text"])
            assert runs == [], f"{page}: English in the Chinese page: {runs[:10]}"
        else:
            assert not CJK.search(info["title"]), info["title"]
