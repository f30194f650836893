"""Consent in force at the moment of sending, by as-of joins (no loop over messages).

Contract v1.1: consent for a message is a ``marketing`` consent of that customer,
for the sender (or the whole group: ``subsidiary_id`` null) and that channel (or
every channel: ``channel`` null), granted at or before ``sent_at`` and not
withdrawn by then. So a consent granted exactly at ``sent_at`` covers the message,
and one withdrawn exactly at ``sent_at`` does not.

How: the marketing consents of each scope key (customer, sender or ``*``, channel
or ``*``) are merged into disjoint intervals ``[granted, withdrawn)`` (overlapping
grants form one interval, so an earlier consent still in force is not hidden by a
later one that was withdrawn); each message then looks up, by one backward as-of
join per key it can match (its sender and channel, its sender and ``*``, ``*``
and its channel, ``*`` and ``*``), the last interval that began at or before it.
It is covered when that interval has not ended by ``sent_at``. When no key covers
it, the latest end before it (if any) is the withdrawal the evidence names.

Withdrawals after the end of P are not known at the end of P and read as "still in
force" (the same answer for any message of P: they come after it).

>>> import datetime as dt, polars as pl
>>> t = dt.datetime
>>> msgs = pl.DataFrame({"message_id": ["M1", "M2", "M3"], "customer_id": ["C1"] * 3,
...     "subsidiary_id": ["S1"] * 3, "channel": ["sms"] * 3,
...     "sent_at": [t(2026, 7, 1), t(2026, 8, 1), t(2026, 9, 1)]})
>>> consents = pl.LazyFrame({"consent_id": ["K1"], "customer_id": ["C1"],
...     "subsidiary_id": [None], "purpose": ["marketing"], "channel": [None],
...     "granted_at": [t(2026, 7, 1)], "withdrawn_at": [t(2026, 8, 1)]})
>>> consent_at_send(msgs, consents, t(2026, 10, 1))["consent_state"].to_list()
['in_force', 'withdrawn', 'withdrawn']
"""

from __future__ import annotations

import datetime as dt

import polars as pl

__all__ = ["ANY", "CONSENT_SCHEMA", "consent_at_send", "merged_consents"]

#: The key value of a consent for the whole group or for every channel.
ANY = "*"
#: Far future: the end of an interval never withdrawn (before the end of P).
_OPEN_END = dt.datetime(9999, 12, 31)
_KEYS = ("customer_id", "_sub", "_ch")
_SHIFT = 1 << 32
#: The columns :func:`consent_at_send` adds to each message.
CONSENT_SCHEMA: dict[str, pl.DataType] = {
    "consent_state": pl.String(),
    "withdrawn_consent_id": pl.String(),
    "consent_scope_subsidiary": pl.String(),
    "consent_scope_channel": pl.String(),
    "withdrawn_at": pl.Datetime("us"),
}


def _sorted_by_key(rows: pl.LazyFrame) -> pl.DataFrame:
    """``rows`` with each scope key's rows together, by start: sorted by a 64-bit hash
    of the key (fast), unless two keys share a hash (then by the key's text).
    """
    hashed = rows.with_columns(_h=pl.struct(*_KEYS).hash()).sort("_h", "start", "end").collect()
    same_hash = pl.col("_h") == pl.col("_h").shift(1)
    other_key = pl.any_horizontal([pl.col(k) != pl.col(k).shift(1) for k in _KEYS])
    if hashed.select((same_hash & other_key).any()).item():
        return hashed.sort([*_KEYS, "start", "end"]).drop("_h")
    return hashed.drop("_h")


def merged_consents(consents: pl.LazyFrame, period_end: dt.datetime) -> pl.DataFrame:
    """Marketing consents granted before the end of P, merged per scope key.

    One row per disjoint interval: the key (``customer_id``, ``_sub``, ``_ch``; ``*``
    for the whole group / every channel), ``start``, ``end`` (``_OPEN_END`` while in
    force) and the consent whose withdrawal ended it.
    """
    ends = pl.coalesce(pl.when(pl.col("withdrawn_at") < period_end).then(pl.col("withdrawn_at")),
                       pl.lit(_OPEN_END))
    rows = _sorted_by_key(
        consents.filter((pl.col("purpose") == "marketing") & (pl.col("granted_at") < period_end))
        .select("consent_id", "customer_id", _sub=pl.col("subsidiary_id").fill_null(ANY),
                _ch=pl.col("channel").fill_null(ANY), start=pl.col("granted_at"), end=ends))
    # A new interval starts where a grant comes after every earlier end of its key:
    # the running maximum of the ends within a key, without a window per key (slow
    # with millions of small keys): key number × 2^32 + the end's dense rank grows
    # monotonically across keys, so one cumulative maximum serves them all.
    key = pl.any_horizontal([pl.col(k) != pl.col(k).shift(1) for k in _KEYS]).fill_null(True)
    rows = rows.with_columns(_key=key.cum_sum().cast(pl.Int64),
                             _rank=pl.col("end").rank("dense").cast(pl.Int64))
    ends_by_rank = rows["end"].unique().sort()
    packed = (pl.col("_key") * _SHIFT + pl.col("_rank")).cum_max().shift(1)
    rows = rows.with_columns(_reach=pl.when(packed // _SHIFT == pl.col("_key"))
                             .then(packed % _SHIFT - 1))
    reach = ends_by_rank.gather(rows["_reach"])
    rows = rows.with_columns(_group=(reach.is_null() | (rows["start"] > reach)).cum_sum())
    return (rows.group_by("_group")
            .agg(pl.col(*_KEYS).first(), pl.col("start").min(), pl.col("end").max(),
                 ended_by=pl.col("consent_id").get(pl.col("end").arg_max()))
            .drop("_group").sort("start"))


#: Key variants a message can match, most specific first: (its sender?, its channel?).
_VARIANTS = ((True, True), (True, False), (False, True), (False, False))


def _lookup(messages: pl.DataFrame, intervals: pl.DataFrame, sub: bool,
            ch: bool) -> pl.DataFrame | None:
    """Per message (same rows, same order): the last interval of one key variant that
    began at or before it — ``end`` (null: none), whether it covers, who ended it.
    """
    right = intervals.filter(
        (pl.col("_sub") != ANY) if sub else (pl.col("_sub") == ANY),
        (pl.col("_ch") != ANY) if ch else (pl.col("_ch") == ANY),
    ).select(*_KEYS, "start", "end", "ended_by")
    if right.height == 0:
        return None
    left = messages.select(
        "sent_at", "customer_id",
        _sub=pl.col("subsidiary_id") if sub else pl.lit(ANY),
        _ch=pl.col("channel") if ch else pl.lit(ANY),
    )
    # constant key columns (the "*" of the whole group / every channel) are no key
    by = ["customer_id", *(["_sub"] if sub else []), *(["_ch"] if ch else [])]
    hit = left.join_asof(right, left_on="sent_at", right_on="start", by=by,
                         strategy="backward", check_sortedness=False)
    return hit.select("end", "ended_by", "_sub", "_ch",
                      covered=(pl.col("sent_at") < pl.col("end")).fill_null(False))


def _combined(found: list[pl.DataFrame]) -> pl.DataFrame:
    """One row per message from the aligned variants: in force by the most specific
    covering variant, else withdrawn by the latest end before it, else none.
    """
    wide = pl.concat([f.rename(lambda c, i=i: f"{c}_{i}") for i, f in enumerate(found)],
                     how="horizontal")
    n = range(len(found))
    covered = [pl.col(f"covered_{i}") for i in n]
    latest = pl.max_horizontal([pl.col(f"end_{i}") for i in n])

    def pick(column: str) -> pl.Expr:
        expr = pl.when(covered[0]).then(pl.col(f"{column}_0"))
        for i in n[1:]:
            expr = expr.when(covered[i]).then(pl.col(f"{column}_{i}"))
        for i in n:
            expr = expr.when(pl.col(f"end_{i}") == latest).then(pl.col(f"{column}_{i}"))
        return expr

    in_force = pl.any_horizontal(covered)
    return wide.select(
        consent_state=pl.when(in_force).then(pl.lit("in_force"))
        .when(latest.is_not_null()).then(pl.lit("withdrawn")).otherwise(pl.lit("none")),
        withdrawn_consent_id=pl.when(~in_force).then(pick("ended_by")),
        consent_scope_subsidiary=pick("_sub"),
        consent_scope_channel=pick("_ch"),
        withdrawn_at=pl.when(~in_force).then(latest),
    )


def consent_at_send(messages: pl.DataFrame, consents: pl.LazyFrame,
                    period_end: dt.datetime) -> pl.DataFrame:
    """``messages`` with whether a marketing consent was in force when each was sent.

    ``messages`` needs ``message_id``, ``customer_id``, ``subsidiary_id``,
    ``channel``, ``sent_at``; its rows come back in their order. Adds
    :data:`CONSENT_SCHEMA`: ``consent_state`` (``in_force``, ``withdrawn`` — a
    consent that would cover it had been withdrawn at or before ``sent_at`` — or
    ``none``), the scope that covered it or was withdrawn (``*`` = the whole group /
    every channel), and for a withdrawal the consent and the moment
    (``withdrawn_consent_id``, ``withdrawn_at``).
    """
    ordered = messages["sent_at"].is_sorted()
    base = messages if ordered else messages.with_row_index("_row").sort("sent_at")
    intervals = merged_consents(consents, period_end)
    found = [f for sub, ch in _VARIANTS
             if (f := _lookup(base, intervals, sub, ch)) is not None]
    if found:
        out = pl.concat([base, _combined(found)], how="horizontal")
    else:
        out = base.with_columns(pl.lit(None, d).alias(c) for c, d in CONSENT_SCHEMA.items())
        out = out.with_columns(consent_state=pl.lit("none"))
    if not ordered:
        out = out.sort("_row").drop("_row")
    return out.cast(CONSENT_SCHEMA)  # type: ignore[arg-type]
