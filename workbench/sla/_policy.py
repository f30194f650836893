"""The complaint SLA policy as data: versioned targets read from a YAML file.

The package ships ``default_policy.yaml`` (the contract's default targets, in two
versions: the 2019 SAMR interim measures and the order in force from 2026-04-15,
which adds a 60-day cap on mediation of 12315 transfers). A complaint is judged by
the version in force on the day it was received.

The file is read the one way every workbench config is read
(:func:`workbench.config.read_yaml` and :class:`workbench.config.Reader`): a file
that does not follow the schema raises :class:`PolicyError` naming the file, the
key (``versions[0].targets.ack.limits``) and the problem, worded as the
module-level messages below.

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

import polars as pl

from workbench.config import MSG_AT_KEY, ConfigError, Reader, read_yaml
from workbench.contract import RULES, enum_codes

__all__ = [
    "CLOCKS",
    "DEFAULT_POLICY_PATH",
    "Policy",
    "PolicyError",
    "PolicyVersion",
    "Target",
    "load_policy",
    "policy_table",
]

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")
SCHEMA_VERSION = 1
WHAT = "SLA policy"

Clock = Literal["calendar_hours", "calendar_days", "working_days"]
Kind = Literal["elapsed", "gap"]
CLOCKS: tuple[str, ...] = ("calendar_hours", "calendar_days", "working_days")
KINDS: tuple[str, ...] = ("elapsed", "gap")
#: Hours in one unit of each calendar clock (working days have no fixed length).
HOURS_PER_UNIT: dict[str, float] = {"calendar_hours": 1.0, "calendar_days": 24.0}
START_EVENTS: tuple[str, ...] = ("received",)


# ------------------------------------------------------------------ messages
def _at_key(problem: str) -> str:
    """The full message template of ``problem`` at a key ("SLA policy file {path}: {key}: …")."""
    return MSG_AT_KEY.format(what=WHAT, path="{path}", key="{key}", problem=problem)


# The problems this reader words itself; the generic ones (missing or unknown key,
# wrong type, not one of) are :class:`workbench.config.Reader`'s. The full messages
# are module-level so that tests (and callers) match the exact wording.
_LIMIT = "a limit must be a positive number, got {value!r}"
_MISSING_SEVERITY = "no limit for severity {missing} (give them or a 'default')"
_SCHEMA = "{value!r} is not supported (expected {expected})"
_NO_VERSIONS = "at least one policy version is required"
_DUPLICATE_EFFECTIVE = "effective_from {date} is used by more than one version"
_DUPLICATE_VERSION = "version {version!r} is used more than once"

MSG_FILE_NOT_FOUND = "SLA policy file {path}: not found"
MSG_NOT_YAML = "SLA policy file {path}: not valid YAML ({problem})"
MSG_NOT_A_MAPPING = "SLA policy file {path}: expected a mapping, got {got!r}"
MSG_MISSING_KEY = _at_key("required key is missing")
MSG_UNKNOWN_KEY = _at_key("unknown key (allowed: {allowed})")
MSG_WRONG_TYPE = _at_key("expected {expected}, got {got!r}")
MSG_BAD_CHOICE = _at_key("{value!r} is not one of {allowed}")
MSG_BAD_LIMIT = _at_key(_LIMIT)
MSG_MISSING_SEVERITY = _at_key(_MISSING_SEVERITY)
MSG_BAD_SCHEMA_VERSION = _at_key(_SCHEMA).replace("{key}", "schema_version")
MSG_NO_VERSIONS = _at_key(_NO_VERSIONS).replace("{key}", "versions")
MSG_DUPLICATE_EFFECTIVE = _at_key(_DUPLICATE_EFFECTIVE)
MSG_DUPLICATE_VERSION = _at_key(_DUPLICATE_VERSION)
MSG_UNSUPPORTED = _at_key("{problem}")
MSG_NOT_IN_FORCE = (
    "SLA policy {path}: no version is in force for {n} complaint(s) received before "
    "{first} (the earliest effective_from), e.g. {examples}"
)


class PolicyError(ConfigError):
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
_TOP_REQUIRED = ("schema_version", "policy")
_VERSION_KEYS = ("version", "effective_from", "legal_basis", "targets")
_TARGET_REQUIRED = ("rule", "kind", "clock", "start", "stop", "limits")
_TARGET_OPTIONAL = (
    "description", "pause", "restart_on", "void_on", "channels", "channel_overrides",
)
_TARGET_KEYS = (*_TARGET_REQUIRED, *_TARGET_OPTIONAL)


class _PolicyReader(Reader):
    """Reads one parsed policy document; every failure is a :class:`PolicyError`."""

    def __init__(self, path: str) -> None:
        super().__init__(WHAT, path, PolicyError)
        self.events = enum_codes("complaint_event")
        self.severities = enum_codes("severity")
        self.channels = enum_codes("complaint_channel")
        self.rules = sorted(r.code for r in RULES.values() if r.analysis == "sla")

    def events_list(self, doc: Mapping[str, Any], name: str, key: str, *,
                    allow_empty: bool = False) -> tuple[str, ...]:
        """An event or a list of events (``[]`` or absent only when ``allow_empty``)."""
        value, key = self.get(doc, name, key)
        items = [value] if isinstance(value, str) else ([] if value is None else value)
        if not isinstance(items, list) or (not items and not allow_empty):
            raise self.fail(key, f"expected a list of complaint events, got {value!r}")
        return tuple(self.choice(items, i, self.events, key) for i in range(len(items)))

    def limits(self, value: Any, key: str) -> dict[str, float]:
        """A limit per severity; ``default`` fills the severities not given."""
        data = self.mapping(value, key, optional=(*self.severities, "default"))
        out = {k: self.limit(v, f"{key}.{k}") for k, v in data.items()}
        default = out.pop("default", None)
        missing = [s for s in self.severities if s not in out and default is None]
        if missing:
            raise self.fail(key, _MISSING_SEVERITY.format(missing=missing))
        return {s: out.get(s, default) for s in self.severities}  # type: ignore[misc]

    def limit(self, value: Any, key: str) -> float:
        """One limit: a positive number."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.fail(key, _LIMIT.format(value=value))
        return float(value)

    def overrides(self, data: Mapping[str, Any], limits: dict[str, float],
                  key: str) -> dict[str, dict[str, float]]:
        """``channel_overrides``: per channel, the target's limits with some replaced."""
        if data.get("channel_overrides") is None:
            return {}
        key = f"{key}.channel_overrides"
        out: dict[str, dict[str, float]] = {}
        for channel, part in self.mapping(data["channel_overrides"], key,
                                          optional=self.channels).items():
            k = f"{key}.{channel}"
            part = self.mapping(part, k, optional=(*self.severities, "default"))
            default = {s: part["default"] for s in self.severities if "default" in part}
            merged = {**limits, **default}
            merged.update({s: v for s, v in part.items() if s != "default"})
            out[channel] = {s: self.limit(v, f"{k}.{s}") for s, v in merged.items()}
        return out

    def pause(self, data: Mapping[str, Any], key: str) -> tuple[str, str] | None:
        """``[pause event, resume event]`` or None."""
        if data.get("pause") is None:
            return None
        p = self.events_list(data, "pause", key)
        if len(p) != 2 or p[0] == p[1]:
            raise self.fail(
                f"{key}.pause", f"expected [pause event, resume event], got {data['pause']!r}"
            )
        return (p[0], p[1])

    def target_channels(self, data: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
        """The channels a target is limited to (None: every channel)."""
        ch = data.get("channels")
        if ch is None:
            return None
        if not isinstance(ch, list) or not ch:
            raise self.fail(f"{key}.channels", f"expected a list of channels, got {ch!r}")
        return tuple(self.choice(ch, i, self.channels, f"{key}.channels") for i in range(len(ch)))

    def target(self, name: str, value: Any, key: str) -> Target:
        """One target of a version (what the clocks can compute, see the schema)."""
        data = self.mapping(value, key, required=_TARGET_REQUIRED, optional=_TARGET_OPTIONAL)
        rule = self.choice(data, "rule", self.rules, key)
        kind = self.choice(data, "kind", KINDS, key)
        clock = self.choice(data, "clock", CLOCKS, key)
        start = self.choice(data, "start", START_EVENTS, key)
        stop = self.events_list(data, "stop", key)
        pause = self.pause(data, key)
        restart = self.events_list(data, "restart_on", key, allow_empty=True)
        void = self.events_list(data, "void_on", key, allow_empty=True)
        channels = self.target_channels(data, key)
        limits = self.limits(data["limits"], f"{key}.limits")
        overrides = self.overrides(data, limits, key)
        if clock == "working_days" and (pause or restart or kind == "gap"):
            raise self.fail(
                key, "working_days clocks support neither pause, restart_on nor kind gap"
            )
        if kind == "gap" and pause:
            raise self.fail(key, "a gap target cannot pause")
        clash = sorted(set(stop) & set(restart)) or (
            sorted(set(pause) & (set(stop) | set(restart))) if pause else []
        )
        if clash:
            raise self.fail(key, f"events {clash} cannot both stop/restart and pause the clock")
        return Target(
            name=name, rule=rule, kind=kind, clock=clock, start=start, stop=stop, limits=limits,
            description=str(data.get("description") or "").strip(), pause=pause,
            restart_on=restart, void_on=void, channels=channels, channel_overrides=overrides,
        )

    def version(self, value: Any, key: str) -> PolicyVersion:
        """One policy version and its targets."""
        data = self.mapping(value, key, required=_VERSION_KEYS, optional=())
        version = self.string(data, "version", key)
        effective = self.date(data, "effective_from", key)
        basis = self.string(data, "legal_basis", key)
        targets_raw = self.mapping(data["targets"], f"{key}.targets")
        if not targets_raw:
            raise self.fail(f"{key}.targets", "expected at least one target, got {}")
        targets = tuple(
            self.target(str(n), t, f"{key}.targets.{n}") for n, t in targets_raw.items()
        )
        return PolicyVersion(version, effective, " ".join(basis.split()), targets)

    def policy(self, doc: Any) -> Policy:
        """The whole document."""
        data = self.mapping(doc, "", required=_TOP_REQUIRED, optional=("versions",))
        schema = data["schema_version"]
        if schema != SCHEMA_VERSION:
            raise self.fail("schema_version", _SCHEMA.format(value=schema, expected=SCHEMA_VERSION))
        name = self.string(data, "policy")
        raw_versions = data.get("versions")
        if raw_versions is None or raw_versions == []:
            raise self.fail("versions", _NO_VERSIONS)
        raw_versions = self.list(raw_versions, "versions")
        versions = [self.version(v, f"versions[{i}]") for i, v in enumerate(raw_versions)]
        seen_dates: set[dt.date] = set()
        seen_names: set[str] = set()
        for i, v in enumerate(versions):
            if v.effective_from in seen_dates:
                raise self.fail(
                    f"versions[{i}].effective_from",
                    _DUPLICATE_EFFECTIVE.format(date=v.effective_from.isoformat()),
                )
            if v.version in seen_names:
                raise self.fail(
                    f"versions[{i}].version", _DUPLICATE_VERSION.format(version=v.version)
                )
            seen_dates.add(v.effective_from)
            seen_names.add(v.version)
        return Policy(name, self.path, tuple(sorted(versions, key=lambda v: v.effective_from)))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate an SLA policy file (the packaged default when ``path`` is None or empty).

    Raises :class:`PolicyError` naming the file, the key and the problem.
    """
    doc, where = read_yaml(path, what=WHAT, package="workbench.sla",
                           default_name=DEFAULT_POLICY_PATH.name, error=PolicyError)
    return _PolicyReader(where).policy(doc)


def policy_table(policy: Policy) -> pl.DataFrame:
    """One row per version and target: the committed limits as the report shows them."""
    return pl.DataFrame(
        [
            {
                "version": v.version,
                "effective_from": v.effective_from,
                "target": t.name,
                "rule": t.rule,
                "clock": t.clock,
                "limits": ", ".join(f"{s} {lim:g}" for s, lim in t.limits.items()),
                "channels": ", ".join(t.channels) if t.channels else "all",
                "pause": "…".join(t.pause) if t.pause else "",
                "restart_on": ", ".join(t.restart_on),
                "void_on": ", ".join(t.void_on),
            }
            for v in policy.versions
            for t in v.targets
        ]
    )
