"""Analysis parameters of a scheduled run: ``workbench report ... --parameters params.yaml``.

The file maps an analysis to values of its declared parameters
(``workbench.<analysis>.PARAMETERS``); analyses and parameters left out keep
their defaults::

    # params.yaml
    pricing:
      alpha: 0.01
    sla:
      policy_path: sla_policy.yaml   # relative to this file's folder

Every value is checked against its declaration before any notebook runs; an
unknown analysis, an unknown parameter or a bad value is a
:class:`workbench.config.ConfigError` naming the file and the key, e.g.
``report parameters file params.yaml: pricing.alpha: must be a number in (0, 1) (got 2)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.config import Reader, read_yaml
from workbench.contract import ANALYSES
from workbench.params import Param, ParameterSet, PathOrNone, SequenceOf

__all__ = ["WHAT", "check_parameters", "declared_parameters", "read_parameters"]

WHAT = "report parameters"


def declared_parameters(analysis: str) -> ParameterSet:
    """The declared parameters of ``analysis`` (``workbench.<analysis>.PARAMETERS``)."""
    return importlib.import_module(f"workbench.{analysis}").PARAMETERS


def _absolute(param: Param, value: Any, root: Path) -> Any:
    """``value`` with relative file paths made absolute against ``root``."""
    for c in param.accepted:
        if isinstance(c, PathOrNone) and isinstance(value, str) and value:
            return str(root / value)
        if (isinstance(c, SequenceOf) and isinstance(c.item, PathOrNone)
                and isinstance(value, list | tuple)):
            return [str(root / v) if isinstance(v, str) and v else v for v in value]
    return value


def check_parameters(
    values: Mapping[str, Any] | None,
    analyses: Sequence[str],
    *,
    where: str = "<arguments>",
    base: str | Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Every declared parameter of each of ``analyses``: the value given in ``values``
    (analysis → {parameter: value}) or the default, checked and JSON-friendly.

    A relative file path (the value of a parameter that accepts
    :class:`~workbench.params.PathOrNone`, or a list of them) is made absolute
    against ``base`` (default: the working directory), since the notebooks run in
    their own folder. Raises :class:`workbench.config.ConfigError`
    (``where`` names the file) for an unknown analysis or parameter or a value
    outside its declaration.
    """
    root = Path(base or ".").resolve()
    r = Reader(WHAT, where)
    given = r.mapping(values or {}, optional=ANALYSES)
    out: dict[str, dict[str, Any]] = {}
    for analysis in dict.fromkeys([*given, *analyses]):  # the file's and those run
        mine = r.mapping(given.get(analysis) or {}, analysis)
        declared = declared_parameters(analysis)
        for name, value in mine.items():
            key = f"{analysis}.{name}"
            if name not in declared:
                raise r.fail(key, f"unknown parameter (declared: {list(declared.names())})")
            if not any(c.accepts(value) for c in declared[name].accepted):
                raise r.fail(key, f"must be {declared[name].describe()} (got {value!r})")
        if analysis in analyses:
            out[analysis] = declared.check(
                {k: _absolute(declared[k], v, root) for k, v in mine.items()})
    return out


def read_parameters(path: str | Path,
                    analyses: Sequence[str] = ANALYSES) -> dict[str, dict[str, Any]]:
    """:func:`check_parameters` of the YAML file ``path`` (an empty file: all defaults);
    relative file paths in it are relative to the file's folder.
    """
    doc, where = read_yaml(path, what=WHAT)
    return check_parameters(doc, analyses, where=where, base=Path(path).parent)
