"""Declared analysis parameters and the one checker every analysis uses.

Each analysis declares its parameters as data — type, range, default and a one-line
meaning — the way scikit-learn declares ``_parameter_constraints`` and checks them
with ``validate_params``. :func:`declared` wraps ``analyze`` so that every call is
checked with one message style before any data is read, and fails at import when
the signature's defaults drift from the declaration. Notebooks list exactly the
declared parameters in their ``parameters`` cell (a test compares them), so a
scheduled run can set any of them.

>>> PARAMS = ParameterSet("demo", {
...     "alpha": Param(0.05, Interval(float, 0, 1, closed="neither"), "false-flag rate"),
...     "seed": Param(0, Interval(int, 0, None), "random seed"),
... })
>>> PARAMS.check({"alpha": 0.01})
{'alpha': 0.01, 'seed': 0}
>>> PARAMS.check({"alpha": 1.5})
Traceback (most recent call last):
...
workbench.params.ParameterError: demo: parameter alpha must be a number in (0, 1) (got 1.5)
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

__all__ = [
    "Boolean",
    "Interval",
    "Options",
    "Param",
    "ParameterError",
    "ParameterSet",
    "PathOrNone",
    "SequenceOf",
    "declared",
]

MSG_BAD_PARAMETER = "{analysis}: parameter {name} must be {rule} (got {value!r})"
MSG_UNKNOWN_PARAMETER = "{analysis}: unknown parameter(s) {names} (declared: {declared})"
MSG_DRIFT = "{analysis}: analyze() default of {name} is {signature!r} but declared {declared!r}"


class ParameterError(ValueError):
    """A parameter value outside its declared type or range."""


class Constraint:
    """One acceptable kind of value; a parameter accepts a value any constraint accepts."""

    def accepts(self, value: Any) -> bool:  # pragma: no cover - abstract
        """Whether ``value`` satisfies this constraint."""
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        """The constraint in words, for error messages."""
        raise NotImplementedError


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


@dataclass(frozen=True)
class Interval(Constraint):
    """A number of ``type`` (``int`` or ``float``; an int is a float too) in a range.

    ``None`` bounds are open ends; ``closed`` says which ends belong to the range.
    """

    type: type
    left: float | None
    right: float | None
    closed: Literal["both", "left", "right", "neither"] = "both"

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies this constraint."""
        if not (_is_int(value) if self.type is int else _is_real(value)):
            return False
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def describe(self) -> str:
        """The constraint in words, for error messages."""
        kind = "an integer" if self.type is int else "a number"
        if self.left is None and self.right is None:
            return kind
        if self.right is None:
            return f"{kind} {'≥' if self.closed in ('both', 'left') else '>'} {self.left}"
        if self.left is None:
            return f"{kind} {'≤' if self.closed in ('both', 'right') else '<'} {self.right}"
        lo = "[" if self.closed in ("both", "left") else "("
        hi = "]" if self.closed in ("both", "right") else ")"
        return f"{kind} in {lo}{self.left}, {self.right}{hi}"


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies this constraint."""
        return isinstance(value, str | int | float | bool | None) and value in self.values

    def describe(self) -> str:
        """The constraint in words, for error messages."""
        return f"one of {list(self.values)}"


@dataclass(frozen=True)
class Boolean(Constraint):
    """``True`` or ``False`` (not 0/1)."""

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies this constraint."""
        return isinstance(value, bool)

    def describe(self) -> str:
        """The constraint in words, for error messages."""
        return "true or false"


@dataclass(frozen=True)
class PathOrNone(Constraint):
    """A file path, or ``None`` / ``""`` for the packaged default."""

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies this constraint."""
        return value is None or isinstance(value, str | Path)

    def describe(self) -> str:
        """The constraint in words, for error messages."""
        return "a file path or empty"


@dataclass(frozen=True)
class SequenceOf(Constraint):
    """A list or tuple whose every item ``item`` accepts (``min_len`` items at least)."""

    item: Constraint
    min_len: int = 0

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies this constraint."""
        return (
            isinstance(value, list | tuple)
            and len(value) >= self.min_len
            and all(self.item.accepts(v) for v in value)
        )

    def describe(self) -> str:
        """The constraint in words, for error messages."""
        n = f" ({self.min_len}+ items)" if self.min_len else ""
        return f"a list{n} of {self.item.describe()}"


@dataclass(frozen=True)
class Param:
    """A declared parameter: its default, what it accepts, and what it means."""

    default: Any
    constraints: Constraint | tuple[Constraint, ...]
    doc: str = ""
    doc_zh: str = ""  # the meaning in Chinese, for the reports' parameters table

    @property
    def accepted(self) -> tuple[Constraint, ...]:
        """The constraints as a tuple (a value passes when any accepts it)."""
        c = self.constraints
        return c if isinstance(c, tuple) else (c,)

    def describe(self) -> str:
        """The constraint in words, for error messages."""
        return " or ".join(c.describe() for c in self.accepted)


def _plain(value: Any) -> Any:
    """JSON-friendly copy: tuples → lists, paths → str."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


@dataclass(frozen=True)
class ParameterSet:
    """The declared parameters of one analysis, in declaration order."""

    analysis: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __iter__(self) -> Iterable[str]:  # type: ignore[override]
        return iter(self.params)

    def __contains__(self, name: object) -> bool:
        return name in self.params

    def __getitem__(self, name: str) -> Param:
        return self.params[name]

    def names(self) -> tuple[str, ...]:
        """The declared names, in declaration order (a notebook's parameters cell lists them)."""
        return tuple(self.params)

    def defaults(self) -> dict[str, Any]:
        """Every declared parameter at its default (JSON-friendly)."""
        return {k: _plain(p.default) for k, p in self.params.items()}

    def check_one(self, name: str, value: Any) -> None:
        """Raise :class:`ParameterError` unless ``value`` is acceptable for ``name``."""
        p = self.params[name]
        if not any(c.accepts(value) for c in p.accepted):
            raise ParameterError(
                MSG_BAD_PARAMETER.format(
                    analysis=self.analysis, name=name, rule=p.describe(), value=value
                )
            )

    def check(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Check ``values`` (unknown names are an error) and fill in the defaults.

        Returns every declared parameter, JSON-friendly, in declaration order.
        """
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise ParameterError(
                MSG_UNKNOWN_PARAMETER.format(
                    analysis=self.analysis, names=unknown, declared=list(self.params)
                )
            )
        out: dict[str, Any] = {}
        for name, p in self.params.items():
            value = values.get(name, p.default)
            self.check_one(name, value)
            out[name] = _plain(value)
        return out

    def pick(self, namespace: Mapping[str, Any]) -> dict[str, Any]:
        """The declared names found in ``namespace`` (a notebook's ``globals()``)."""
        return {k: namespace[k] for k in self.params if k in namespace}


F = TypeVar("F", bound=Callable[..., Any])


def declared(parameters: ParameterSet) -> Callable[[F], F]:
    """Decorate ``analyze`` so every call checks its declared keyword parameters.

    At decoration time the signature must have every declared parameter as a
    keyword with the declared default (drift is a ``TypeError`` at import).
    """

    def wrap(func: F) -> F:
        sig = inspect.signature(func)
        for name, p in parameters.params.items():
            if name not in sig.parameters:
                raise TypeError(f"{parameters.analysis}: analyze() lacks declared parameter {name}")
            default = sig.parameters[name].default
            if _plain(default) != _plain(p.default):
                raise TypeError(
                    MSG_DRIFT.format(
                        analysis=parameters.analysis,
                        name=name,
                        signature=default,
                        declared=p.default,
                    )
                )

        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            for name, value in bound.arguments.items():
                if name in parameters.params:
                    parameters.check_one(name, value)
            return func(*args, **kwargs)

        checked.parameters = parameters  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return wrap


def as_tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    """A single name or a sequence of names as a tuple (notebook lists stay lists)."""
    return (value,) if isinstance(value, str) else tuple(value)
