"""workbench.notebook: data quality, figure bundles, the plotly renderer, tables."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest

from workbench import notebook as wn
from workbench.periods import parse_period

Q3 = parse_period("2026-Q3")


def frames() -> dict[str, pl.LazyFrame]:
    return {
        "orders": pl.LazyFrame(
            {
                "order_id": ["O1", "O2", "O3", "O4"],
                "ordered_at": [dt.datetime(2026, 6, 30, 23, 59), dt.datetime(2026, 7, 1),
                               dt.datetime(2026, 9, 30, 23, 59), dt.datetime(2026, 10, 1)],
                "device_os": ["ios", None, None, "android"],
                "promo_id": [None, None, None, None],
            }
        ),
        "registry_snapshots": pl.LazyFrame(
            {"snapshot_date": [dt.date(2026, 9, 30), dt.date(2026, 10, 1)],
             "uscc": ["U1", "U1"], "registered_capital_cny": [1.0, None]}
        ),
        "subsidiaries": pl.LazyFrame({"subsidiary_id": ["S1"], "name": ["总部"],
                                      "province": ["31"]}),
        "customers": pl.LazyFrame(
            schema={"customer_id": pl.String, "signup_date": pl.Date, "gender": pl.String}
        ),
    }


def test_data_quality_counts_period_rows_dates_and_nulls():
    dq = wn.data_quality(frames(), Q3)
    assert dq.schema == pl.Schema(wn.DATA_QUALITY_SCHEMA)
    rows = {r["table"]: r for r in dq.iter_rows(named=True)}
    orders = rows["orders"]
    assert (orders["rows"], orders["rows_in_period"], orders["rows_after_period"]) == (4, 2, 1)
    assert (orders["min_date"], orders["max_date"]) == (dt.date(2026, 6, 30), dt.date(2026, 10, 1))
    assert orders["null_share"] == "device_os 50.0%, promo_id 100.0%"
    assert orders["max_null_share"] == 1.0
    snaps = rows["registry_snapshots"]  # a date column: the end bound is exclusive too
    assert (snaps["rows_in_period"], snaps["rows_after_period"]) == (1, 1)
    assert snaps["null_share"] == "registered_capital_cny 50.0%"
    subs = rows["subsidiaries"]  # undated, no nullable columns
    assert subs["date_column"] is None and subs["rows_in_period"] is None
    assert subs["null_share"] == "" and subs["max_null_share"] == 0.0
    empty = rows["customers"]
    assert (empty["rows"], empty["rows_in_period"], empty["max_null_share"]) == (0, 0, 0.0)


def test_data_quality_accepts_a_label():
    assert wn.data_quality(frames(), "2026-Q3").equals(wn.data_quality(frames(), Q3))


def test_figure_bundle_serves_jupyterlab_and_nbconvert():
    fig = go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": "标题"})
    with_js = wn.figure_bundle(fig, include_plotlyjs=True)
    without = wn.figure_bundle(fig, include_plotlyjs=False)
    assert set(with_js) == {wn.PLOTLY_MIMETYPE, "text/html", "text/plain"}
    assert with_js[wn.PLOTLY_MIMETYPE]["data"][0]["type"] == "bar"
    assert "plotly.js v" in with_js["text/html"]
    assert "plotly.js v" not in without["text/html"] and "Plotly.newPlot" in without["text/html"]
    for bundle in (with_js, without):
        assert "cdn" not in bundle["text/html"].split("Plotly.newPlot")[-1].lower()
        assert "<script src" not in bundle["text/html"]


@pytest.fixture
def restore_plotly():
    renderer, template = pio.renderers.default, pio.templates.default
    yield
    pio.renderers.default, pio.templates.default = renderer, template
    pl.Config.restore_defaults()


def test_setup_routes_fig_show_through_the_workbench_renderer(restore_plotly):
    wn.setup("2026-Q3")
    assert pio.renderers.default == wn.RENDERER
    fig = go.Figure(go.Bar(x=["a"], y=[1]))
    first = pio.renderers._build_mime_bundle(fig.to_dict(), renderers_string=wn.RENDERER)
    second = pio.renderers._build_mime_bundle(fig.to_dict(), renderers_string=wn.RENDERER)
    assert "plotly.js v" in first["text/html"]
    assert "plotly.js v" not in second["text/html"]
    wn.setup("2026-Q3")  # re-running a notebook from the top embeds plotly.js again
    third = pio.renderers._build_mime_bundle(fig.to_dict(), renderers_string=wn.RENDERER)
    assert "plotly.js v" in third["text/html"]
    assert wn.CJK_FONT_STACK in str(pio.templates[pio.templates.default].layout.font.family)


def test_setup_rejects_a_bad_period(restore_plotly):
    with pytest.raises(ValueError, match="not understood"):
        wn.setup("2026-Q9")


def test_frame_html_escapes_and_formats():
    html = wn.frame_html(pl.DataFrame({"name": ["<b>x</b>"], "amount": [1234.5], "p": [0.000123]}))
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "1,234.50" in html and "0.000123" in html


def test_frame_html_cuts_long_text_and_keeps_it_as_tooltip():
    from workbench.notebook import frame_html

    text = '{"evidence": "' + "x" * 300 + '"}'
    out = frame_html(pl.DataFrame({"detail": [text], "n": [1]}), max_chars=40)
    cell = out.split("<tbody>")[1]
    assert "…" in cell and 'title="' in cell
    assert cell.count("x") > 300  # the whole text survives in the tooltip
    assert "x" * 50 not in cell.split('">', 1)[1].split("</td>")[0]
