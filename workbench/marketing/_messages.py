"""The messages of a period, judged: commercial or not, and what each commercial one lacks.

A message of P (``sent_at`` in P; later rows are never read) is *commercial* when
its sender labelled it ``marketing`` or when its text advertises
(:func:`workbench.marketing._content.advertising_signals`), whatever the label. The
text tests run once per distinct text (a campaign repeats one text to many people:
10M messages of the scale benchmark have 105k texts), found by a 64-bit hash of the
text and checked for collisions with a second, independent hash (two texts with one
hash: every text is then keyed by itself). Every commercial message is then checked
for an advertisement label (on the channels the content rules name), an opt-out
(likewise; never a call script), absolute terms (every channel) and consent in force
when it was sent
(:func:`workbench.marketing._consent.consent_at_send`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from workbench.marketing._consent import CONSENT_SCHEMA, consent_at_send
from workbench.marketing._content import content_features
from workbench.marketing._rules import ContentRules, Lexicon
from workbench.periods import Period

__all__ = ["MESSAGE_COLUMNS", "Judged", "judge_messages"]

#: What the judged-messages table shows (no text, no recipient: ids and findings only).
MESSAGE_COLUMNS: tuple[str, ...] = (
    "message_id", "subsidiary_id", "channel", "purpose", "sent_at", "commercial",
    "commercial_basis", "score", "ad_labelled", "opt_out", "absolute",
    "consent_state", "withdrawn_consent_id", "consent_scope_subsidiary",
    "consent_scope_channel", "withdrawn_at", "ad_unlabelled", "absolute_term", "no_opt_out",
    "marketing_without_consent",
)
_KEEP = ("_text", "advertises", "score", "ad_labelled", "opt_out", "absolute")


@dataclass(frozen=True)
class Judged:
    """The judged messages (:data:`MESSAGE_COLUMNS` and ``_text``) and, per distinct text
    (``_text``), the signals found and the absolute terms used — joined only to the
    findings that quote them.
    """

    messages: pl.DataFrame
    texts: pl.DataFrame

    def evidence(self, rows: pl.DataFrame) -> pl.DataFrame:
        """``rows`` of :attr:`messages` with their text's ``signals`` and ``absolute_terms``."""
        return rows.join(self.texts, on="_text", how="left")


def _texts(messages: pl.LazyFrame, rules: ContentRules, lexicon: Lexicon) -> pl.DataFrame:
    """The text tests, once per distinct text (``_text``: its key)."""
    check = pl.col("content").hash(seed=1)
    distinct = messages.group_by("_text").agg(pl.col("content").first(),
                                              _clash=check.min() != check.max())
    return content_features(distinct, rules=rules, lexicon=lexicon).with_columns(
        absolute=pl.col("absolute_terms").list.len() > 0).drop("content").collect()


def judge_messages(frames: Mapping[str, pl.LazyFrame], period: Period, *, rules: ContentRules,
                   lexicon: Lexicon) -> Judged:
    """Every message sent in ``period`` with its tests and the rules it breaks.

    ``commercial_basis`` is ``purpose`` (labelled marketing) or ``content`` (another
    label, but the text advertises); the four rule columns are true where the message
    breaks that rule.
    """
    in_p = pl.col("sent_at").is_between(period.start, period.end, closed="left")
    keyed = frames["marketing_messages"].filter(in_p).select(
        "message_id", "subsidiary_id", "customer_id", "channel", "sent_at", "purpose",
        "content").collect().sort("sent_at", "message_id").with_columns(
        _text=pl.col("content").hash())
    texts = _texts(keyed.lazy(), rules, lexicon)
    if texts["_clash"].any():  # two texts share a hash: key every text by itself
        keyed = keyed.with_columns(_text=pl.col("content"))
        texts = _texts(keyed.lazy(), rules, lexicon)
    texts = texts.drop("_clash")
    judged = keyed.drop("content").join(texts.select(_KEEP), on="_text", how="left")
    del keyed  # the texts (a gigabyte at 10M messages) are not needed any more
    labelled = pl.col("purpose") == "marketing"
    judged = judged.with_columns(
        commercial=labelled | pl.col("advertises"),
        commercial_basis=pl.when(labelled).then(pl.lit("purpose"))
        .when(pl.col("advertises")).then(pl.lit("content")),
    )
    judged = judged.with_row_index("_i")
    with_consent = consent_at_send(  # in sent_at order already: no sort inside
        judged.filter(pl.col("commercial")).select(
            "_i", "message_id", "customer_id", "subsidiary_id", "channel", "sent_at"),
        frames["consents"], period.end,
    ).select("_i", *CONSENT_SCHEMA)
    judged = judged.join(with_consent, on="_i", how="left", maintain_order="left")
    is_c = pl.col("commercial")
    judged = judged.with_columns(
        ad_unlabelled=is_c & pl.col("channel").is_in(list(rules.ad_label.channels))
        & ~pl.col("ad_labelled"),
        absolute_term=is_c & pl.col("absolute"),
        no_opt_out=is_c & pl.col("channel").is_in(list(rules.opt_out_channels))
        & ~pl.col("opt_out"),
        marketing_without_consent=is_c & (pl.col("consent_state") != "in_force"),
    )
    messages = judged.select(*MESSAGE_COLUMNS, "_text")
    return Judged(messages, texts.select("_text", "signals", "absolute_terms"))
