"""CRM Compliance Workbench: evidence that a group company's CRM obeys the rules.

The package is organised along the one-way data walk::

    source → workbench.sources (load + validate) → analyses → findings → report

Public entry points are re-exported here; analyses live in their own modules.
"""

from workbench.contract import ANALYSES, RULES, TABLES

__all__ = ["ANALYSES", "RULES", "TABLES", "__version__"]
__version__ = "0.1.0"
