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
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench.config import Reader, read_yaml
from workbench.contract import CREDIT_GRADES_SCHEMA, enum_codes

#: Grades best first (the contract's enum order).
GRADE_ORDER: tuple[str, ...] = tuple(enum_codes("grade"))
_RANK = {g: i for i, g in enumerate(GRADE_ORDER)}
DEFAULT_POLICY = "credit_policy.yaml"
WHAT = "credit policy"
REASON_SEPARATOR = "; "
SCALING: tuple[str, ...] = ("base_score", "base_odds", "pdo")
#: Conditions a policy may reject on or cap by (the columns :func:`assign_grades` reads).
CONDITIONS: tuple[str, ...] = (
    "registry_knockout", "invalid_uscc", "not_in_registry", "suspended", "moved_out",
    "abnormal_list", "annual_report_overdue",
)


@dataclass(frozen=True)
class Band:
    """One score band of the policy: grade, minimum score, payment terms and limit."""

    grade: str
    min_score: float  # -inf for the last band
    payment_terms_days: int
    credit_limit_cny: float


#: The reject "band" when a policy does not state one.
DEFAULT_REJECT = Band("reject", -math.inf, 0, 0.0)


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


def _band(r: Reader, value: Any, key: str, *, last: bool = False) -> Band:
    """A band (``min_score`` null only for the last band, which takes everyone else)."""
    d = r.mapping(value, key, required=("grade", "payment_terms_days", "credit_limit_cny"),
                  optional=("min_score",))
    if d.get("min_score") is None:
        if not last:
            raise r.fail(f"{key}.min_score", "expected a number (only the last band has none)")
        min_score = -math.inf
    else:
        min_score = r.number(d, "min_score", key)
    limit = r.number(d, "credit_limit_cny", key)
    if limit < 0:
        raise r.fail(f"{key}.credit_limit_cny", f"expected a number ≥ 0, got {limit:g}")
    return Band(
        grade=r.choice(d, "grade", GRADE_ORDER, key),
        min_score=min_score,
        payment_terms_days=r.integer(d, "payment_terms_days", key, minimum=0),
        credit_limit_cny=limit,
    )


def _bands(r: Reader, value: Any) -> tuple[Band, ...]:
    items = r.list(value, "bands", min_len=1)
    bands = tuple(
        _band(r, b, f"bands[{i}]", last=i == len(items) - 1) for i, b in enumerate(items)
    )
    if math.isfinite(bands[-1].min_score):
        raise r.fail(f"bands[{len(bands) - 1}].min_score",
                     "the last band takes everyone else: min_score must be null")
    for i in range(1, len(bands) - 1):
        if bands[i].min_score >= bands[i - 1].min_score:
            raise r.fail(f"bands[{i}].min_score", "bands must be best first with falling "
                         f"min_score ({bands[i].min_score:g} ≥ {bands[i - 1].min_score:g})")
    ranks = [_RANK[b.grade] for b in bands]
    if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
        raise r.fail("bands", f"grades out of order: {[b.grade for b in bands]} (best first)")
    return bands


def _caps(r: Reader, value: Any, bands: tuple[Band, ...]) -> dict[str, tuple[str, str]]:
    caps = r.mapping(value or {}, "caps", optional=CONDITIONS)
    out = {}
    for cond, cap in caps.items():
        key = f"caps.{cond}"
        cap = r.mapping(cap, key, required=("grade",), optional=("reason",))
        out[str(cond)] = (r.choice(cap, "grade", [b.grade for b in bands], key),
                          r.string(cap, "reason", key, default=str(cond)))
    return out


def load_policy(path: str | Path | None = None) -> CreditPolicy:
    """Read and validate a credit policy (default: the package's ``credit_policy.yaml``).

    Parameters
    ----------
    path
        A credit policy YAML file; None or ``""`` reads the packaged default.

    Returns
    -------
    CreditPolicy
        The policy, with ``source`` naming the file.

    Raises
    ------
    workbench.config.ConfigError
        When the file is missing, not YAML or breaks the schema; the message names
        the file and the key path.

    Examples
    --------
    >>> [b.grade for b in load_policy().bands]
    ['AAA', 'AA', 'A', 'BBB', 'BB']
    """
    doc, where = read_yaml(path, what=WHAT, package="workbench.credit",
                           default_name=DEFAULT_POLICY)
    r = Reader(WHAT, where)
    doc = r.mapping(doc, required=("scaling", "bands"),
                    optional=("version", "reject", "reject_when", "caps"))
    bands = _bands(r, doc["bands"])
    scaling = r.mapping(doc["scaling"], "scaling", required=SCALING, optional=())
    reject_when = r.mapping(doc.get("reject_when") or {}, "reject_when", optional=CONDITIONS)
    return CreditPolicy(
        bands=bands,
        reject=_band(r, doc["reject"], "reject", last=True) if "reject" in doc else DEFAULT_REJECT,
        reject_when={str(k): r.string(reject_when, k, "reject_when") for k in reject_when},
        caps=_caps(r, doc.get("caps"), bands),
        scaling={k: r.number(scaling, k, "scaling", positive=k != "base_score")
                 for k in SCALING},
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


def score_pd(score: float, scaling: dict[str, float]) -> float:
    """The probability of default whose odds good:bad score ``score`` under ``scaling``.

    >>> round(score_pd(600, {"base_score": 600, "base_odds": 50, "pdo": 20}), 6)
    0.019608
    """
    if math.isinf(score):
        return 1.0 if score < 0 else 0.0
    odds = scaling["base_odds"] * 2 ** ((score - scaling["base_score"]) / scaling["pdo"])
    return 1.0 / (1.0 + odds)


def pd_bands(policy: CreditPolicy) -> pl.DataFrame:
    """The policy's PD master scale: per band grade, best first, the PDs its scores
    admit, ``(pd_low, pd_high]`` (the PDs at the band's and the better band's
    ``min_score``; 0 for the best band, 1 for the last).

    >>> pd_bands(load_policy())["pd_high"].round(4).to_list()
    [0.01, 0.02, 0.05, 0.1, 1.0]
    """
    highs = [score_pd(b.min_score, policy.scaling) for b in policy.bands]
    return pl.DataFrame(
        {"grade": [b.grade for b in policy.bands], "pd_low": [0.0, *highs[:-1]],
         "pd_high": highs},
        schema={"grade": pl.String, "pd_low": pl.Float64, "pd_high": pl.Float64},
    )


def score_bands(
    scores: np.ndarray, policy: CreditPolicy, *, base_score: float = 600.0,
    base_odds: float = 50.0, pdo: float = 20.0,
) -> list[str | None]:
    """The band grade of each score (the first band whose threshold it reaches;
    None for a missing score) — the score part of :func:`assign_grades`, without
    rejections or caps, as the PD master scale is defined on scores alone.
    """
    thresholds = band_thresholds(policy, base_score=base_score, base_odds=base_odds, pdo=pdo)
    out: list[str | None] = []
    for s in np.asarray(scores, dtype=float):
        if np.isnan(s):
            out.append(None)
        else:
            out.append(next(b.grade for b, t in zip(policy.bands, thresholds, strict=True)
                            if s >= t))
    return out


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


def contract_grades(df: pl.DataFrame) -> pl.DataFrame:
    """The contract's ``credit_grades`` columns of ``df``, cast to their types.

    Raises ``ValueError`` naming the columns ``df`` lacks.
    """
    missing = [c for c in CREDIT_GRADES_SCHEMA if c not in df.columns]
    if missing:
        raise ValueError(f"credit grades lack the columns {missing}")
    return df.select(list(CREDIT_GRADES_SCHEMA)).cast(CREDIT_GRADES_SCHEMA)  # type: ignore[arg-type]


def write_credit_grades(df: pl.DataFrame, path: str | Path) -> Path:
    """Write credit grades (parquet) with the contract schema where the runner expects them.

    Parameters
    ----------
    df
        Credit grades with at least the contract's ``credit_grades`` columns.
    path
        The parquet file to write (parent folders are created).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    contract_grades(df).write_parquet(path)
    return path
