"""The tables of the tiering report as a reader needs them (the notebook only shows them).

Each view picks the columns a reader acts on, in the order they read them, puts
the problems first and hides what carries nothing (groups with no customers);
column names end in ``_cny``/``_rate``/``_share`` where the value is money or a
share, so :func:`workbench.notebook.table` formats them (¥, %). Headers and coded
values come from :mod:`workbench.tiering._words`. The exact statistics of the
group comparison are a separate view (:func:`disparity_details`), shown collapsed.
"""

from __future__ import annotations

import polars as pl

from workbench import i18n
from workbench.analysis import AnalysisResult
from workbench.evidence import evidence_sentence, group_label
from workbench.tiering._words import TIERS, tier_word

_NONE = "(none)"


def policy_view(result: AnalysisResult) -> pl.DataFrame:
    """The tier policy at the period end, best tier first, with holders and eligibles."""
    return result.tables["policy"].select(
        "tier", pl.col("min_spend_12m").alias("min_spend_12m_cny"), "min_orders_12m",
        "min_tenure_months", "review_cycle_days", "published_at", "is_published", "holders",
        "eligible",
    )


def mismatch_view(result: AnalysisResult) -> pl.DataFrame:
    """Eligible tier (rows) × tier held (columns ``held_<tier>``, headers in words)."""
    matrix = result.tables["mismatch_matrix"]
    held = [c for c in matrix.columns if c != "eligible_tier"]
    names = {c: f"held_{c}" for c in held}
    i18n.register(columns={
        f"held_{c}": (f"实际为{TIERS.get(c, (c, c))[0]}" if c != _NONE else "无等级记录",
                      f"Holds {TIERS.get(c, (c, c))[1]}" if c != _NONE else "No tier on record")
        for c in held
    })
    return matrix.rename(names)


def eligibility_view(result: AnalysisResult) -> pl.DataFrame:
    """Per customer: spend, orders, tenure, the tier due and held, and the rule flags;
    customers with a problem first (under-tiered by most ranks, then over-tiered,
    then the process flags).
    """
    e = result.tables["eligibility"]
    problem = (pl.col("status") != "match") | pl.col("is_stale") | pl.col(
        "is_manual_without_reason") | pl.col("is_dormant_top")
    order = pl.col("status").replace_strict({"under": 0, "over": 1, "match": 2}, default=3,
                                            return_dtype=pl.Int8)
    return e.sort([problem, order, "rank_gap", "customer_id"],
                  descending=[True, False, False, False]).select(
        "customer_id", "subsidiary_id", "eligible_tier", "current_tier",
        pl.col("status").alias("tier_status"), "current_method", "spend_12m_cny",
        "orders_12m", "tenure_months", pl.col("assigned_at").dt.date(), "review_cycle_days",
        "is_stale", "is_manual_without_reason", "is_dormant_top",
        pl.col("last_order_at").dt.date(),
    )


def hidden_by_view(result: AnalysisResult, by: str) -> pl.DataFrame:
    """Hidden money by ``subsidiary`` or ``tier`` (held at grant), most hidden money first."""
    key = {"subsidiary": "subsidiary_id", "tier": "held_tier"}[by]
    table = result.tables["hidden_by_subsidiary" if by == "subsidiary" else "hidden_by_tier"]
    return table.sort("hidden_amount_cny", key, descending=[True, False]).select(
        key, "grants", "hidden_grants", "hidden_grant_rate", "hidden_amount_cny",
        pl.col("share_of_hidden_amount").alias("hidden_amount_share"),
        pl.col("share_of_grants").alias("grants_share"), pl.col("concentration").round(2),
    )


def _judged(result: AnalysisResult) -> pl.DataFrame:
    """Groups with anyone in them: flagged first, then tested, largest disadvantage first."""
    d = result.tables["disparity"].filter(pl.col("n_group") > 0)
    return d.sort([pl.col("flagged"), pl.col("tested"), pl.col("disadvantage").fill_nan(None),
                   pl.col("group")], descending=[True, True, True, False], nulls_last=True)


def _explained(col: str = "explained_by") -> pl.Expr:
    """``explained_by`` in words: the kept groups named, a re-test said so."""
    lang = i18n.current_lang()

    def words(v: str) -> str:
        if v == "(re-test)":
            return i18n.tr("复检后不再显著", "no longer significant when re-tested")
        return ("；" if lang == "zh" else "; ").join(
            group_label(g.strip(), lang) for g in v.split(","))

    return pl.col(col).map_elements(words, return_dtype=pl.String)


def disparity_view(result: AnalysisResult, metric: str) -> pl.DataFrame:
    """The groups tested on ``metric`` (both sides big enough), flagged first: sizes,
    the two rates, the disadvantage in percentage points, and what the judgement was.
    """
    return _judged(result).filter(pl.col("tested") & (pl.col("metric") == metric)).select(
        "group", "n_group", pl.col("rate_group").alias("group_rate"),
        pl.col("rate_rest").alias("rest_rate"),
        (pl.col("disadvantage") * 100).round(1).alias("gap_points"), "flagged",
        _explained(),
    )


def disparity_details(result: AnalysisResult) -> pl.DataFrame:
    """Every group with anyone in it, with the exact statistics a reviewer checks
    (counts, intervals, ratios, p- and q-values); groups with nobody are left out.
    """
    return _judged(result).select(
        "group", "metric", "n_group", "k_group", pl.col("rate_group").alias("group_rate"),
        "n_rest", "k_rest", pl.col("rate_rest").alias("rest_rate"), "difference",
        "difference_ci_low", "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high",
        "favourable_ratio", "favourable_ratio_ci_low", "favourable_ratio_ci_high",
        "four_fifths_breach", "p_value", "q_value", "tested", "significant", _explained(),
        "flagged",
    )


def worklist_view(result: AnalysisResult) -> pl.DataFrame:
    """The worklist with each finding's evidence as one plain sentence."""
    lang = i18n.current_lang()
    details = result.findings.select("finding_id", "detail", "amount_kind")
    rows = result.tables["worklist"].join(details, on="finding_id", how="left")
    evidence = [
        evidence_sentence(r["rule"], r["entity_type"], r["entity_id"], r["detail"] or "{}",
                          lang, amount_cny=r["amount_cny"], amount_kind=r["amount_kind"])
        for r in rows.iter_rows(named=True)
    ]
    return rows.select(
        "priority", "severity", "rule",
        pl.when(pl.col("entity_type") == "policy")
        .then(pl.col("entity_id").map_elements(tier_word, return_dtype=pl.String))
        .otherwise(pl.col("entity_id")).alias("entity_id"),
        "subsidiary_id", "amount_cny",
    ).with_columns(pl.Series("evidence", evidence, pl.String))
