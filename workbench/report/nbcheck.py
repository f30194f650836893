"""Committed notebooks carry no outputs: check, or strip them.

    python -m workbench.report.nbcheck notebooks/          # exit 1 listing offenders
    python -m workbench.report.nbcheck --strip notebooks/  # remove outputs in place

Executed copies belong in ``reports/<period>/``, never in ``notebooks/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat


def _notebooks(folder: str | Path) -> list[Path]:
    return sorted(
        p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )


def has_outputs(nb: nbformat.NotebookNode) -> bool:
    """True when any code cell has outputs or an execution count."""
    return any(
        c.get("outputs") or c.get("execution_count") is not None
        for c in nb.cells
        if c.cell_type == "code"
    )


def notebooks_with_outputs(folder: str | Path) -> list[Path]:
    """The notebooks under ``folder`` that were committed with outputs."""
    return [p for p in _notebooks(folder) if has_outputs(nbformat.read(p, as_version=4))]


def strip_outputs(path: str | Path) -> bool:
    """Remove outputs and execution counts from a notebook; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    if not has_outputs(nb):
        return False
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, path)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="notebooks")
    parser.add_argument("--strip", action="store_true", help="strip outputs in place")
    args = parser.parse_args(argv)
    if args.strip:
        for p in _notebooks(args.folder):
            if strip_outputs(p):
                print(f"stripped {p}")
        return 0
    dirty = notebooks_with_outputs(args.folder)
    for p in dirty:
        print(f"has outputs: {p}")
    return 1 if dirty else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
