"""Benchmarks of `make bench` (SPEC §10): never run by the test suite.

Each benchmark is a module of this package with

    add_arguments(parser)   # optional: its own command-line options
    run(args, workdir)      # -> list[Result], the rows of the common table

and is listed in `bench.__main__.BENCHMARKS`, which runs them in order and
prints one table. `workdir` is a directory shared by the benchmarks of one run
(the synthetic CSV is written there once; see `synthetic_csv`).
"""

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@dataclass
class Result:
    """One line of the table: a measure, its value, and its target if any."""

    bench: str
    measure: str
    value: str
    target: str = ""
    ok: bool | None = None  # None: no target

    @property
    def verdict(self):
        return {True: "ok", False: "MISSED", None: ""}[self.ok]


def print_table(results, out=print):
    """Print results as one aligned plain-text table."""
    head = ("benchmark", "measure", "value", "target or detail", "")
    lines = [head] + [
        (r.bench, r.measure, r.value, r.target, r.verdict) for r in results
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    rule = "  ".join("-" * w for w in widths)
    out(rule)
    for i, line in enumerate(lines):
        out("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
        if i == 0:
            out(rule)
    out(rule)


def fmt_int(n):
    """12345 → '12 345' (French-style thin grouping, plain space)."""
    return f"{n:,.0f}".replace(",", " ")


def common_arguments(parser):
    """Options shared by all benchmarks of `python -m bench`."""
    parser.add_argument(
        "--rows",
        type=int,
        default=100_000,
        help="rows of the synthetic services.csv (default 100000)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the synthetic file (default 0)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each timed phase; the median is reported (default 3)",
    )
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the CSV, databases and JSON measures in DIR"
    )


@contextmanager
def workdir(keep=None):
    """A scratch directory, removed at the end unless `keep` names one."""
    if keep:
        path = Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="directory-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def synthetic_csv(workdir, rows, seed=0):
    """Path of the synthetic services.csv of `rows` rows, generated once per run."""
    from .synth import write_file

    path = Path(workdir) / f"services-{rows}-seed{seed}.csv"
    if not path.exists():
        write_file(path, rows, seed)  # streamed: bounded memory at any size
    return path
