"""`make bench`: run the benchmarks in order and print one table (SPEC §10).

    python -m bench [--rows 100000] [--seed 0] [--keep DIR]
                    [--only import|datainclusion|search|map|coverage|scale]
                    [--scale-rows 1000000]

In order: import (100 000 rows: the engine against a bare insert_all),
datainclusion (issue 11's import), search (100 000 services under gunicorn
against Datasette; the headline is the novel-query run of issue 12: 4 000
distinct queries each sent once, throughput ratio and p95), map (/carte with
10 000 services in Chromium), coverage (issue 15's access-gap analysis for
the Cantal and for France, 100 000 services), scale (issue 12 at 1 000 000
services: import, first request of a fresh worker, worker RSS, novel
queries, /carte; several minutes). Each module's docstring says what it measures.

To add a benchmark (e.g. the search API under gunicorn), write a module
`bench/<name>.py` with `NAME`, `add_arguments(parser)` and
`run(args, directory) -> list[bench.Result]`, and append it to BENCHMARKS.
"""

import argparse
import datetime
import importlib
import platform
import sqlite3
import sys
import time

from . import common_arguments, print_table, workdir

BENCHMARKS = [
    "bench.importbench",
    "bench.dibench",
    "bench.search",
    "bench.mapbench",
    "bench.coveragebench",
    "bench.scale",
]


def main(argv=None):
    modules = [importlib.import_module(name) for name in BENCHMARKS]
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_arguments(parser)
    parser.add_argument(
        "--only",
        action="append",
        choices=[m.NAME for m in modules],
        help="run only this benchmark (repeatable)",
    )
    for module in modules:
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    print(
        f"bench {datetime.datetime.now().isoformat(timespec='seconds')} · "
        f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
        f"{platform.machine()}"
    )
    results = []
    start = time.perf_counter()
    with workdir(args.keep) as directory:
        for module in modules:
            if args.only and module.NAME not in args.only:
                continue
            results += module.run(args, directory)
    print(f"\nAll benchmarks: {time.perf_counter() - start:.0f} s\n")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
