"""Marketing and personal-information compliance: are commercial messages labelled as
advertisements, free of prohibited absolute claims, sent with consent and with a way
to refuse, and are people's requests under PIPL answered in time and refusals
explained (contract v1.1, optional tables ``marketing_messages``, ``consents``,
``privacy_requests``; a source without them is *not evaluated*).

A message is *commercial* when its sender labelled it ``marketing`` or when its text
advertises, whatever its label: a transparent rule set as data
(``content_rules.yaml``: weighted signals — discounts, offer prices, coupons,
campaigns, urgency, calls to action, links — on the text with transactional phrases
blanked out; :func:`content_features`). Absolute terms come from a lexicon with
exceptions, each entry with its source (``absolute_terms.yaml``). Consent is looked up
at the moment of sending by as-of joins (:func:`consent_at_send`). Privacy requests
run on China's official working-day calendar against limits as versioned data
(``privacy_policy.yaml``, :func:`load_policy`, :func:`judge_requests`).

Entry point: :func:`analyze` (``analyze(frames, period, **params) -> AnalysisResult``;
the declared parameters are :data:`PARAMETERS`), called by
``notebooks/marketing.ipynb``. Rules, each built by the function of the same name in
``workbench/marketing/_findings.py``:

* ``ad_unlabelled`` — commercial, on SMS/push/e-mail/WeChat, with no accepted
  advertisement label at its start or end;
* ``absolute_term`` — commercial and using a lexicon term (any channel);
* ``no_opt_out`` — commercial SMS/push/e-mail/WeChat with no way to refuse (calls out);
* ``marketing_without_consent`` — commercial with no marketing consent in force when
  sent (the evidence says when a covering consent had been withdrawn);
* ``privacy_request_overdue`` — completed at or after its deadline, or open past it at
  the end of P;
* ``refusal_without_reason`` — refused in P with no reason given.

Measured quality of the text rules and the scale are in ``docs/marketing.md``.

The report reads as a document: :func:`conclusion` words each section's conclusion and
what to do next (``_conclusions``, sections in :data:`SECTIONS`); ``views`` holds the
tables and figures the notebook shows (``_figures``); the report's words are registered
on import (``_words``).

>>> from workbench.marketing import PARAMETERS
>>> PARAMETERS.names()
('content_rules_path', 'lexicon_path', 'policy_path', 'calendar_files')
"""

from workbench.marketing import _figures as views
from workbench.marketing import _words  # noqa: F401  (registers the report's words)
from workbench.marketing._analysis import (
    ANALYSIS,
    MSG_PARTIAL,
    PARAMETERS,
    PUBLISHED,
    TABLES,
    analyze,
    headline_metrics,
)
from workbench.marketing._conclusions import NOT_EVALUATED, SECTIONS, conclusion
from workbench.marketing._consent import consent_at_send, merged_consents
from workbench.marketing._content import content_features
from workbench.marketing._messages import judge_messages
from workbench.marketing._requests import (
    PLACEHOLDER_REASONS,
    PrivacyPolicy,
    PrivacyPolicyError,
    judge_requests,
    load_policy,
    refusals,
)
from workbench.marketing._rules import RulesError, load_content_rules, load_lexicon

__all__ = [
    "ANALYSIS",
    "MSG_PARTIAL",
    "NOT_EVALUATED",
    "PARAMETERS",
    "PLACEHOLDER_REASONS",
    "PUBLISHED",
    "TABLES",
    "PrivacyPolicy",
    "PrivacyPolicyError",
    "RulesError",
    "SECTIONS",
    "analyze",
    "conclusion",
    "consent_at_send",
    "content_features",
    "headline_metrics",
    "judge_messages",
    "judge_requests",
    "load_content_rules",
    "load_lexicon",
    "load_policy",
    "merged_consents",
    "refusals",
    "views",
]
