"""The marketing analysis entry point: declared parameters, :func:`analyze` and its metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.analysis import AnalysisResult, Laps, as_period
from workbench.contract import OPTIONAL_TABLES, rules_for
from workbench.findings import empty_findings
from workbench.marketing import _figures as figures
from workbench.marketing import _findings as rules
from workbench.marketing._messages import Judged, judge_messages
from workbench.marketing._requests import (
    PrivacyPolicy,
    judge_requests,
    load_policy,
    policy_table,
    refusals,
)
from workbench.marketing._rules import load_content_rules, load_lexicon
from workbench.params import Param, ParameterSet, PathOrNone, SequenceOf, declared
from workbench.periods import Period
from workbench.workdays import WorkCalendar

__all__ = ["ANALYSIS", "MSG_PARTIAL", "PARAMETERS", "PUBLISHED", "TABLES", "analyze",
           "headline_metrics"]

ANALYSIS = "marketing"
#: The contract tables this analysis reads (the last three are optional as a group).
TABLES: tuple[str, ...] = ("subsidiaries", "customers", *OPTIONAL_TABLES[ANALYSIS])
PUBLISHED: tuple[str, ...] = ()
MSG_PARTIAL = (
    "the marketing analysis needs all of {names} or none of them (then it is not "
    "evaluated); the frames lack {missing}"
)
NOT_EVALUATED = {
    "zh": "未评估：数据源没有营销与个人信息表（marketing_messages、consents、privacy_requests）。",
    "en": "Not evaluated: the source has no marketing and personal-information tables "
          "(marketing_messages, consents, privacy_requests).",
}

PARAMETERS = ParameterSet(
    ANALYSIS,
    {
        "content_rules_path": Param(
            None, PathOrNone(),
            "commercial signals, ad labels and opt-out wordings (YAML); empty: the packaged "
            "workbench/marketing/content_rules.yaml",
            doc_zh="认定商业信息的广告信号及权重、可接受的广告标识和拒收方式写法（YAML 文件）；"
                   "留空则使用内置的 content_rules.yaml",
        ),
        "lexicon_path": Param(
            None, PathOrNone(),
            "absolute terms, their exceptions and the company's own names (YAML); empty: the "
            "packaged workbench/marketing/absolute_terms.yaml",
            doc_zh="绝对化用语词库：用语、例外情形及本集团自有名称（YAML 文件，每个词条注明依据）；"
                   "留空则使用内置的 absolute_terms.yaml",
        ),
        "policy_path": Param(
            None, PathOrNone(),
            "privacy request limits (YAML); empty: the packaged "
            "workbench/marketing/privacy_policy.yaml (15 working days)",
            doc_zh="个人信息权利请求的办理时限（YAML 文件，按请求类型和生效日期分版本）；"
                   "留空则使用内置的 privacy_policy.yaml",
        ),
        "calendar_files": Param(
            (), SequenceOf(PathOrNone()),
            "working-day calendar extension files for years chinesecalendar does not know",
            doc_zh="工作日日历补充文件：chinesecalendar 尚未收录年份的法定节假日与调休安排",
        ),
    },
)


def _present(frames: Mapping[str, pl.LazyFrame]) -> bool:
    """Whether the optional tables are there (all: True; none: False; some: bad input)."""
    names = OPTIONAL_TABLES[ANALYSIS]
    missing = [t for t in names if t not in frames]
    if missing and len(missing) < len(names):
        raise ValueError(MSG_PARTIAL.format(names=list(names), missing=missing))
    return not missing


def _counted(commercial: pl.DataFrame, texts: pl.DataFrame, column: str,
             name: str) -> pl.DataFrame:
    """Commercial messages per item of a text's list (terms, signals), counted per text."""
    per_text = commercial.group_by("_text").len()
    return (texts.join(per_text, on="_text").select(pl.col(column).alias(name), "len")
            .explode(name).drop_nulls(name).group_by(name)
            .agg(pl.col("len").sum().alias("messages"))
            .sort("messages", name, descending=[True, False]))


def _message_tables(judged: Judged) -> dict[str, pl.DataFrame]:
    """Counts by subsidiary and rule, by channel and label, consent, terms, signals."""
    messages = judged.messages
    codes = ["ad_unlabelled", "absolute_term", "no_opt_out", "marketing_without_consent"]
    by_sub = messages.group_by("subsidiary_id").agg(
        pl.len().alias("messages"), pl.col("commercial").sum().alias("commercial"),
        *(pl.col(c).sum().alias(c) for c in codes)).sort("subsidiary_id")
    by_channel = (messages.with_columns(pl.col("commercial_basis").fill_null("not_commercial"))
                  .group_by("channel", "purpose", "commercial_basis")
                  .agg(pl.len().alias("messages")).sort("channel", "purpose", "commercial_basis"))
    commercial = messages.filter(pl.col("commercial"))
    consent = (commercial.group_by("channel", "consent_state").agg(pl.len().alias("messages"))
               .sort("channel", "consent_state"))
    terms = _counted(commercial, judged.texts, "absolute_terms", "term")
    signals = _counted(commercial.filter(pl.col("commercial_basis") == "content"),
                       judged.texts, "signals", "signal")
    return {"by_subsidiary": by_sub, "by_channel": by_channel, "consent": consent,
            "terms": terms, "signals": signals}


def _request_tables(judged: pl.DataFrame, refused: pl.DataFrame,
                    policy: PrivacyPolicy) -> dict[str, pl.DataFrame]:
    """Adherence by kind (met, overdue, running; on-time share) and refusals by kind."""
    adherence = (judged.group_by("kind")
                 .agg(*(( pl.col("state") == s).sum().alias(s)
                        for s in ("met", "overdue", "running")))
                 .with_columns(on_time_share=pl.when(pl.col("met") + pl.col("overdue") > 0)
                               .then(pl.col("met") / (pl.col("met") + pl.col("overdue"))))
                 .sort("kind"))
    refusal_table = (refused.group_by("kind")
                     .agg(pl.len().alias("refused"), (~pl.col("reason_given")).sum()
                          .alias("without_reason")).sort("kind"))
    return {"requests": judged, "request_adherence": adherence, "refusals": refusal_table,
            "policy": policy_table(policy)}


def headline_metrics(messages: pl.DataFrame, judged: pl.DataFrame, refused: pl.DataFrame,
                     findings: pl.DataFrame) -> dict[str, Any]:
    """The headline numbers of the run (the dashboard reads these keys).

    ``evaluated`` (True); ``messages`` sent in P; ``commercial``;
    ``commercial_by_content`` (labelled service/transaction but advertising);
    ``consent_coverage`` (share of commercial messages with consent in force, None
    without any); ``requests_received`` in P, ``requests_judged``, ``requests_met``,
    ``requests_overdue``, ``requests_running``, ``on_time_share`` (met / (met +
    overdue), None when nothing was due); ``refusals`` in P and
    ``refusals_without_reason``; and the findings of each rule under its code.
    """
    commercial = messages.filter(pl.col("commercial"))
    state = dict(judged.group_by("state").len().iter_rows())
    met, overdue = int(state.get("met", 0)), int(state.get("overdue", 0))
    counts = dict(findings.group_by("rule").len().iter_rows())
    return {
        "evaluated": True,
        "messages": messages.height,
        "commercial": commercial.height,
        "commercial_by_content": int((commercial["commercial_basis"] == "content").sum()),
        "consent_coverage": (round(float((commercial["consent_state"] == "in_force").mean()), 6)
                             if commercial.height else None),
        "requests_received": int(judged["received_in_period"].sum()),
        "requests_judged": judged.height,
        "requests_met": met,
        "requests_overdue": overdue,
        "requests_running": int(state.get("running", 0)),
        "on_time_share": round(met / (met + overdue), 6) if met + overdue else None,
        "refusals": refused.height,
        "refusals_without_reason": int((~refused["reason_given"]).sum()),
        **{r.code: int(counts.get(r.code, 0)) for r in rules_for(ANALYSIS)},
    }


def _not_evaluated(params: Mapping[str, Any], p: Period) -> AnalysisResult:
    metrics = {"evaluated": False, "note": NOT_EVALUATED}
    return AnalysisResult(analysis=ANALYSIS, findings=empty_findings(), parameters=params,
                          metrics=metrics, timings_s={}, published=PUBLISHED)


def _figures(t: Mapping[str, pl.DataFrame]) -> dict[str, Any]:
    return {
        "rules_by_subsidiary": figures.rules_by_subsidiary(t["by_subsidiary"]),
        "commercial_mix": figures.commercial_mix(t["by_channel"]),
        "consent_by_channel": figures.consent_by_channel(t["consent"]),
        "absolute_terms": figures.absolute_terms_bar(t["terms"]),
        "requests_by_kind": figures.requests_by_kind(t["request_adherence"]),
    }


@declared(PARAMETERS)
def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    content_rules_path: str | Path | None = None,
    lexicon_path: str | Path | None = None,
    policy_path: str | Path | None = None,
    calendar_files: Sequence[str | Path] = (),
) -> AnalysisResult:
    """Marketing and personal-information findings, tables, figures and metrics for ``period``.

    A source without the three optional tables is *not evaluated*: no findings,
    ``metrics["evaluated"]`` False and a note saying so; frames with only some of
    them are bad input (``ValueError`` naming the missing ones).

    Parameters
    ----------
    frames
        Contract LazyFrames (:data:`TABLES`).
    period
        A :class:`~workbench.periods.Period` or label (``"2026-Q3"``).
    content_rules_path, lexicon_path, policy_path, calendar_files
        Declared parameters (:data:`PARAMETERS` gives each one's meaning).

    Returns
    -------
    AnalysisResult
        ``findings``; ``tables``: ``messages`` (every message of P, its tests and
        rules; no text, no recipient), ``by_subsidiary``, ``by_channel``,
        ``consent``, ``terms``, ``signals``, ``requests``, ``request_adherence``,
        ``refusals``, ``policy``; ``figures``: ``rules_by_subsidiary``,
        ``commercial_mix``, ``consent_by_channel``, ``absolute_terms``,
        ``requests_by_kind``; ``metrics``: :func:`headline_metrics`.
    """
    params = PARAMETERS.check({k: v for k, v in locals().items() if k in PARAMETERS})
    p = as_period(period)
    if not _present(frames):
        return _not_evaluated(params, p)
    lap = Laps()
    content_rules = load_content_rules(content_rules_path)
    lexicon = load_lexicon(lexicon_path)
    policy = load_policy(policy_path)
    calendar = WorkCalendar.official(extra=[f for f in calendar_files if f])
    lap("rules")
    messages = judge_messages(frames, p, rules=content_rules, lexicon=lexicon)
    lap("messages")
    judged = judge_requests(frames["privacy_requests"], p, policy=policy, calendar=calendar)
    refused = refusals(frames["privacy_requests"], p)
    lap("requests")
    builders = [
        lambda: rules.ad_unlabelled(messages, content_rules),
        lambda: rules.absolute_term(messages, lexicon),
        lambda: rules.no_opt_out(messages, content_rules),
        lambda: rules.marketing_without_consent(messages),
        lambda: rules.privacy_request_overdue(judged, policy),
        lambda: rules.refusal_without_reason(refused),
    ]
    findings = rules.contract_findings((build() for build in builders), p.label)
    lap("findings")
    tables = {"messages": messages.messages.drop("_text"), **_message_tables(messages),
              **_request_tables(judged, refused, policy)}
    figs = _figures(tables)
    lap("figures")
    return AnalysisResult(
        analysis=ANALYSIS, findings=findings, tables=tables, figures=figs, parameters=params,
        metrics=headline_metrics(tables["messages"], judged, refused, findings),
        timings_s=lap.timings, published=PUBLISHED,
    )
