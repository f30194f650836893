"""Credit grades from scorecard points and the credit policy (a YAML table).

The policy (``credit_policy.yaml`` in this package, or a file of the same shape)
states, best first, the score bands of the grades ``AAA`` … ``BB`` with their
payment terms and credit limits, the conditions that reject outright and the
conditions that cap the grade. Bands are written in points under the policy's own
``scaling``; :func:`band_thresholds` converts them to the scorecard's scaling by
keeping the odds of each threshold, so changing ``pdo`` or ``base_score`` does not
change who gets which grade.

Rules applied, in order:

1. **reject** (limit 0, terms 0) on a registry knock-out (the contract's: revoked,
   cancelled, serious-illegal list at the latest extract), an invalid USCC, or a
   USCC not in the registry extract (identity not verified);
2. the score band's grade;
3. **caps**: the grade is the worse of the band and each applicable cap —
   ``suspended`` → BB, ``moved_out`` → BBB, on the abnormal list → BBB, annual
   report overdue → A (policy defaults; suspended and moved_out are not
   knock-outs, but a business not operating, or whose registration has moved to
   another authority, should not get long terms);
4. no score (no scorecard could be developed, or the customer has no features):
   the most conservative band, ``BB``.

``reasons`` lists the policy reasons first (why rejected or capped), then the
scorecard's reason codes (features costing the most points), most important first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from workbench.contract import CREDIT_GRADES_SCHEMA, enum_codes

#: Grades best first (the contract's enum order).
GRADE_ORDER: tuple[str, ...] = tuple(enum_codes("grade"))
_RANK = {g: i for i, g in enumerate(GRADE_ORDER)}
DEFAULT_POLICY = "credit_policy.yaml"
MSG_BAD_POLICY = "credit policy {path}: {problem}"
REASON_SEPARATOR = "; "


@dataclass(frozen=True)
class Band:
    grade: str
    min_score: float  # -inf for the last band
    payment_terms_days: int
    credit_limit_cny: float


@dataclass(frozen=True)
class CreditPolicy:
    """A validated credit policy (see the module docstring)."""

    bands: tuple[Band, ...]
    reject: Band
    reject_when: dict[str, str]
    caps: dict[str, tuple[str, str]]  # condition -> (grade, reason)
    scaling: dict[str, float]
    source: str

    def table(self) -> pl.DataFrame:
        """The policy as a table (one row per band, then reject and caps)."""
        rows: list[dict[str, Any]] = [
            {
                "grade": b.grade,
                "rule": "score ≥ " + (f"{b.min_score:g}" if math.isfinite(b.min_score) else "-∞"),
                "payment_terms_days": b.payment_terms_days,
                "credit_limit_cny": b.credit_limit_cny,
            }
            for b in self.bands
        ]
        rows += [
            {"grade": self.reject.grade, "rule": reason, "payment_terms_days": 0,
             "credit_limit_cny": 0.0}
            for reason in self.reject_when.values()
        ]
        rows += [
            {"grade": f"at most {grade}", "rule": reason, "payment_terms_days": None,
             "credit_limit_cny": None}
            for grade, reason in self.caps.values()
        ]
        return pl.DataFrame(
            rows,
            schema={"grade": pl.String, "rule": pl.String, "payment_terms_days": pl.Int64,
                    "credit_limit_cny": pl.Float64},
        )


def _band(d: dict[str, Any], path: str) -> Band:
    try:
        grade = str(d["grade"])
        min_score = d.get("min_score")
        band = Band(
            grade,
            -math.inf if min_score is None else float(min_score),
            int(d["payment_terms_days"]),
            float(d["credit_limit_cny"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        problem = f"bad band {d!r}: {exc}"
        raise ValueError(MSG_BAD_POLICY.format(path=path, problem=problem)) from exc
    if grade not in _RANK:
        raise ValueError(MSG_BAD_POLICY.format(path=path, problem=f"unknown grade {grade!r}"))
    return band


def load_policy(path: str | Path | None = None) -> CreditPolicy:
    """Read and validate a credit policy (default: the package's ``credit_policy.yaml``).

    >>> [b.grade for b in load_policy().bands]
    ['AAA', 'AA', 'A', 'BBB', 'BB']
    """
    if path is None:
        text = resources.files("workbench.credit").joinpath(DEFAULT_POLICY).read_text("utf-8")
        where = f"workbench/credit/{DEFAULT_POLICY}"
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    raw = yaml.safe_load(text)
    bands = tuple(_band(b, where) for b in raw.get("bands", []))
    if not bands:
        raise ValueError(MSG_BAD_POLICY.format(path=where, problem="no bands"))
    scores = [b.min_score for b in bands]
    if scores != sorted(scores, reverse=True) or math.isfinite(scores[-1]):
        raise ValueError(
            MSG_BAD_POLICY.format(
                path=where,
                problem="bands must be best first with falling min_score, the last with "
                "min_score null (everyone else)",
            )
        )
    if [_RANK[b.grade] for b in bands] != sorted(_RANK[b.grade] for b in bands):
        raise ValueError(MSG_BAD_POLICY.format(path=where, problem="grades out of order"))
    caps = {
        str(k): (str(v["grade"]), str(v.get("reason", k)))
        for k, v in (raw.get("caps") or {}).items()
    }
    for grade, _ in caps.values():
        if grade not in _RANK:
            raise ValueError(MSG_BAD_POLICY.format(path=where, problem=f"unknown cap {grade!r}"))
    scaling = {k: float(v) for k, v in (raw.get("scaling") or {}).items()}
    if set(scaling) != {"base_score", "base_odds", "pdo"}:
        raise ValueError(
            MSG_BAD_POLICY.format(path=where, problem="scaling needs base_score, base_odds, pdo")
        )
    return CreditPolicy(
        bands=bands,
        reject=_band(raw.get("reject", {"grade": "reject", "payment_terms_days": 0,
                                         "credit_limit_cny": 0}), where),
        reject_when={str(k): str(v) for k, v in (raw.get("reject_when") or {}).items()},
        caps=caps,
        scaling=scaling,
        source=where,
    )


def rescale(score: float, frm: dict[str, float], to: dict[str, float]) -> float:
    """The score under scaling ``to`` of the odds that score ``score`` under ``frm``.

    >>> rescale(620, {"base_score": 600, "base_odds": 50, "pdo": 20},
    ...         {"base_score": 500, "base_odds": 50, "pdo": 40})
    540.0
    """
    if not math.isfinite(score):
        return score
    log_odds = math.log(frm["base_odds"]) + (score - frm["base_score"]) * math.log(2) / frm["pdo"]
    return to["base_score"] + (log_odds - math.log(to["base_odds"])) * to["pdo"] / math.log(2)


def band_thresholds(
    policy: CreditPolicy, *, base_score: float, base_odds: float, pdo: float
) -> list[float]:
    """Each band's minimum score under the scorecard's scaling."""
    to = {"base_score": base_score, "base_odds": base_odds, "pdo": pdo}
    return [rescale(b.min_score, policy.scaling, to) for b in policy.bands]


def worse(a: str, b: str) -> str:
    """The worse of two grades.

    >>> worse("AA", "BBB"), worse("BB", "reject")
    ('BBB', 'reject')
    """
    return a if _RANK[a] >= _RANK[b] else b


def assign_grades(
    scored: pl.DataFrame,
    policy: CreditPolicy,
    *,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    pdo: float = 20.0,
) -> pl.DataFrame:
    """Grade each row of ``scored``.

    ``scored`` has ``customer_id``, ``uscc``, ``score`` and ``pd`` (null when not
    scored), ``score_reasons`` (list of str) and the boolean conditions named in
    the policy's ``reject_when`` and ``caps`` (``registry_knockout``,
    ``invalid_uscc``, ``not_in_registry``, ``suspended``, ``moved_out``,
    ``abnormal_list``, ``annual_report_overdue``; a missing column is false).
    Returns the contract's credit_grades columns plus ``band_grade`` and
    ``policy_reasons``.
    """
    thresholds = band_thresholds(policy, base_score=base_score, base_odds=base_odds, pdo=pdo)
    conditions = list(policy.reject_when) + list(policy.caps)
    df = scored.with_columns(
        [pl.lit(False).alias(c) for c in conditions if c not in scored.columns]
    )
    rows = []
    for r in df.iter_rows(named=True):
        score = r["score"]
        reasons: list[str] = []
        if score is None or (isinstance(score, float) and math.isnan(score)):
            band = policy.bands[-1]
            reasons.append("no score: graded in the lowest band")
        else:
            band = next(b for b, t in zip(policy.bands, thresholds, strict=True) if score >= t)
        grade, terms, limit = band.grade, band.payment_terms_days, band.credit_limit_cny
        rejects = [text for cond, text in policy.reject_when.items() if r.get(cond)]
        if rejects:
            grade, terms, limit = policy.reject.grade, 0, 0.0
            reasons = rejects + reasons
        else:
            for cond, (cap, text) in policy.caps.items():
                if r.get(cond) and worse(grade, cap) != grade:
                    grade = cap
                    reasons.append(f"capped at {cap}: {text}")
                elif r.get(cond):
                    reasons.append(f"{text} (cap {cap} not binding)")
            if grade != band.grade:
                capped = next(b for b in policy.bands if b.grade == grade)
                terms, limit = capped.payment_terms_days, capped.credit_limit_cny
        rows.append(
            {
                "customer_id": r["customer_id"],
                "uscc": r["uscc"],
                "score": score,
                "pd": r["pd"],
                "grade": grade,
                "credit_limit_cny": limit,
                "payment_terms_days": terms,
                "reasons": REASON_SEPARATOR.join(reasons + list(r.get("score_reasons") or [])),
                "band_grade": band.grade,
                "policy_reasons": REASON_SEPARATOR.join(reasons),
            }
        )
    schema = {**CREDIT_GRADES_SCHEMA, "band_grade": pl.String(), "policy_reasons": pl.String()}
    return pl.DataFrame(rows, schema=schema)


def migration_matrix(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """Customers by previous grade (rows; ``new`` = not graded before) × current
    grade (columns, best first), joined on ``customer_id``.

    >>> prev = pl.DataFrame({"customer_id": ["a", "b"], "grade": ["AA", "BB"]})
    >>> cur = pl.DataFrame({"customer_id": ["a", "b", "c"], "grade": ["A", "BB", "AAA"]})
    >>> migration_matrix(prev, cur).filter(pl.col("previous") == "AA")["A"].item()
    1
    """
    j = current.select("customer_id", "grade").join(
        previous.select("customer_id", pl.col("grade").alias("previous")),
        on="customer_id",
        how="left",
    ).with_columns(pl.col("previous").fill_null("new"))
    rows_order = [*GRADE_ORDER, "new"]
    counts = j.group_by("previous", "grade").len()
    out = []
    for prev in rows_order:
        row: dict[str, Any] = {"previous": prev}
        for g in GRADE_ORDER:
            hit = counts.filter((pl.col("previous") == prev) & (pl.col("grade") == g))
            row[g] = int(hit["len"].sum()) if hit.height else 0
        out.append(row)
    return pl.DataFrame(
        out, schema={"previous": pl.String, **{g: pl.Int64 for g in GRADE_ORDER}}
    )
