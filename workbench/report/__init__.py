"""The report pipeline: papermill over the analysis notebooks → one published folder.

``run_report(source, period, out)`` validates the source once, executes
``notebooks/<analysis>.ipynb`` for each analysis (with the analysis parameters of
a parameters file, :mod:`.parameters`), gathers what each notebook saved, renders
offline HTML (:mod:`.render`), the headline metrics (:mod:`.headlines`: each
analysis's own numbers) and the dashboard (:mod:`.dashboard`, a Jinja2 template),
checks every export for personal data (:mod:`.privacy`), writes
``manifest.json`` (:mod:`.manifest`) as the next link of the reports folder's
hash chain (:mod:`.chain`) and publishes ``out/<period>/`` atomically.
``verify_reports(out)`` re-checks every report and the chain (:mod:`.verify`);
``prune_reports(out, keep_years)`` deletes reports past retention and records
it in the chain (:mod:`.prune`).
"""

from workbench.report.prune import PruneResult, prune_reports
from workbench.report.run import ReportError, run_report
from workbench.report.verify import VerifyResult, verify_reports

__all__ = ["PruneResult", "ReportError", "VerifyResult", "prune_reports", "run_report",
           "verify_reports"]
