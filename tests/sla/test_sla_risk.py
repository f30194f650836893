"""The breach-risk model: no selection on the outcome, folds grouped by complaint, a
threshold fixed before the evaluated period, planted and clean behaviour.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.sla.sla_helpers import D, build
from workbench import sla
from workbench.periods import parse_period
from workbench.sla._risk import HORIZON_DAYS, RiskSettings, fit_breach_risk, risk_rows
from workbench.sla._risk_model import grouped_folds, precision_threshold
from workbench.workdays import WorkCalendar

P = parse_period("2026-Q3")
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples"


def _handled(cid: str, r: dt.datetime, resolve_days: float) -> list[tuple[str, dt.datetime, str]]:
    """Acknowledged, accepted, a progress update every two days, resolved and closed."""
    h = dt.timedelta(hours=1)
    ev = [(cid, r + 2 * h, "acknowledged"), (cid, r + 20 * h, "accepted")]
    ev += [(cid, r + dt.timedelta(days=d), "progress_update")
           for d in range(2, int(resolve_days), 2)]
    done = r + dt.timedelta(days=resolve_days)
    return [*ev, (cid, done, "resolved"), (cid, done + h, "closed")]


def _pairs() -> tuple[dict[str, pl.LazyFrame], list[dt.datetime]]:
    """Every week from March to September 2026 two complaints: M resolved on day 3
    (met), B resolved on day 20 (resolution breached on day 15, often after the end
    of P for the late ones — the outcome the old design dropped)."""
    receipts = [D(2026, 3, 2, 9) + dt.timedelta(days=7 * k) for k in range(30)]
    complaints, events = [], []
    for k, r in enumerate(receipts):
        for kind, days in (("M", 3), ("B", 20)):
            cid = f"{kind}{k:02d}"
            complaints.append({"complaint_id": cid, "received_at": r})
            events += _handled(cid, r, days)
    return build(complaints, events), receipts


def _at_risk_by_hand(receipts: list[dt.datetime], at: dt.datetime) -> set[str]:
    """Resolution running and nothing breached at ``at``: M within 3 days of receipt,
    B within its 15-day limit."""
    out = set()
    for k, r in enumerate(receipts):
        if r < at < r + dt.timedelta(days=3):
            out.add(f"M{k:02d}")
        if r < at <= r + dt.timedelta(days=15):
            out.add(f"B{k:02d}")
    return out


def test_every_complaint_at_risk_is_a_row_with_its_outcome(calendar: WorkCalendar) -> None:
    """No selection on the outcome: at every landmark whose horizon ends by the cut-off,
    every complaint at risk is a row, labelled 1 exactly when it went on to breach — the
    late landmarks keep the complaints that breach after the cut-off."""
    frames, receipts = _pairs()
    events = frames["complaint_events"].filter(pl.col("at") <= P.end)  # the report's view
    rows, _ = risk_rows(frames["complaints"], events, P, P.end, policy=sla.load_policy(),
                        calendar=calendar, settings=RiskSettings())
    horizon = dt.timedelta(days=HORIZON_DAYS)
    assert rows["y"].null_count() == 0
    landmarks = sorted(set(rows["_landmark"].to_list()))
    assert landmarks[-1] == P.end - horizon  # the latest landmark whose outcome is known
    for at in landmarks:
        got = rows.filter(pl.col("_landmark") == at)
        assert set(got["complaint_id"]) == _at_risk_by_hand(receipts, at), at
        assert got["y"].to_list() == [int(c.startswith("B")) for c in got["complaint_id"]]
    # B complaints at the last landmark breach after the end of P... and are kept
    last = rows.filter(pl.col("_landmark") == landmarks[-1])
    assert last["y"].sum() >= 1 and last.filter(pl.col("y") == 1)["complaint_id"].to_list()
    # the share breached is the full data's: each week adds 1 M row (at risk for 3 days)
    # and 2 B rows (at risk until day 15), landmarks on Thursdays, receipts on Mondays
    assert rows["y"].mean() == pytest.approx(2 / 3, abs=0.02)


def test_fit_counts_every_landmark_row(calendar: WorkCalendar) -> None:
    """The fitted rows are exactly the at-risk complaint × landmark pairs with a known
    horizon (the old design, which dropped clocks still running at the label date,
    counts fewer breaches here)."""
    frames, receipts = _pairs()
    pol = sla.load_policy()
    clocks = sla.judge(frames["complaints"], frames["complaint_events"], P, policy=pol,
                       calendar=calendar)
    model = fit_breach_risk(frames["complaints"], frames["complaint_events"], P, clocks,
                            policy=pol, calendar=calendar)
    step, first = dt.timedelta(days=7), P.months_back(12)
    grid = [P.end - k * step for k in range(4, 60) if P.end - k * step > first]
    pairs = [(c, at) for at in grid for c in _at_risk_by_hand(receipts, at)]
    assert model.metrics["n_final"] == len(pairs)
    assert model.metrics["positives_final"] == sum(c.startswith("B") for c, _ in pairs)


def test_folds_are_grouped_by_complaint() -> None:
    rng = np.random.default_rng(0)
    ids = pl.Series("complaint_id", [f"C{i}" for i in rng.integers(0, 300, 2_000)])
    fold = grouped_folds(ids, 3, seed=0)
    per = pl.DataFrame({"id": ids, "fold": fold}).group_by("id").agg(pl.col("fold").n_unique())
    assert per["fold"].max() == 1  # no complaint in two folds
    assert sorted(set(fold.tolist())) == [0, 1, 2]
    assert np.array_equal(fold, grouped_folds(ids, 3, seed=0))  # seeded


def test_precision_threshold_is_the_lowest_cut_off_reaching_the_target() -> None:
    p = np.linspace(0.99, 0.01, 100)
    y = np.zeros(100, dtype=int)
    y[:10] = 1  # the ten highest breach ...
    y[[12, 14, 16, 18]] = 1  # ... and a few more below
    t, fit = precision_threshold(y, p, 0.7, min_flags=10)
    flagged = p >= t
    assert y[flagged].mean() >= 0.7 and fit["precision_fit"] == pytest.approx(y[flagged].mean())
    assert y[p >= p[p < t].max()].mean() < 0.7  # one more row would miss the target
    assert precision_threshold(y, p, 0.99, min_flags=11)[0] is None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from workbench.samples import generate

    planted = tmp_path_factory.mktemp("risk_tiny")
    clean = tmp_path_factory.mktemp("risk_tiny_clean")
    generate(planted, seed=7, scale="tiny")
    generate(clean, seed=7, scale="tiny", clean=True)
    return planted, clean


def _load(path: Path) -> dict[str, pl.LazyFrame]:
    from workbench import sources

    return sources.load(str(path), tables=sla.TABLES)


def _fit(frames: dict[str, pl.LazyFrame], calendar: WorkCalendar):  # type: ignore[no-untyped-def]
    pol = sla.load_policy()
    clocks = sla.judge(frames["complaints"], frames["complaint_events"], P, policy=pol,
                       calendar=calendar)
    return fit_breach_risk(frames["complaints"], frames["complaint_events"], P, clocks,
                           policy=pol, calendar=calendar)


def test_threshold_is_not_a_function_of_the_evaluated_period(
    tiny: tuple[Path, Path], calendar: WorkCalendar
) -> None:
    """Rewriting outcomes after the split (half of the complaints resolved then never
    resolved) changes the out-of-time evaluation but neither the threshold nor the model
    it comes from; rewriting outcomes before the split does change it."""
    frames = _load(tiny[0])
    base = _fit(frames, calendar)
    split = dt.datetime.fromisoformat(base.metrics["oot_split"])
    assert split == P.start and base.threshold is not None

    def unresolved(after: dt.datetime, before: dt.datetime) -> dict[str, pl.LazyFrame]:
        half = pl.col("complaint_id").str.slice(-1).cast(pl.Int64) % 2 == 0
        ev = frames["complaint_events"].filter(
            ~((pl.col("event") == "resolved") & pl.col("at").is_between(after, before) & half)
        )
        return {**frames, "complaint_events": ev}

    later = _fit(unresolved(split, P.end), calendar)
    assert later.threshold == base.threshold
    assert later.model_split is not None and base.model_split is not None
    assert later.model_split.slope == base.model_split.slope
    assert later.metrics["positives_oot"] > base.metrics["positives_oot"]
    assert later.metrics["brier_oot"] != base.metrics["brier_oot"]
    earlier = _fit(unresolved(split - dt.timedelta(days=120), split), calendar)
    assert earlier.threshold != base.threshold


def test_clean_history_gives_no_breach_risk(tiny: tuple[Path, Path],
                                            calendar: WorkCalendar) -> None:
    """No complaint of the clean sample ever breaches: no model, no threshold, no flag."""
    frames = _load(tiny[1])
    model = _fit(frames, calendar)
    assert model.metrics["positives_final"] == 0 and model.threshold is None
    assert model.scores.height == 0
    res = sla.analyze(frames, "2026-Q3")
    assert res.findings.filter(pl.col("rule") == "breach_risk").height == 0
    assert res.metrics["breach_risk"] == 0


def test_breach_risk_findings_keep_their_contract(tiny: tuple[Path, Path]) -> None:
    """rule, entity, evidence (limit, hours left, how the cut-off was set), shared severity."""
    from workbench.severity import severity_value

    res = sla.analyze(_load(tiny[0]), "2026-Q3", risk_threshold=0.0, risk_max_flags=3)
    br = res.findings.filter(pl.col("rule") == "breach_risk")
    assert br.height == 3 and set(br["entity_type"]) == {"complaint"}
    top = res.tables["risk_scores"].head(3)["complaint_id"].to_list()
    assert set(br["entity_id"]) == set(top)  # the cap keeps the highest probabilities
    for row in br.iter_rows(named=True):
        d = json.loads(row["detail"])
        assert d["target"] == "resolution" and d["limit"] > 0 and d["hours_left"] is not None
        assert d["threshold"] == 0.0 and d["threshold_policy"].startswith("fixed")
        assert "brier_skill_oot" in d and "roc_auc_oot" in d
        want = severity_value("breach_risk", complaint_severity=d["complaint_severity"],
                              regulator_channel=d["channel"] == "regulator",
                              hours_left=d["hours_left"])
        assert row["severity"] == want
    rel = res.tables["risk_reliability"]
    assert rel["n"].sum() == res.tables["risk_holdout"].height > 0


@pytest.mark.slow
def test_planted_breaches_in_hindsight(calendar: WorkCalendar) -> None:
    """The sample data (2026-Q3, events to 2026-11-15): the report's flags against the
    complaints that did breach later, and the model fitted before Q3 on every landmark
    of Q3 with the outcomes known by the data's end."""
    from workbench.sla._risk_validate import hindsight

    frames = _load(SAMPLE)
    truth = json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))
    want = truth["rules"]["breach_risk"]["entity_ids"]
    res = sla.analyze(frames, "2026-Q3")
    m = dict(res.tables["risk_metrics"].iter_rows())
    assert m["oot_split"] == "2026-07-01 00:00:00" and float(m["min_precision"]) == 0.5
    got = res.findings.filter(pl.col("rule") == "breach_risk")["entity_id"].to_list()
    hit = len(set(got) & set(want))
    assert hit / len(got) >= 0.6 and hit / len(want) >= 0.35, (len(got), hit, len(want))
    pol = sla.load_policy()
    model = fit_breach_risk(frames["complaints"], frames["complaint_events"], P,
                            res.tables["clocks"], policy=pol, calendar=calendar)
    h = hindsight(frames["complaints"], frames["complaint_events"], P, model, policy=pol,
                  calendar=calendar, truth_ids=want).metrics
    assert h["precision_vs_truth"] == round(hit / len(got), 4)
    assert h["roc_auc_worklist"] >= 0.75 and h["brier_skill_worklist"] > 0
    assert h["roc_auc_split"] >= 0.65 and h["n_split"] > int(m["n_oot"])
