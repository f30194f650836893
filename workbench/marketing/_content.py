"""What a message's text says, as polars expressions over a ``content`` column.

Every test is a regex of the content rules (:mod:`workbench.marketing._rules`), run
in polars (Rust ``regex``: linear time, no Python per row):

* :func:`advertising_signals` — the commercial signals found, their total weight and
  whether the text *advertises* (total ≥ the threshold), on the text with its
  neutral (transactional) phrases blanked out, plus the derived signals: the
  sender's own ad marker, an opt-out line and an absolute claim;
* :func:`ad_labelled` — an accepted advertisement label at the start or the end;
* :func:`has_opt_out` — a way to refuse further messages;
* :func:`absolute_terms` — the absolute terms the text uses once the lexicon's
  exceptions are blanked out (the matched words only).

:func:`content_features` puts them together on a frame of distinct texts, so a
campaign sent to a million people is read once.

>>> import polars as pl
>>> df = pl.DataFrame({"content": ["【云铺】【广告】全网最低价！满199减30，回T退订",
...                                "【云铺】您的订单已使用优惠券抵扣20元，实付¥99.00"]})
>>> out = content_features(df.lazy()).collect()
>>> out.select("advertises", "ad_labelled", "opt_out", "absolute_terms").rows()
[(True, True, True, ['全网最低']), (False, False, False, [])]
"""

from __future__ import annotations

import polars as pl

from workbench.marketing._rules import (
    ContentRules,
    Lexicon,
    alternation,
    load_content_rules,
    load_lexicon,
)

__all__ = [
    "absolute_terms",
    "ad_labelled",
    "advertising_signals",
    "content_features",
    "has_opt_out",
    "term_entries",
]

#: What a blanked-out phrase becomes (a character no pattern matches).
BLANK = "□"
_CONTENT = pl.col("content")


def ad_labelled(rules: ContentRules, content: pl.Expr = _CONTENT) -> pl.Expr:
    """Whether the text carries an accepted advertisement label at its start or end."""
    label = rules.ad_label
    return content.str.contains(label.at_start) | content.str.contains(label.at_end)


def has_opt_out(rules: ContentRules, content: pl.Expr = _CONTENT) -> pl.Expr:
    """Whether the text tells a way to refuse further messages."""
    return content.str.contains(alternation(p.pattern for p in rules.opt_out))


def _normalised(content: pl.Expr) -> pl.Expr:
    """NFKC (full-width → ASCII) and no spaces between Chinese characters (twice: one
    pass joins every other pair), so "Ｎｏ．１" and "最 佳" read as "No.1" and "最佳".
    """
    han = r"(\p{Han})\s+(\p{Han})"
    return content.str.normalize("NFKC").str.replace_all(han, "$1$2").str.replace_all(han, "$1$2")


def absolute_terms(lexicon: Lexicon, content: pl.Expr = _CONTENT) -> pl.Expr:
    """The absolute terms the text uses (a list of the matched words, possibly empty).

    The text is normalised (:func:`_normalised`), then the exceptions and the
    company's own names are blanked out. A ``…第一`` / ``NO.1`` / ``TOP1`` match
    loses the character after it that the pattern reads to make sure the number ends
    there.
    """
    masked = _normalised(content).str.replace_all(lexicon.masked, BLANK)
    words = masked.str.extract_all(lexicon.any_term)
    tidy = pl.element().str.replace(r"^(.*(?:第[一1]|(?i:no|top)\.?\s?1))[^0-9]$", "$1")
    return words.list.eval(tidy).fill_null([])


def advertising_signals(rules: ContentRules, lexicon: Lexicon, content: pl.Expr = _CONTENT,
                        derived: dict[str, pl.Expr] | None = None) -> list[pl.Expr]:
    """``signals`` (names found), ``score`` (their weight) and ``advertises``.

    Signals of the file are searched in the text with the neutral phrases blanked
    out; the derived ones (``ad_label``: a marker anywhere, ``opt_out``,
    ``absolute_term``) in the text as it is — or taken from ``derived`` when the
    caller has them already (:func:`content_features` computes each test once).
    """
    neutral = content.str.replace_all(alternation(p.pattern for p in rules.neutral), BLANK)
    found: list[tuple[str, int, pl.Expr]] = [
        (s.name, s.weight, neutral.str.contains(s.pattern)) for s in rules.signals
    ]
    derived = derived or {
        "ad_label": content.str.contains(rules.ad_label.anywhere),
        "opt_out": has_opt_out(rules, content),
        "absolute_term": absolute_terms(lexicon, content).list.len() > 0,
    }
    found += [(name, rules.derived[name], hit) for name, hit in derived.items()
              if rules.derived.get(name)]
    score = pl.sum_horizontal(
        [hit.cast(pl.Int32) * weight for _, weight, hit in found]).alias("score")
    names = pl.concat_list(
        [pl.when(hit).then(pl.lit(name)).otherwise(pl.lit(None, pl.String))
         for name, _, hit in found]).list.drop_nulls().alias("signals")
    return [names, score, (score >= rules.threshold).alias("advertises")]


def content_features(texts: pl.LazyFrame, *, rules: ContentRules | None = None,
                     lexicon: Lexicon | None = None) -> pl.LazyFrame:
    """Every text test on a frame with a ``content`` column (one row per text).

    Returns the frame with ``signals``, ``score``, ``advertises``, ``ad_labelled``,
    ``opt_out`` and ``absolute_terms``.
    """
    rules = rules or load_content_rules()
    lexicon = lexicon or load_lexicon()
    tested = texts.with_columns(
        ad_labelled(rules).alias("ad_labelled"),
        has_opt_out(rules).alias("opt_out"),
        absolute_terms(lexicon).alias("absolute_terms"),
        _CONTENT.str.contains(rules.ad_label.anywhere).alias("_marker"),
    )
    derived = {"ad_label": pl.col("_marker"), "opt_out": pl.col("opt_out"),
               "absolute_term": pl.col("absolute_terms").list.len() > 0}
    return tested.with_columns(*advertising_signals(rules, lexicon, derived=derived)).drop(
        "_marker")


def term_entries(words: pl.Series, lexicon: Lexicon) -> dict[str, str]:
    """Each matched word → the lexicon entry that matched it (for the evidence)."""
    out: dict[str, str] = {}
    unique = pl.DataFrame({"w": words.drop_nulls().unique()})
    for term in lexicon.terms:
        hits = unique.filter(pl.col("w").str.contains(term.pattern))["w"].to_list()
        for w in hits:
            out.setdefault(w, term.name)
    return out
