"""Executed notebook → report HTML with no code that opens offline.

nbconvert's ``lab`` template is used with a small override
(:data:`OFFLINE_TEMPLATE`) that drops everything it would fetch from a CDN —
require.js, MathJax, mermaid.js and the jupyter-widgets manager — and adds a
``zh`` language tag plus a CJK-capable font stack. CSS is inlined by the lab
template itself. Charts come with their own plotly.js, embedded once per
notebook by :func:`workbench.notebook.show`. After export,
:func:`external_references` double-checks that no script or stylesheet still
points at the network; :func:`notebook_to_html` refuses to return such HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from workbench.notebook import CJK_FONT_STACK

_TEMPLATE_KEY = "workbench_offline.html.j2"

OFFLINE_TEMPLATE = (
    """\
{%- extends 'index.html.j2' -%}
{#- workbench: an offline report. Nothing here may load from the network. -#}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
:root {
  --jp-ui-font-family: FONTS;
  --jp-content-font-family: FONTS;
}
body { font-family: FONTS; max-width: 1200px; margin: 0 auto; }
.jp-Cell.jp-mod-noOutputs.jp-mod-noInput { display: none; }
</style>
{%- endblock extra_css -%}
"""
).replace("FONTS", CJK_FONT_STACK)

# A <script src=…>, <link href=…>, CSS @import or ES-module import that reaches
# the network (http:, https: or protocol-relative //).
_EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?\s*["']?((?:https?:)?//[^"'\s)]+)"""
    r"""|\bimport\s*\(?\s*["']((?:https?:)?//[^"']+)["']""",
    re.IGNORECASE,
)


class RenderError(Exception):
    """An executed notebook could not be turned into an offline report."""


def external_references(html: str) -> list[str]:
    """URLs of scripts, stylesheets and imports in ``html`` that need the network.

    >>> external_references('<script src="https://cdn.plot.ly/plotly.js"></script>')
    ['https://cdn.plot.ly/plotly.js']
    >>> external_references('<a href="https://samr.gov.cn">SAMR</a><script>var x=1</script>')
    []
    """
    return [next(g for g in m.groups() if g) for m in _EXTERNAL.finditer(html)]


def _exporter():  # type: ignore[no-untyped-def]
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_KEY: OFFLINE_TEMPLATE})],
        template_file=_TEMPLATE_KEY,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="zh",
        embed_images=True,
    )


def notebook_to_html(nb: nbformat.NotebookNode | str | Path, *, title: str | None = None) -> str:
    """Export an executed notebook (node or path) to offline HTML without code.

    Raises :class:`RenderError` if the result would still load anything from the
    network.
    """
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    if title:
        nb.metadata["title"] = title
    html, _ = _exporter().from_notebook_node(nb)
    refs = external_references(html)
    if refs:
        raise RenderError(f"the HTML would load from the network: {sorted(set(refs))[:5]}")
    return html


def render_notebook(notebook: str | Path, html_path: str | Path, *, title: str | None = None) -> Path:
    """Write ``notebook`` (executed) as offline HTML to ``html_path`` (UTF-8)."""
    html_path = Path(html_path)
    html_path.write_text(notebook_to_html(notebook, title=title), encoding="utf-8")
    return html_path
