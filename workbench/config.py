"""One way to read a configuration file: YAML in, errors that name file and key path.

Every config the workbench reads (SLA policy, credit policy, dashboard thresholds,
working-day calendar extensions, report parameter files) goes through
:func:`read_yaml` and a :class:`Reader`, so a bad file always fails the same way::

    SLA policy file ops/sla.yaml: versions[0].targets.ack.limits.high: expected a positive number, got -1

>>> r = Reader("credit policy", "policy.yaml")
>>> r.number({"pdo": "twenty"}, "pdo", "scaling")
Traceback (most recent call last):
...
workbench.config.ConfigError: credit policy file policy.yaml: scaling.pdo: expected a number, got 'twenty'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ConfigError", "Reader", "read_yaml"]

MSG_FILE_NOT_FOUND = "{what} file {path}: not found"
MSG_NOT_YAML = "{what} file {path}: not valid YAML ({problem})"
MSG_AT_KEY = "{what} file {path}: {key}: {problem}"
MSG_TOP = "{what} file {path}: {problem}"


class ConfigError(ValueError):
    """A configuration file that is missing, not YAML, or does not follow its schema."""


def read_yaml(path: str | Path | None, *, what: str, package: str | None = None,
              default_name: str | None = None) -> tuple[Any, str]:
    """Parse a YAML file; ``path`` None reads ``default_name`` packaged in ``package``.

    Returns the document and the name to show in messages (the path, or
    ``workbench/<package>/<default_name>``).
    """
    if path is None or str(path) == "":
        if package is None or default_name is None:
            raise ValueError("read_yaml: a path or a packaged default is needed")
        where = "/".join([*package.split("."), default_name])
        text = resources.files(package).joinpath(default_name).read_text("utf-8")
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ConfigError(MSG_FILE_NOT_FOUND.format(what=what, path=where)) from None
    try:
        return yaml.safe_load(text), where
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise ConfigError(MSG_NOT_YAML.format(what=what, path=where, problem=problem)) from None


def _join(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


class Reader:
    """Typed access to a parsed document; every failure names ``what``, file and key path."""

    def __init__(self, what: str, path: str) -> None:
        self.what = what
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        """The error to raise for ``problem`` at ``key`` (the whole file when empty)."""
        if not key:
            return ConfigError(MSG_TOP.format(what=self.what, path=self.path, problem=problem))
        return ConfigError(
            MSG_AT_KEY.format(what=self.what, path=self.path, key=key, problem=problem)
        )

    def mapping(self, value: Any, key: str = "", *, required: Iterable[str] = (),
                optional: Iterable[str] | None = None) -> Mapping[str, Any]:
        """``value`` as a mapping with the ``required`` keys and, when ``optional``
        is given, no key outside ``required`` + ``optional``."""
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping, got {value!r}")
        required = tuple(required)
        for name in required:
            if name not in value:
                raise self.fail(_join(key, name), "required key is missing")
        if optional is not None:
            allowed = [*required, *optional]
            for name in value:
                if name not in allowed:
                    raise self.fail(_join(key, str(name)), f"unknown key (allowed: {allowed})")
        return value

    def list(self, value: Any, key: str, *, min_len: int = 0) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {value!r}")
        if len(value) < min_len:
            raise self.fail(key, f"expected at least {min_len} item(s)")
        return value

    def get(self, doc: Mapping[str, Any], name: str, parent: str = "") -> tuple[Any, str]:
        """The value of ``name`` in ``doc`` and its key path."""
        return doc.get(name), _join(parent, name)

    def number(self, doc: Mapping[str, Any], name: str, parent: str = "", *,
               positive: bool = False, default: float | None = None) -> float:
        value, key = self.get(doc, name, parent)
        if value is None and default is not None:
            return default
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or (positive and value <= 0):
            kind = "a positive number" if positive else "a number"
            raise self.fail(key, f"expected {kind}, got {value!r}")
        return float(value)

    def integer(self, doc: Mapping[str, Any], name: str, parent: str = "", *,
                minimum: int | None = None) -> int:
        value, key = self.get(doc, name, parent)
        if not isinstance(value, int) or isinstance(value, bool) or (
            minimum is not None and value < minimum
        ):
            rule = "an integer" if minimum is None else f"an integer ≥ {minimum}"
            raise self.fail(key, f"expected {rule}, got {value!r}")
        return value

    def string(self, doc: Mapping[str, Any], name: str, parent: str = "", *,
               default: str | None = None) -> str:
        value, key = self.get(doc, name, parent)
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty text, got {value!r}")
        return value

    def choice(self, doc: Mapping[str, Any], name: str, allowed: Iterable[Any],
               parent: str = "") -> Any:
        value, key = self.get(doc, name, parent)
        allowed = list(allowed)
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not one of {allowed}")
        return value

    def date(self, doc: Mapping[str, Any], name: str, parent: str = "") -> dt.date:
        value, key = self.get(doc, name, parent)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"expected a date (YYYY-MM-DD), got {value!r}") from None
