"""Speed and memory of the analyses, as ratios against baselines timed in the same run.

``make bench`` (``python -m benchmarks``) generates the inputs on first use into
``benchmarks/data/`` (gitignored), runs every case in a fresh process and prints,
per analysis, wall time, peak memory, rows per second and two ratios:

(a) against the same headline metric written with pandas + fairlearn ``MetricFrame``
    as an analyst would without the workbench, and
(b) against the floor: a bare polars scan + group-by over the same columns.

Results also go to ``benchmarks/results/<timestamp>.json`` (gitignored). Nothing here
is asserted in tests: timings depend on the machine. See ``docs/performance.md``.
"""
