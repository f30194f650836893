"""One severity policy for every finding, as data (``workbench/severity_policy.yaml``).

A finding's severity is the legal gravity of its rule, moved by what the finding
is about: its effect size, its money, the people it touches (and, for complaints,
the urgency the complaint itself carries). Each rule in the policy has

* ``gravity`` — the starting level (``low``, ``medium``, ``high``) and ``why``;
* optional ``floor`` / ``ceiling`` — the levels the rule never goes below / above;
* ``inputs`` — for each decision input, ordered ``steps``. The first step whose
  test matches the input's value applies (none: the input changes nothing; a
  null value matches no step). A test is ``at_least: x`` (value ≥ x),
  ``below: x`` (value < x), ``is: true|false`` or ``in: [..]`` (text). A step
  either ``shift``-s the level by ±n, or sets a ``floor`` (at least this level)
  or a ``ceiling`` (at most this level); each states ``why``.

The level is ``gravity + Σ shifts``, kept within the rule's floor and ceiling,
then raised to every matching step floor, then lowered to every matching step
ceiling (a trivial amount caps a finding whatever else it has).

>>> import polars as pl
>>> df = pl.DataFrame({"premium": [0.12, 0.05, 0.12], "excess": [250.0, 8.0, 0.4]})
>>> df.select(severity("unexplained_premium", premium=pl.col("premium"),
...                    excess_cny=pl.col("excess"))).to_series().to_list()
['high', 'medium', 'low']
>>> severity_inputs("registry_change")
('becomes_knockout', 'for_the_worse')
>>> severity_value("registry_change", becomes_knockout=False, for_the_worse=False)
'low'
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from workbench.config import ConfigError, Reader, read_yaml
from workbench.contract import RULES
from workbench.labels import SEVERITIES

__all__ = [
    "LEVELS",
    "Policy",
    "RulePolicy",
    "SeverityPolicyError",
    "Step",
    "load_policy",
    "policy_markdown",
    "remediation_due",
    "severity",
    "evidence_dict",
    "severity_evidence",
    "severity_inputs",
    "severity_value",
]

WHAT = "severity policy"
#: Levels from least to most severe (the reverse of :data:`workbench.labels.SEVERITIES`).
LEVELS: tuple[str, ...] = tuple(reversed(SEVERITIES))
_RANK = {name: i for i, name in enumerate(LEVELS)}
_TESTS = ("at_least", "below", "is", "in")
_EFFECTS = ("shift", "floor", "ceiling")


class SeverityPolicyError(ConfigError):
    """The severity policy file is missing, not YAML, or does not follow its schema."""


@dataclass(frozen=True)
class Step:
    """One threshold of a decision input: a test, its effect on the level, and why."""

    test: str
    value: Any
    effect: str
    amount: int
    why: str

    def condition(self, x: pl.Expr) -> pl.Expr:
        """The test as a boolean expression on the input ``x`` (null when ``x`` is null)."""
        if self.test == "at_least":
            return x >= self.value
        if self.test == "below":
            return x < self.value
        if self.test == "is":
            return x == self.value
        return x.is_in(list(self.value))

    def matches(self, x: Any) -> bool:
        """The test on a Python value (None matches nothing)."""
        if x is None:
            return False
        if self.test == "at_least":
            return x >= self.value
        if self.test == "below":
            return x < self.value
        if self.test == "is":
            return bool(x) == self.value
        return x in self.value

    def describe(self) -> str:
        """The step as text, e.g. ``≥ 0.1 → +1``."""
        test = {"at_least": "≥ {}", "below": "< {}", "is": "= {}", "in": "in {}"}[self.test]
        value: Any = self.value
        if self.test == "is":
            value = str(self.value).lower()
        elif self.test in ("at_least", "below"):
            value = f"{self.value:,g}"
        if self.test == "in":
            value = ", ".join(self.value)
        if self.effect == "shift":
            effect = f"{self.amount:+d} level"
        else:
            effect = f"{self.effect} {LEVELS[self.amount]}"
        return f"{test.format(value)} → {effect}"


@dataclass(frozen=True)
class RulePolicy:
    """The severity rule of one finding rule."""

    rule: str
    gravity: str
    why: str
    floor: str
    ceiling: str
    inputs: Mapping[str, tuple[Step, ...]]
    describes: Mapping[str, str]


@dataclass(frozen=True)
class Policy:
    """The whole policy: its version, where it was read from, one entry per rule, and
    the days to fix a finding of each severity after its period (empty: not stated).
    """

    version: str
    source: str
    rules: Mapping[str, RulePolicy]
    remediation_days: Mapping[str, int] = field(default_factory=dict)

    def rule(self, code: str) -> RulePolicy:
        """The entry of ``code``; a ``KeyError`` naming the file when it has none."""
        if code not in self.rules:
            raise KeyError(f"{WHAT} file {self.source}: no entry for rule {code!r}")
        return self.rules[code]


def _step(r: Reader, doc: Any, key: str) -> Step:
    doc = r.mapping(doc, key, required=("why",), optional=(*_TESTS, *_EFFECTS))
    tests = [t for t in _TESTS if t in doc]
    effects = [e for e in _EFFECTS if e in doc]
    if len(tests) != 1:
        raise r.fail(key, f"expected exactly one test of {list(_TESTS)}")
    if len(effects) != 1:
        raise r.fail(key, f"expected exactly one effect of {list(_EFFECTS)}")
    test, effect = tests[0], effects[0]
    if test in ("at_least", "below"):
        value: Any = r.number(doc, test, key)
    elif test == "is":
        value = r.choice(doc, "is", [True, False], key)
    else:
        items = r.list(doc["in"], f"{key}.in", min_len=1)
        value = tuple(r.string(items, i, f"{key}.in") for i in range(len(items)))
    if effect == "shift":
        amount = r.integer(doc, "shift", key)
        if amount == 0 or abs(amount) >= len(LEVELS):
            raise r.fail(f"{key}.shift", f"expected ±1 or ±2, got {amount!r}")
    else:
        amount = _RANK[r.choice(doc, effect, LEVELS, key)]
    return Step(test, value, effect, amount, r.string(doc, "why", key))


def _rule(r: Reader, code: str, doc: Any, key: str) -> RulePolicy:
    doc = r.mapping(doc, key, required=("gravity", "why"),
                    optional=("floor", "ceiling", "inputs"))
    gravity = r.choice(doc, "gravity", LEVELS, key)
    floor = r.choice(doc, "floor", LEVELS, key) if "floor" in doc else LEVELS[0]
    ceiling = r.choice(doc, "ceiling", LEVELS, key) if "ceiling" in doc else LEVELS[-1]
    if _RANK[floor] > _RANK[ceiling]:
        raise r.fail(f"{key}.floor", f"floor {floor!r} is above ceiling {ceiling!r}")
    inputs: dict[str, tuple[Step, ...]] = {}
    describes: dict[str, str] = {}
    raw = r.mapping(doc.get("inputs") or {}, f"{key}.inputs")
    for name, spec in raw.items():
        ikey = f"{key}.inputs.{name}"
        spec = r.mapping(spec, ikey, required=("what", "steps"))
        steps = r.list(spec["steps"], f"{ikey}.steps", min_len=1)
        inputs[str(name)] = tuple(_step(r, s, f"{ikey}.steps[{i}]") for i, s in enumerate(steps))
        describes[str(name)] = r.string(spec, "what", ikey)
    return RulePolicy(code, gravity, r.string(doc, "why", key), floor, ceiling, inputs, describes)


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and check a severity policy (``None``: the packaged one).

    Every rule code of :data:`workbench.contract.RULES` must have an entry and no
    other code may; any error names the file and the key path.

    Parameters
    ----------
    path
        A YAML file, or None for ``workbench/severity_policy.yaml``.

    Returns
    -------
    Policy
        The checked policy.
    """
    if path is None:
        return _packaged()
    return _load(path)


@functools.cache
def _packaged() -> Policy:
    return _load(None)


def _load(path: str | Path | None) -> Policy:
    doc, where = read_yaml(path, what=WHAT, package="workbench",
                           default_name="severity_policy.yaml", error=SeverityPolicyError)
    r = Reader(WHAT, where, SeverityPolicyError)
    doc = r.mapping(doc, required=("version", "rules"))
    rules_doc = r.mapping(doc["rules"], "rules")
    for code in rules_doc:
        if code not in RULES:
            raise r.fail(f"rules.{code}", "not a rule code of the data contract")
    missing = [c for c in RULES if c not in rules_doc]
    if missing:
        raise r.fail("rules", f"no entry for rule(s) {', '.join(missing)}")
    rules = {c: _rule(r, c, rules_doc[c], f"rules.{c}") for c in RULES}
    days = _remediation_days(r, doc["remediation_days"]) if "remediation_days" in doc else {}
    return Policy(r.string(doc, "version"), where, rules, days)


def _remediation_days(r: Reader, doc: Any) -> dict[str, int]:
    """Days per severity, every level stated, a more severe level never given longer."""
    key = "remediation_days"
    doc = r.mapping(doc, key, required=LEVELS, optional=())
    days = {level: r.integer(doc, level, key, minimum=0) for level in LEVELS}
    for lower, higher in zip(LEVELS, LEVELS[1:], strict=False):
        if days[higher] > days[lower]:
            raise r.fail(f"{key}.{higher}", f"{days[higher]} days is longer than the "
                         f"{days[lower]} days of {lower}: a more severe finding is fixed sooner")
    return days


def remediation_due(severity: str, period_last_day: dt.date, *,
                    policy: Policy | None = None) -> dt.date | None:
    """The suggested due date of a finding: its severity's ``remediation_days`` after
    the last day of its period (None when the policy states no remediation days).

    >>> remediation_due("high", dt.date(2026, 9, 30))
    datetime.date(2026, 10, 15)
    """
    days = (policy or load_policy()).remediation_days
    if severity not in LEVELS:
        raise ValueError(f"severity must be one of {list(LEVELS)} (got {severity!r})")
    return period_last_day + dt.timedelta(days=days[severity]) if days else None


def severity_inputs(rule: str, *, policy: Policy | None = None) -> tuple[str, ...]:
    """The decision inputs ``rule`` uses, in policy order (all are required).

    Parameters
    ----------
    rule
        A rule code of the data contract.
    policy
        The policy (default: the packaged one).

    Returns
    -------
    tuple of str
        Input names to pass to :func:`severity`.
    """
    return tuple((policy or load_policy()).rule(rule).inputs)


def _checked(entry: RulePolicy, inputs: Mapping[str, Any]) -> None:
    wanted = set(entry.inputs)
    missing = sorted(wanted - set(inputs))
    extra = sorted(set(inputs) - wanted)
    if missing or extra:
        raise TypeError(
            f"severity({entry.rule!r}): needs inputs {sorted(wanted)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {extra}" if extra else "")
        )


def severity(rule: str, *, policy: Policy | None = None, **inputs: pl.Expr | Any) -> pl.Expr:
    """The severity of ``rule`` as a String expression (``high``/``medium``/``low``).

    Parameters
    ----------
    rule
        A rule code of the data contract.
    policy
        The policy (default: the packaged one).
    **inputs
        Every input of :func:`severity_inputs` (an expression, or a constant).

    Returns
    -------
    polars.Expr
        The level per row, named ``severity``.
    """
    entry = (policy or load_policy()).rule(rule)
    _checked(entry, inputs)
    level: pl.Expr = pl.lit(_RANK[entry.gravity], pl.Int32)
    floors: list[pl.Expr] = []
    ceilings: list[pl.Expr] = []
    for name, steps in entry.inputs.items():
        value = inputs[name]
        x = value if isinstance(value, pl.Expr) else pl.lit(value)
        first: Any = pl
        for i, step in enumerate(steps):  # the first matching step applies
            first = first.when(step.condition(x).fill_null(False)).then(pl.lit(i, pl.Int32))
        first = first.otherwise(pl.lit(None, pl.Int32))

        def pick(effect: str, default: int, first: pl.Expr = first,
                 steps: tuple[Step, ...] = steps) -> pl.Expr:
            table = {i: s.amount for i, s in enumerate(steps) if s.effect == effect}
            return first.replace_strict(table, default=default, return_dtype=pl.Int32)

        level = level + pick("shift", 0)
        if any(s.effect == "floor" for s in steps):
            floors.append(pick("floor", 0))
        if any(s.effect == "ceiling" for s in steps):
            ceilings.append(pick("ceiling", len(LEVELS) - 1))
    level = level.clip(_RANK[entry.floor], _RANK[entry.ceiling])
    if floors:
        level = pl.max_horizontal(level, *floors)
    if ceilings:
        level = pl.min_horizontal(level, *ceilings)
    return level.replace_strict(dict(enumerate(LEVELS)), return_dtype=pl.String).alias("severity")


def severity_value(rule: str, *, policy: Policy | None = None, **inputs: Any) -> str:
    """The severity of one finding from Python values (same rules as :func:`severity`).

    Parameters
    ----------
    rule
        A rule code of the data contract.
    policy
        The policy (default: the packaged one).
    **inputs
        Every input of :func:`severity_inputs` (None: matches no step).

    Returns
    -------
    str
        ``high``, ``medium`` or ``low``.
    """
    entry = (policy or load_policy()).rule(rule)
    _checked(entry, inputs)
    level = _RANK[entry.gravity]
    floors, ceilings = [], []
    for name, steps in entry.inputs.items():
        step = next((s for s in steps if s.matches(inputs[name])), None)
        if step is None:
            continue
        if step.effect == "shift":
            level += step.amount
        elif step.effect == "floor":
            floors.append(step.amount)
        else:
            ceilings.append(step.amount)
    level = min(max(level, _RANK[entry.floor]), _RANK[entry.ceiling])
    level = min([max([level, *floors]), *ceilings])
    return LEVELS[level]


def severity_evidence(rule: str, *, policy: Policy | None = None,
                      **inputs: pl.Expr | Any) -> pl.Expr:
    """The decision inputs as a struct for a finding's evidence (``severity_basis``).

    The struct holds each input under its policy name and ``policy`` (the policy
    file and version), so the evidence shows what the severity was decided from.

    Parameters
    ----------
    rule
        A rule code of the data contract.
    policy
        The policy (default: the packaged one).
    **inputs
        The same inputs as given to :func:`severity`.

    Returns
    -------
    polars.Expr
        A struct expression.
    """
    p = policy or load_policy()
    entry = p.rule(rule)
    _checked(entry, inputs)
    fields = [
        (v if isinstance(v, pl.Expr) else pl.lit(v)).alias(k)
        for k, v in ((name, inputs[name]) for name in entry.inputs)
    ]
    return pl.struct(*fields, pl.lit(f"{p.source} v{p.version}").alias("policy"))


def evidence_dict(rule: str, *, policy: Policy | None = None, **inputs: Any) -> dict[str, Any]:
    """:func:`severity_evidence` for Python rows: the inputs plus ``policy``."""
    p = policy or load_policy()
    _checked(p.rule(rule), inputs)
    return {**{k: inputs[k] for k in p.rule(rule).inputs}, "policy": f"{p.source} v{p.version}"}


def policy_markdown(policy: Policy | None = None) -> str:
    """The policy as Markdown: one table per rule (inputs, thresholds, effect, why).

    ``docs/severity.md`` embeds this text; a test checks it is current.

    Parameters
    ----------
    policy
        The policy (default: the packaged one).

    Returns
    -------
    str
        Markdown, one ``###`` section per rule code in contract order.
    """
    p = policy or load_policy()
    out = [f"Policy `{p.source}`, version {p.version}.", ""]
    for code, e in p.rules.items():
        bounds = ""
        if e.floor != LEVELS[0] or e.ceiling != LEVELS[-1]:
            bounds = f" (never below {e.floor}, never above {e.ceiling})"
        out += [f"### `{code}`", "", f"Gravity **{e.gravity}**{bounds}: {e.why}.", ""]
        if not e.inputs:
            out += ["No decision inputs: every finding is at the rule's gravity.", ""]
            continue
        out += ["| input | what | threshold → effect | why |", "|---|---|---|---|"]
        for name, steps in e.inputs.items():
            for i, s in enumerate(steps):
                first = (f"`{name}`", e.describes[name]) if i == 0 else ("", "")
                out.append(f"| {first[0]} | {first[1]} | {s.describe()} | {s.why} |")
        out.append("")
    return "\n".join(out)
