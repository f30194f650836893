"""Deterministic sample data with planted violations and the ground truth to test against.

``generate(out, seed=7, scale="small")`` writes one file per contract table
(parquet, or CSV as the contract specifies) plus ``ground_truth.json``, and returns
that ground truth. The world is a group of six subsidiaries selling a few hundred
skus from 2024-10 to 2026-11-15, with tier policy, promotions, complaints, registry
extracts and receivables. ``clean=True`` plants nothing: every rule of the contract
is silent for 2026-Q3. Otherwise each rule of :data:`workbench.contract.RULES` is
planted at a known rate (``workbench/samples/_config.py``) and the ground truth
records, for the reference period 2026-Q3, exactly what a correct implementation of
the contract emits — computed from the written tables by the reference
implementation in ``_reference.py``, not merely what was intended.

>>> from workbench.samples import SCALES
>>> SCALES["small"].customers
5000
"""

from workbench.samples._build import GROUND_TRUTH_FILE, generate
from workbench.samples._config import SCALES
from workbench.samples._uscc import corrupt_uscc, is_valid_uscc, org_code_check

__all__ = [
    "GROUND_TRUTH_FILE",
    "SCALES",
    "corrupt_uscc",
    "generate",
    "is_valid_uscc",
    "org_code_check",
]
