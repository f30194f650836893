"""pyproject.toml and environment.yml must list the same dependencies and bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _parse(spec: str) -> tuple[str, str]:
    m = _REQ.match(spec)
    assert m, spec
    return m[1].lower().replace("_", "-"), m[2].replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = list(data["project"]["dependencies"]) + list(
        data["project"]["optional-dependencies"]["test"]
    )
    return dict(_parse(s) for s in specs)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep.get("pip", []):
                if not spec.startswith("-"):
                    name, bound = _parse(spec)
                    out[name] = bound
        else:
            name, bound = _parse(dep)
            if name not in ("python", "pip"):
                out[name] = bound
    return out


def test_environment_lists_the_same_dependencies_as_pyproject() -> None:
    assert _environment() == _pyproject()


def test_python_floor_matches() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert data["project"]["requires-python"] == ">=3.11"
    assert "python>=3.11" in env["dependencies"]


def _lock() -> dict[str, str]:
    lines = (ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines()
    return dict(_parse(line) for line in lines if line and not line.startswith("#"))


def test_lock_file_pins_every_direct_dependency() -> None:
    missing = sorted(set(_pyproject()) - set(_lock()))
    assert not missing, f"requirements/lock.txt does not pin {missing}; run `make lock`"


def test_exact_pins_agree_with_the_lock_file() -> None:
    """ruff and nbstripout are pinned exactly in pyproject.toml; the lock must agree."""
    lock = _lock()
    exact = {name: bound for name, bound in _pyproject().items() if bound.startswith("==")}
    assert {"ruff", "nbstripout"} <= set(exact)
    assert {name: lock[name] for name in exact} == exact

