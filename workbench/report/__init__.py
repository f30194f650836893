"""The report pipeline: papermill over the analysis notebooks → one published folder.

``run_report(source, period, out)`` executes ``notebooks/<analysis>.ipynb`` for
each analysis, gathers findings, renders offline HTML (:mod:`.render`) and the
dashboard (:mod:`.dashboard`), writes ``manifest.json`` (:mod:`.manifest`) and
publishes ``out/<period>/`` atomically. ``verify_reports(out)`` re-checks
published folders against their manifests.
"""

from workbench.report.manifest import VerifyResult, verify_reports
from workbench.report.run import ReportError, run_report

__all__ = ["ReportError", "VerifyResult", "run_report", "verify_reports"]
