"""One builder per marketing rule code, named after it: the raw findings of each rule.

Each builder returns raw findings (``rule``, ``severity``, ``entity_type``,
``entity_id``, ``subsidiary_id``, ``detail`` as a struct) or an empty frame;
:func:`contract_findings` turns them into contract findings. It does what
:func:`workbench.findings.make_findings` does — the analysis column, the stable
``finding_id``, the rule's legal basis in the evidence where the builder gave none,
the contract checks (:func:`workbench.findings.validate_findings`) — but encodes the
evidence in polars instead of row by row in Python: one finding per message, and a
campaign sent without its label to a million people is a million findings (12 s
through ``make_findings``, 2 s here; the same ids and evidence, tested).

The evidence carries ids, times, figures, the matched words or pattern names and the
legal basis — never the text of a message, a refusal reason or a recipient's id.

* :func:`ad_unlabelled`, :func:`absolute_term`, :func:`no_opt_out`,
  :func:`marketing_without_consent` — from the judged messages
  (:func:`workbench.marketing._messages.judge_messages`);
* :func:`privacy_request_overdue` — from the judged requests
  (:func:`workbench.marketing._requests.judge_requests`);
* :func:`refusal_without_reason` — from :func:`workbench.marketing._requests.refusals`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import polars as pl

from workbench.contract import ENUMS, FINDINGS_SCHEMA, RULES
from workbench.findings import empty_findings, validate_findings
from workbench.marketing._content import term_entries
from workbench.marketing._messages import Judged
from workbench.marketing._requests import PrivacyPolicy
from workbench.marketing._rules import ContentRules, Lexicon
from workbench.severity import severity, severity_evidence

__all__ = [
    "absolute_term",
    "ad_unlabelled",
    "contract_findings",
    "marketing_without_consent",
    "no_opt_out",
    "privacy_request_overdue",
    "refusal_without_reason",
]

_ISO = "%Y-%m-%dT%H:%M:%S"


def _ts(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime(_ISO)


def _message_head(rule: str, entity: str = "message") -> list[pl.Expr]:
    return [pl.lit(rule).alias("rule"), pl.lit(entity).alias("entity_type")]


def _message_facts() -> dict[str, pl.Expr]:
    """What every message finding states: channel, time, the sender's label and why
    the message counts as commercial.
    """
    return {
        "channel": pl.col("channel"),
        "sent_at": _ts("sent_at"),
        "purpose_label": pl.col("purpose"),
        "commercial_because": pl.col("commercial_basis"),
        "signals": pl.col("signals"),
        "signal_score": pl.col("score"),
    }


def _finish(rows: pl.DataFrame, rule: str, inputs: dict[str, pl.Expr],
            detail: dict[str, pl.Expr], entity: str = "message",
            id_column: str = "message_id") -> pl.DataFrame:
    if rows.height == 0:
        return pl.DataFrame()
    return rows.select(
        *_message_head(rule, entity),
        severity=severity(rule, **inputs),
        entity_id=pl.col(id_column),
        subsidiary_id=pl.col("subsidiary_id"),
        detail=pl.struct(**detail, severity_basis=severity_evidence(rule, **inputs)),
    )


def ad_unlabelled(judged: Judged, rules: ContentRules) -> pl.DataFrame:
    """``ad_unlabelled``: a commercial message with no accepted advertisement label.

    Severity: one level up when the sender labelled it a service or transaction
    message (an advertisement passed off as something else).
    """
    rows = judged.evidence(judged.messages.filter(pl.col("ad_unlabelled")))
    markers = [m.name for m in rules.ad_label.markers]
    inputs = {"disguised": pl.col("purpose") != "marketing"}
    detail = {**_message_facts(), "signal_threshold": pl.lit(rules.threshold),
              "accepted_labels": pl.lit(markers, dtype=pl.List(pl.String)),
              "content_rules": pl.lit(rules.source)}
    return _finish(rows, "ad_unlabelled", inputs, detail)


def absolute_term(judged: Judged, lexicon: Lexicon) -> pl.DataFrame:
    """``absolute_term``: the matched terms, the lexicon entry of each and its source."""
    rows = judged.evidence(judged.messages.filter(pl.col("absolute_term")))
    if rows.height == 0:
        return pl.DataFrame()
    entry_of = term_entries(rows["absolute_terms"].explode(), lexicon)
    source_of = {t.name: t.why for t in lexicon.terms}
    entries = pl.col("absolute_terms").list.eval(
        pl.element().replace_strict(entry_of, default=None, return_dtype=pl.String)
    ).list.unique(maintain_order=True)
    rows = rows.with_columns(_entries=entries)
    detail = {**_message_facts(), "terms": pl.col("absolute_terms").list.unique(
        maintain_order=True), "lexicon_entries": pl.col("_entries"),
        "sources": pl.col("_entries").list.eval(
            pl.element().replace_strict(source_of, default=None, return_dtype=pl.String)),
        "lexicon": pl.lit(lexicon.source)}
    return _finish(rows, "absolute_term", {}, detail)


def no_opt_out(judged: Judged, rules: ContentRules) -> pl.DataFrame:
    """``no_opt_out``: a commercial SMS, push, e-mail or WeChat message with no way out."""
    rows = judged.evidence(judged.messages.filter(pl.col("no_opt_out")))
    accepted = [p.name for p in rules.opt_out]
    detail = {**_message_facts(), "accepted_ways": pl.lit(accepted, dtype=pl.List(pl.String)),
              "content_rules": pl.lit(rules.source)}
    return _finish(rows, "no_opt_out", {}, detail)


def marketing_without_consent(judged: Judged) -> pl.DataFrame:
    """``marketing_without_consent``: no marketing consent in force when it was sent.

    The evidence says whether a consent that would have covered it had been
    withdrawn, when, which one and its scope (``*`` = the whole group / every
    channel). Severity: at least high after a withdrawal (the person had said no).
    """
    rows = judged.evidence(judged.messages.filter(pl.col("marketing_without_consent")))
    after = pl.col("consent_state") == "withdrawn"
    inputs = {"after_withdrawal": after}
    detail = {**_message_facts(),
              "consent_state": pl.col("consent_state"),
              "after_withdrawal": after,
              "withdrawn_at": _ts("withdrawn_at"),
              "withdrawn_consent_id": pl.col("withdrawn_consent_id"),
              "consent_scope": pl.struct(subsidiary=pl.col("consent_scope_subsidiary"),
                                         channel=pl.col("consent_scope_channel"))}
    return _finish(rows, "marketing_without_consent", inputs, detail)


def privacy_request_overdue(requests: pl.DataFrame, policy: PrivacyPolicy) -> pl.DataFrame:
    """``privacy_request_overdue``: completed at or after its deadline, or still open
    past it at the end of P; judged by the policy version in force on receipt.
    """
    rows = requests.filter(pl.col("state") == "overdue")
    basis = {v.version: v.legal_basis for v in policy.versions}
    inputs = {"overrun_days": pl.col("overrun")}
    last_day = (pl.col("deadline_at") - pl.duration(days=1)).dt.date().cast(pl.String)
    detail = {
        "kind": pl.col("kind"),
        "received_at": _ts("received_at"),
        "deadline": last_day,
        "completed_at": _ts("completed_at"),
        "still_open_at_period_end": pl.col("completed_at").is_null(),
        "clock": pl.col("clock"),
        "limit": pl.col("limit"),
        "elapsed": pl.col("elapsed"),
        "overrun": pl.col("overrun"),
        "policy_version": pl.col("policy_version"),
        "legal_basis": pl.col("policy_version").replace_strict(basis, return_dtype=pl.String),
    }
    return _finish(rows, "privacy_request_overdue", inputs, detail, "request", "request_id")


def refusal_without_reason(refused: pl.DataFrame) -> pl.DataFrame:
    """``refusal_without_reason``: refused in P with no reason (null, blank or a
    placeholder such as 无); the evidence never quotes the reason field.
    """
    rows = refused.filter(~pl.col("reason_given"))
    detail = {"kind": pl.col("kind"), "received_at": _ts("received_at"),
              "refused_at": _ts("refused_at"), "reason_given": pl.lit(False)}
    return _finish(rows, "refusal_without_reason", {}, detail, "request", "request_id")


def _finding_ids(keys: pl.Series) -> pl.Series:
    """First 16 hex characters of SHA-256 over each key (:func:`workbench.findings.finding_id`)."""
    return pl.Series("finding_id", [hashlib.sha256(k.encode("utf-8")).hexdigest()[:16]
                                    for k in keys.to_list()], dtype=pl.String)


def _with_basis(raw: pl.DataFrame) -> pl.DataFrame:
    """The evidence as JSON, with the rule's legal basis unless the builder gave one."""
    rule = raw["rule"][0]
    detail = pl.col("detail")
    if "legal_basis" not in [f.name for f in raw.schema["detail"].fields]:  # type: ignore[attr-defined]
        detail = detail.struct.with_fields(pl.lit(RULES[rule].legal_basis).alias("legal_basis"))
    return raw.with_columns(detail=detail.struct.json_encode())


def contract_findings(raw: Iterable[pl.DataFrame], period: str,
                      analysis: str = "marketing") -> pl.DataFrame:
    """The builders' raw findings as contract findings (one rule per raw frame).

    ``raw`` may be a generator: each frame's evidence is encoded as it comes, so one
    rule's evidence structs are gone before the next rule's are built. Raises
    ``ValueError`` naming the problem when a rule is not the analysis's, an enum value
    is unknown, an entity has no id or a rule is raised twice for one entity (the
    checks of :func:`workbench.findings.make_findings`).
    """
    parts = [_with_basis(r) for r in raw if r.height]
    if not parts:
        return empty_findings()
    df = pl.concat(parts, how="vertical_relaxed")
    known = [r.code for r in RULES.values() if r.analysis == analysis]
    for column, allowed in (("rule", known), ("severity", list(ENUMS["finding_severity"])),
                            ("entity_type", list(ENUMS["entity_type"]))):
        bad = df.filter(~pl.col(column).is_in(allowed))
        if bad.height:
            raise ValueError(f"findings from {analysis!r}: column {column!r} has {bad.height} "
                             f"rows with unknown values, e.g. {bad[column].unique().head(5)}")
    if df["entity_id"].null_count():
        raise ValueError(f"findings from {analysis!r}: rows have no entity_id")
    keys = df.select(pl.concat_str(pl.lit(analysis), "rule", "entity_type", "entity_id",
                                   pl.lit(period), separator="|")).to_series()
    out = df.with_columns(
        _finding_ids(keys), analysis=pl.lit(analysis),
        amount_cny=pl.lit(None, pl.Float64), amount_kind=pl.lit(None, pl.String),
    ).select(list(FINDINGS_SCHEMA)).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]
    dupes = out.filter(pl.col("finding_id").is_duplicated())
    if dupes.height:
        raise ValueError(f"findings from {analysis!r}: {dupes.height} rows share a finding_id "
                         f"(the same rule raised twice for one entity), e.g. "
                         f"{dupes['entity_id'].head(5).to_list()}")
    return validate_findings(out).sort("rule", "entity_id")
