"""Who a marketing finding is about: the recipient of a message, the person behind a
privacy request (for the worklists and the people counted on the dashboard).

The marketing analysis's evidence names the message or request, never its recipient
(``workbench/marketing/_findings.py``). The people who must fix a finding need the
customer, so the report runner looks the (pseudonymous) customer id up in the
source it validated: ``marketing_messages.customer_id`` by ``message_id``,
``privacy_requests.customer_id`` by ``request_id`` — ids only, never a message's
text. A source without the marketing tables gives nothing to look up. Evidence that
carries a ``customer_id`` itself needs no look-up (:func:`workbench.evidence.customer_ids`
is read first wherever this is used).
"""

from __future__ import annotations

import polars as pl

__all__ = ["LOOKUPS", "RECIPIENTS_SCHEMA", "recipients"]

#: entity type of a marketing finding → (table, its id column) holding ``customer_id``.
LOOKUPS: dict[str, tuple[str, str]] = {
    "message": ("marketing_messages", "message_id"),
    "request": ("privacy_requests", "request_id"),
}
RECIPIENTS_SCHEMA: dict[str, pl.DataType] = {"finding_id": pl.String(),
                                             "customer_id": pl.String()}


def recipients(source: str, findings: pl.DataFrame) -> pl.DataFrame:
    """``finding_id`` → ``customer_id`` of every message or request finding whose
    message or request names a customer in ``source`` (a request whose requester
    could not be matched has none).

    The source was validated by the runner: the tables are read without checks,
    two columns each, joined to the findings' entity ids.
    """
    from workbench.sources import load

    wanted = findings.filter(pl.col("entity_type").is_in(list(LOOKUPS)))
    if wanted.is_empty():
        return pl.DataFrame(schema=RECIPIENTS_SCHEMA)
    tables = [table for table, _ in LOOKUPS.values()]
    frames = load(source, tables=tables, validate=False)
    parts = []
    for entity_type, (table, key) in LOOKUPS.items():
        ids = wanted.filter(pl.col("entity_type") == entity_type).select("finding_id",
                                                                         "entity_id")
        if ids.is_empty() or table not in frames:
            continue
        owners = frames[table].select(pl.col(key).alias("entity_id"), "customer_id")
        parts.append(ids.lazy().join(owners, on="entity_id", how="inner")
                     .select("finding_id", "customer_id").collect())
    if not parts:
        return pl.DataFrame(schema=RECIPIENTS_SCHEMA)
    return (pl.concat(parts).cast(RECIPIENTS_SCHEMA)  # type: ignore[arg-type]
            .drop_nulls("customer_id").unique("finding_id", keep="first").sort("finding_id"))
