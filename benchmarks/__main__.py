"""``python -m benchmarks [--only …] [--skip report] [--out-of-core 100000000] [--cases …]``.

Analyses: pricing, tiering, sla, report, marketing (issue #17: 10M messages, 5M consents).
"""

import sys

from benchmarks._harness import main

sys.exit(main())
