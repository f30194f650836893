"""``python -m benchmarks [--only …] [--skip report] [--out-of-core 100000000]``."""

import sys

from benchmarks._harness import main

sys.exit(main())
