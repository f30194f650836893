"""One way to read a configuration file: YAML in, errors that name file and key path.

Every config the workbench reads (SLA policy, credit policy, dashboard thresholds,
working-day calendar extensions, report parameter files) goes through
:func:`read_yaml` and a :class:`Reader`, so a bad file always fails the same way::

    SLA policy file ops/sla.yaml: versions[0].targets.ack.clock: 'hours' is not one of [...]

>>> r = Reader("credit policy", "p.yaml")
>>> r.number({"pdo": "x"}, "pdo", "scaling")
Traceback (most recent call last):
...
workbench.config.ConfigError: credit policy file p.yaml: scaling.pdo: expected a number, got 'x'
>>> r.choice(["accepted", "solved"], 1, ["accepted", "resolved"], "stop")
Traceback (most recent call last):
...
workbench.config.ConfigError: credit policy file p.yaml: stop[1]: 'solved' is not one of [...]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ConfigError", "Doc", "Reader", "read_yaml"]

MSG_FILE_NOT_FOUND = "{what} file {path}: not found"
MSG_NOT_YAML = "{what} file {path}: not valid YAML ({problem})"
MSG_AT_KEY = "{what} file {path}: {key}: {problem}"
MSG_TOP = "{what} file {path}: {problem}"


class ConfigError(ValueError):
    """A configuration file that is missing, not YAML, or does not follow its schema."""


#: A parsed document or part of it: a mapping read by key, or a list read by index.
Doc = Mapping[str, Any] | list[Any]


def read_yaml(path: str | Path | None, *, what: str, package: str | None = None,
              default_name: str | None = None,
              error: type[ConfigError] = ConfigError) -> tuple[Any, str]:
    """Parse a YAML file; ``path`` None (or empty) reads ``default_name`` packaged in ``package``.

    Returns the document and the name to show in messages (the path, or
    ``workbench/<package>/<default_name>``). ``error`` is the exception raised
    (a :class:`ConfigError` subclass a caller documents, e.g. ``PolicyError``).
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
            raise error(MSG_FILE_NOT_FOUND.format(what=what, path=where)) from None
    try:
        return yaml.safe_load(text), where
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise error(MSG_NOT_YAML.format(what=what, path=where, problem=problem)) from None


def _join(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


class Reader:
    """Typed access to a parsed document; every failure names ``what``, file and key path.

    A ``name`` argument is a mapping key, or a list index when ``doc`` is a list
    (``reader.choice(items, 0, allowed, "stop")`` reads and names ``stop[0]``).
    ``error`` is the exception class raised (a :class:`ConfigError` subclass).
    """

    def __init__(self, what: str, path: str, error: type[ConfigError] = ConfigError) -> None:
        self.what = what
        self.path = path
        self.error = error

    def fail(self, key: str, problem: str) -> ConfigError:
        """The error to raise for ``problem`` at ``key`` (the whole file when empty)."""
        if not key:
            return self.error(MSG_TOP.format(what=self.what, path=self.path, problem=problem))
        return self.error(
            MSG_AT_KEY.format(what=self.what, path=self.path, key=key, problem=problem)
        )

    def mapping(self, value: Any, key: str = "", *, required: Iterable[str] = (),
                optional: Iterable[str] | None = None) -> Mapping[str, Any]:
        """``value`` as a mapping with the ``required`` keys (present and not empty).

        When ``optional`` is given, a key outside ``required`` + ``optional`` is an error.
        """
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping, got {value!r}")
        required = tuple(required)
        if optional is not None:
            allowed = [*required, *optional]
            for name in value:
                if name not in allowed:
                    raise self.fail(
                        _join(key, str(name)), f"unknown key (allowed: {', '.join(allowed)})"
                    )
        for name in required:
            if value.get(name) is None:
                raise self.fail(_join(key, name), "required key is missing")
        return value

    def list(self, value: Any, key: str, *, min_len: int = 0) -> list[Any]:
        """``value`` as a list of at least ``min_len`` items."""
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {value!r}")
        if len(value) < min_len:
            raise self.fail(key, f"expected at least {min_len} item(s)")
        return value

    def get(self, doc: Doc, name: str | int, parent: str = "") -> tuple[Any, str]:
        """The value of ``name`` in ``doc`` (None when absent) and its key path."""
        if isinstance(doc, list):
            value = doc[name] if isinstance(name, int) and -len(doc) <= name < len(doc) else None
            return value, _join(parent, name)
        return doc.get(str(name)), _join(parent, name)

    def number(self, doc: Doc, name: str | int, parent: str = "", *,
               positive: bool = False, default: float | None = None) -> float:
        """A finite number (``positive``: > 0); ``default`` when absent, if given."""
        value, key = self.get(doc, name, parent)
        if value is None and default is not None:
            return default
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or (positive and value <= 0):
            kind = "a positive number" if positive else "a number"
            raise self.fail(key, f"expected {kind}, got {value!r}")
        return float(value)

    def integer(self, doc: Doc, name: str | int, parent: str = "", *,
                minimum: int | None = None) -> int:
        """An integer, at least ``minimum`` when given."""
        value, key = self.get(doc, name, parent)
        if not isinstance(value, int) or isinstance(value, bool) or (
            minimum is not None and value < minimum
        ):
            rule = "an integer" if minimum is None else f"an integer ≥ {minimum}"
            raise self.fail(key, f"expected {rule}, got {value!r}")
        return value

    def string(self, doc: Doc, name: str | int, parent: str = "", *,
               default: str | None = None) -> str:
        """A non-blank text, stripped (a YAML number such as ``2026.1`` is read as text)."""
        value, key = self.get(doc, name, parent)
        if value is None and default is not None:
            return default
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
        text = str(value).strip() if ok else ""
        if not text:
            raise self.fail(key, f"expected a non-empty text, got {value!r}")
        return text

    def choice(self, doc: Doc, name: str | int, allowed: Iterable[Any], parent: str = "") -> Any:
        """One of ``allowed``."""
        value, key = self.get(doc, name, parent)
        allowed = list(allowed)
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not one of {allowed}")
        return value

    def date(self, doc: Doc, name: str | int, parent: str = "") -> dt.date:
        """A date: a YAML date, or text ``YYYY-MM-DD`` (a timestamp gives its day)."""
        value, key = self.get(doc, name, parent)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"expected an ISO date (YYYY-MM-DD), got {value!r}") from None
