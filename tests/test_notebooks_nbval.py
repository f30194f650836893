"""nbval smoke test: the notebooks run as a user opens them in JupyterLab.

Runs ``pytest --nbval-lax --nbval-current-env notebooks/`` in a subprocess, so
the notebooks execute with their committed defaults (``../data/samples``,
2026-Q3) in this environment's kernel, independent of this run's xdist workers.
``--nbval-lax`` checks that every cell runs without error, not the outputs
(committed notebooks have none). Equivalent by hand::

    .venv/bin/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks/
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from workbench.report.run import default_notebooks_dir

NOTEBOOKS = default_notebooks_dir()
SAMPLES = NOTEBOOKS.parent / "data" / "samples"


@pytest.mark.slow
@pytest.mark.xdist_group("nbval")  # its own kernels; runs beside the "notebooks" group
@pytest.mark.skipif(
    not (SAMPLES / "orders.parquet").exists() and not (SAMPLES / "orders.csv").exists(),
    reason="data/samples is not there (make samples)",
)
def test_notebooks_run_with_their_defaults():
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
            "--nbval-cell-timeout=600", "-p", "no:cacheprovider", "-p", "no:xdist",
            "-q", "-o", "addopts=", str(NOTEBOOKS),
        ],
        cwd=NOTEBOOKS.parent,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
