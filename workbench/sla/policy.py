"""The complaint SLA policy as data: versioned targets read from a YAML file.

The package ships ``default_policy.yaml`` (the contract's default targets, in two
versions: the 2019 SAMR interim measures and the order in force from 2026-04-15,
which adds a 60-day cap on mediation of 12315 transfers). A complaint is judged by
the version in force on the day it was received.

A file that does not follow the schema raises :class:`PolicyError` with one of the
module-level messages below, naming the file, the key (``versions[0].targets.ack.limits``)
and the problem.

>>> policy = load_policy()
>>> [v.version for v in policy.versions]
['2020.1', '2026.1']
>>> ack = policy.versions[0].target("ack")
>>> (ack.clock, ack.limit_for("high"), ack.limit_for("low"))
('calendar_hours', 24.0, 72.0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from workbench.contract import RULES, enum_codes

__all__ = [
    "CLOCKS",
    "DEFAULT_POLICY_PATH",
    "Policy",
    "PolicyError",
    "PolicyVersion",
    "Target",
    "load_policy",
]

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")
SCHEMA_VERSION = 1

Clock = Literal["calendar_hours", "calendar_days", "working_days"]
Kind = Literal["elapsed", "gap"]
CLOCKS: tuple[str, ...] = ("calendar_hours", "calendar_days", "working_days")
KINDS: tuple[str, ...] = ("elapsed", "gap")
#: Hours in one unit of each calendar clock (working days have no fixed length).
HOURS_PER_UNIT: dict[str, float] = {"calendar_hours": 1.0, "calendar_days": 24.0}
START_EVENTS: tuple[str, ...] = ("received",)

# ------------------------------------------------------------------ messages
# Module-level so that tests (and callers) match the exact wording.
MSG_FILE_NOT_FOUND = "SLA policy file {path}: not found"
MSG_NOT_YAML = "SLA policy file {path}: not valid YAML ({problem})"
MSG_MISSING_KEY = "SLA policy file {path}: {key}: required key is missing"
MSG_UNKNOWN_KEY = "SLA policy file {path}: {key}: unknown key (allowed: {allowed})"
MSG_WRONG_TYPE = "SLA policy file {path}: {key}: expected {expected}, got {got!r}"
MSG_BAD_CHOICE = "SLA policy file {path}: {key}: {value!r} is not one of {allowed}"
MSG_BAD_LIMIT = "SLA policy file {path}: {key}: a limit must be a positive number, got {value!r}"
MSG_MISSING_SEVERITY = (
    "SLA policy file {path}: {key}: no limit for severity {missing} (give them or a 'default')"
)
MSG_BAD_SCHEMA_VERSION = "SLA policy file {path}: schema_version: {value!r} is not supported (expected {expected})"
MSG_NO_VERSIONS = "SLA policy file {path}: versions: at least one policy version is required"
MSG_DUPLICATE_EFFECTIVE = (
    "SLA policy file {path}: {key}: effective_from {date} is used by more than one version"
)
MSG_DUPLICATE_VERSION = "SLA policy file {path}: {key}: version {version!r} is used more than once"
MSG_UNSUPPORTED = "SLA policy file {path}: {key}: {problem}"
MSG_NOT_IN_FORCE = (
    "SLA policy {path}: no version is in force for {n} complaint(s) received before "
    "{first} (the earliest effective_from), e.g. {examples}"
)


class PolicyError(ValueError):
    """An SLA policy file that does not follow the schema, or a complaint no version covers."""


# ------------------------------------------------------------------ model
@dataclass(frozen=True)
class Target:
    """One committed limit of a policy version.

    ``limits`` maps every severity to a limit in ``clock`` units;
    ``channel_overrides`` maps a channel to its own severity → limit map.
    """

    name: str
    rule: str
    kind: Kind
    clock: Clock
    start: str
    stop: tuple[str, ...]
    limits: Mapping[str, float]
    description: str = ""
    pause: tuple[str, str] | None = None
    restart_on: tuple[str, ...] = ()
    void_on: tuple[str, ...] = ()
    channels: tuple[str, ...] | None = None
    channel_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def applies_to(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels

    def limit_for(self, severity: str, channel: str | None = None) -> float | None:
        """The limit (clock units) for a severity and channel; None if the target does not apply."""
        if channel is not None and not self.applies_to(channel):
            return None
        if channel is not None and channel in self.channel_overrides:
            return float(self.channel_overrides[channel][severity])
        return float(self.limits[severity])


@dataclass(frozen=True)
class PolicyVersion:
    """The targets in force from ``effective_from`` until the next version."""

    version: str
    effective_from: dt.date
    legal_basis: str
    targets: tuple[Target, ...]

    def target(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(f"policy version {self.version!r} has no target {name!r}")


@dataclass(frozen=True)
class Policy:
    """All versions of a policy, sorted by ``effective_from``."""

    name: str
    source: str
    versions: tuple[PolicyVersion, ...]

    def version_for(self, day: dt.date) -> PolicyVersion | None:
        """The version in force on ``day`` (None before the first version)."""
        found = None
        for v in self.versions:
            if v.effective_from <= day:
                found = v
        return found

    @property
    def target_names(self) -> tuple[str, ...]:
        """Every target name, in first-seen order across versions."""
        seen: dict[str, None] = {}
        for v in self.versions:
            for t in v.targets:
                seen.setdefault(t.name, None)
        return tuple(seen)


# ------------------------------------------------------------------ parsing
_TOP_KEYS = ("schema_version", "policy", "versions")
_VERSION_KEYS = ("version", "effective_from", "legal_basis", "targets")
_TARGET_KEYS = (
    "rule",
    "description",
    "kind",
    "clock",
    "start",
    "stop",
    "pause",
    "restart_on",
    "void_on",
    "channels",
    "limits",
    "channel_overrides",
)
_TARGET_REQUIRED = ("rule", "kind", "clock", "start", "stop", "limits")


class _Reader:
    """Validates one parsed YAML document, raising PolicyError with the key path."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.events = enum_codes("complaint_event")
        self.severities = enum_codes("severity")
        self.channels = enum_codes("complaint_channel")
        self.rules = sorted(r.code for r in RULES.values() if r.analysis == "sla")

    def fail(self, template: str, **kw: Any) -> PolicyError:
        return PolicyError(template.format(path=self.path, **kw))

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(MSG_WRONG_TYPE, key=key, expected="a mapping", got=value)
        if allowed is not None:
            for k in value:
                if k not in allowed:
                    raise self.fail(MSG_UNKNOWN_KEY, key=f"{key}.{k}" if key else str(k), allowed=", ".join(allowed))
        return value

    def required(self, data: dict[str, Any], name: str, key: str) -> Any:
        if name not in data or data[name] is None:
            raise self.fail(MSG_MISSING_KEY, key=f"{key}.{name}" if key else name)
        return data[name]

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value).strip() == "":
            raise self.fail(MSG_WRONG_TYPE, key=key, expected="a non-empty text", got=value)
        return str(value).strip()

    def choice(self, value: Any, key: str, allowed: tuple[str, ...] | list[str]) -> str:
        if value not in allowed:
            raise self.fail(MSG_BAD_CHOICE, key=key, value=value, allowed=list(allowed))
        return str(value)

    def events_list(self, value: Any, key: str, *, allow_empty: bool = False) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or (not items and not allow_empty):
            raise self.fail(MSG_WRONG_TYPE, key=key, expected="a list of complaint events", got=value)
        return tuple(self.choice(e, f"{key}[{i}]", self.events) for i, e in enumerate(items))

    def date(self, value: Any, key: str) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(MSG_WRONG_TYPE, key=key, expected="an ISO date (YYYY-MM-DD)", got=value) from None

    def limit(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.fail(MSG_BAD_LIMIT, key=key, value=value)
        return float(value)

    def limits(self, value: Any, key: str) -> dict[str, float]:
        data = self.mapping(value, key, (*self.severities, "default"))
        out = {k: self.limit(v, f"{key}.{k}") for k, v in data.items()}
        default = out.pop("default", None)
        missing = [s for s in self.severities if s not in out and default is None]
        if missing:
            raise self.fail(MSG_MISSING_SEVERITY, key=key, missing=missing)
        return {s: out.get(s, default) for s in self.severities}  # type: ignore[misc]

    def target(self, name: str, value: Any, key: str) -> Target:
        data = self.mapping(value, key, _TARGET_KEYS)
        for req in _TARGET_REQUIRED:
            self.required(data, req, key)
        rule = self.choice(data["rule"], f"{key}.rule", self.rules)
        kind = self.choice(data["kind"], f"{key}.kind", KINDS)
        clock = self.choice(data["clock"], f"{key}.clock", CLOCKS)
        start = self.choice(data["start"], f"{key}.start", START_EVENTS)
        stop = self.events_list(data["stop"], f"{key}.stop")
        pause = None
        if data.get("pause") is not None:
            p = self.events_list(data["pause"], f"{key}.pause")
            if len(p) != 2 or p[0] == p[1]:
                raise self.fail(
                    MSG_WRONG_TYPE, key=f"{key}.pause", expected="[pause event, resume event]", got=data["pause"]
                )
            pause = (p[0], p[1])
        restart = self.events_list(data.get("restart_on") or [], f"{key}.restart_on", allow_empty=True)
        void = self.events_list(data.get("void_on") or [], f"{key}.void_on", allow_empty=True)
        channels = None
        if data.get("channels") is not None:
            ch = data["channels"]
            if not isinstance(ch, list) or not ch:
                raise self.fail(MSG_WRONG_TYPE, key=f"{key}.channels", expected="a list of channels", got=ch)
            channels = tuple(self.choice(c, f"{key}.channels[{i}]", self.channels) for i, c in enumerate(ch))
        limits = self.limits(data["limits"], f"{key}.limits")
        overrides: dict[str, dict[str, float]] = {}
        if data.get("channel_overrides") is not None:
            ov = self.mapping(data["channel_overrides"], f"{key}.channel_overrides", tuple(self.channels))
            for ch_name, ch_limits in ov.items():
                k = f"{key}.channel_overrides.{ch_name}"
                part = self.mapping(ch_limits, k, (*self.severities, "default"))
                merged = {**limits, **{s: part["default"] for s in self.severities if "default" in part}}
                merged.update({s: v for s, v in part.items() if s != "default"})
                overrides[ch_name] = {s: self.limit(v, f"{k}.{s}") for s, v in merged.items()}
        # What the clocks can compute.
        if clock == "working_days" and (pause or restart or kind == "gap"):
            raise self.fail(
                MSG_UNSUPPORTED,
                key=key,
                problem="working_days clocks support neither pause, restart_on nor kind gap",
            )
        if kind == "gap" and pause:
            raise self.fail(MSG_UNSUPPORTED, key=key, problem="a gap target cannot pause")
        clash = sorted(set(stop) & set(restart)) or (sorted(set(pause) & (set(stop) | set(restart))) if pause else [])
        if clash:
            raise self.fail(
                MSG_UNSUPPORTED, key=key, problem=f"events {clash} cannot both stop/restart and pause the clock"
            )
        return Target(
            name=name,
            rule=rule,
            kind=kind,  # type: ignore[arg-type]
            clock=clock,  # type: ignore[arg-type]
            start=start,
            stop=stop,
            limits=limits,
            description=str(data.get("description") or "").strip(),
            pause=pause,
            restart_on=restart,
            void_on=void,
            channels=channels,
            channel_overrides=overrides,
        )

    def version(self, value: Any, key: str) -> PolicyVersion:
        data = self.mapping(value, key, _VERSION_KEYS)
        version = self.text(self.required(data, "version", key), f"{key}.version")
        effective = self.date(self.required(data, "effective_from", key), f"{key}.effective_from")
        basis = self.text(self.required(data, "legal_basis", key), f"{key}.legal_basis")
        targets_raw = self.mapping(self.required(data, "targets", key), f"{key}.targets")
        if not targets_raw:
            raise self.fail(MSG_WRONG_TYPE, key=f"{key}.targets", expected="at least one target", got={})
        targets = tuple(self.target(str(n), t, f"{key}.targets.{n}") for n, t in targets_raw.items())
        return PolicyVersion(version, effective, " ".join(basis.split()), targets)

    def policy(self, doc: Any) -> Policy:
        data = self.mapping(doc, "", _TOP_KEYS)
        sv = self.required(data, "schema_version", "")
        if sv != SCHEMA_VERSION:
            raise self.fail(MSG_BAD_SCHEMA_VERSION, value=sv, expected=SCHEMA_VERSION)
        name = self.text(self.required(data, "policy", ""), "policy")
        raw_versions = data.get("versions")
        if raw_versions is None or (isinstance(raw_versions, list) and not raw_versions):
            raise self.fail(MSG_NO_VERSIONS)
        if not isinstance(raw_versions, list):
            raise self.fail(MSG_WRONG_TYPE, key="versions", expected="a list of versions", got=raw_versions)
        versions = [self.version(v, f"versions[{i}]") for i, v in enumerate(raw_versions)]
        seen_dates: set[dt.date] = set()
        seen_names: set[str] = set()
        for i, v in enumerate(versions):
            if v.effective_from in seen_dates:
                raise self.fail(
                    MSG_DUPLICATE_EFFECTIVE, key=f"versions[{i}].effective_from", date=v.effective_from.isoformat()
                )
            if v.version in seen_names:
                raise self.fail(MSG_DUPLICATE_VERSION, key=f"versions[{i}].version", version=v.version)
            seen_dates.add(v.effective_from)
            seen_names.add(v.version)
        return Policy(name, self.path, tuple(sorted(versions, key=lambda v: v.effective_from)))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate an SLA policy file (the packaged default when ``path`` is None).

    Raises :class:`PolicyError` naming the file, the key and the problem.
    """
    p = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(MSG_FILE_NOT_FOUND.format(path=p)) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise PolicyError(MSG_NOT_YAML.format(path=p, problem=problem)) from None
    return _Reader(str(p)).policy(doc)
