"""Import benchmark (SPEC §10): the real engine against a bare sqlite-utils insert.

On the same synthetic file (bench/synth.py, N rows, no coordinates), each run:

- engine: a fresh database prepared like `init-db` (schema, gazetteer, needs,
  no services), then `importer.prepare` + `importer.apply`: reading, validation,
  geocoding, diff, ONE transaction with service↔need rows and the audit
  trail, and the search index, built by a child process while the file is read
  (`index_ahead`, as `flask import-csv` does; module directory.search.ahead);
  its peak RSS is added to the import's;
- baseline: `csv.DictReader` streamed over the same bytes (`TextIOWrapper`) and
  `insert_all` into a fresh WAL database holding only a `services` table (primary
  key only, no FTS), in one transaction.

(A third phase, `cli`, runs the real `flask import-csv` command in the child:
bench/scale.py uses it at 1 000 000 rows.) Each phase runs in its own child
process (`python -m bench.importbench --phase …`) and reports its own peak
RSS (VmHWM; see `peak_rss_mb`). The child also times the stages around
`prepare` and `apply` and prints the engine's own per-stage timings
(`ImportReport.timings`). `--repeat N` runs both phases N times (median
shown).

    python -m bench.importbench [--rows 100000] [--seed 0] [--repeat 3]
                                [--keep DIR] [--trace-memory]

The engine phase alone, for profiling (the database must not exist: it is
init-db'd first, in another process):

    python -m cProfile -s cumtime -m bench.importbench --phase engine \
        --csv DIR/services-100000-seed0.csv --db /tmp/profile.db
"""

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from . import (
    DATA,
    ROOT,
    Result,
    common_arguments,
    fmt_int,
    print_table,
    synthetic_csv,
    workdir,
)

NAME = "import"
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 500
TERRITORY = "15"


SETUP = "build gazetteer + needs"
PREPARE = "prepare (read, validate, geocode, diff)"
APPLY = "apply (one transaction)"
CLOSE = "close (WAL checkpoint)"


# -- measuring, in the child ---------------------------------------------------


def peak_rss_mb():
    """This process's own peak resident set size so far, in MB.

    Linux: VmHWM of /proc/self/status, the high-water mark of this process's
    memory map. Not `ru_maxrss`: Linux carries it over fork and execve, so a
    child started by a big parent would report the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb():
    """This process's current resident set size, in MB."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1024 / 1024
    except ImportError:  # pragma: no cover - psutil is in the bench extra
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


class Laps:
    """A timeline of consecutive stages: wall time and memory of each.

    `lap(name)` closes the stage running since the previous lap. `wrap`
    instruments an engine function from outside: the time before the call is
    the stage `before`, the call itself the stage `name`. With tracemalloc on,
    each stage also gets the peak of Python allocations during it.
    """

    def __init__(self):
        self.stages = {}
        self.last = time.perf_counter()

    def lap(self, name):
        now = time.perf_counter()
        stage = self.stages.setdefault(name, {"seconds": 0.0})
        stage["seconds"] += now - self.last
        stage["peak_mb"] = peak_rss_mb()
        stage["rss_mb"] = rss_mb()
        if tracemalloc.is_tracing():
            current, peak = tracemalloc.get_traced_memory()
            stage["traced_peak_mb"] = max(stage.get("traced_peak_mb", 0), peak / 1e6)
            stage["traced_end_mb"] = current / 1e6
            tracemalloc.reset_peak()
        self.last = time.perf_counter()  # our own measuring is not charged


def phase_engine(csv_path, db_path, trace_memory=False, index_ahead=True):
    """prepare + apply of the whole file into an init-db'd database (with
    `index_ahead`, as `flask import-csv`: the index built while reading)."""
    from directory.catalogue.vocabulary import besoins_choices
    from directory.db import connect
    from directory.geo.gazetteer import Gazetteer
    from directory.geo.geocoders import OfflineGeocoder
    from directory.imports import engine as importer

    if trace_memory:
        tracemalloc.start()
    laps = Laps()
    start_rss = rss_mb()
    child_peaks = watch_indexing_child()

    start = laps.last = time.perf_counter()
    size = Path(csv_path).stat().st_size  # the engine reads the file by chunks
    db = connect(db_path)
    gazetteer = Gazetteer.from_db(db, territory=TERRITORY)
    geocoder = OfflineGeocoder(gazetteer)
    besoins = besoins_choices(
        db.query("select slug, libelle from besoins order by ordre")
    )
    laps.lap(SETUP)
    report = importer.prepare(
        db,
        csv_path,
        Path(csv_path).name,
        geocoder=geocoder,
        besoins=besoins,
        max_bytes=size,
        max_rows=10_000_000,
        territory=TERRITORY,
        index_ahead=index_ahead,
    )
    if not report.ok:
        from directory.imports.report import format_lines

        lines = format_lines(report.errors)
        raise SystemExit(
            f"bench: the synthetic file has {len(report.errors)} blocking errors:\n"
            + "\n".join(lines[:20])
        )
    laps.lap(PREPARE)
    importer.apply(db, report, user="bench")
    laps.lap(APPLY)
    db.close()
    laps.lap(CLOSE)
    wall = time.perf_counter() - start
    peak = peak_rss_mb()
    tracemalloc.stop()

    db = connect(db_path)
    counts = {
        table: db.execute(f"select count(*) from [{table}]").fetchone()[0]
        for table in (
            "services",
            "service_besoins",
            "structures",
            "changes",
        )
    }
    counts["precision_geo"] = dict(
        db.execute(
            "select coalesce(precision_geo, '?'), count(*) from services group by 1"
        ).fetchall()
    )
    db.close()
    return {
        "wall": wall,
        "peak_mb": peak,
        "child_peak_mb": max(child_peaks, default=0),
        "total_peak_mb": peak + max(child_peaks, default=0),
        "start_rss_mb": start_rss,
        "rows": report.rows_read,
        "warnings": len(report.warnings),
        "bytes": size,
        "stages": laps.stages,
        "engine_timings": report.timings,
        "counts": counts,
        "db_mb": Path(db_path).stat().st_size / 1e6,
    }


def phase_baseline(csv_path, db_path, trace_memory=False):
    """csv.DictReader + bare sqlite-utils insert_all, one transaction, no FTS."""
    from directory.db import connect

    start_rss = rss_mb()
    start = time.perf_counter()
    data = Path(csv_path).read_bytes()
    db = connect(db_path)
    db.enable_wal()  # same journal mode as the application's database
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    with db.atomic():
        db["services"].insert_all(csv.DictReader(text), pk="id")
    db.close()
    wall = time.perf_counter() - start
    return written(db_path, wall, peak_rss_mb(), start_rss)


def watch_indexing_child():
    """The peak RSS (MB) of each child that indexed an import as it was read
    (directory.search.ahead: it reports its own VmHWM), appended to the list
    returned, so that an import's memory counts its child's too."""
    from directory.search import ahead

    peaks, wait = [], ahead.Ahead._wait

    def watched(self):
        result = wait(self)
        if result and result.get("peak_mb") is not None and not peaks:
            peaks.append(result["peak_mb"])
        return result

    ahead.Ahead._wait = watched
    return peaks


def written(db_path, wall, peak, start_rss, child_peaks=()):
    """The measures of a phase that wrote `db_path`: times, memory, rows."""
    from directory.db import connect

    db = connect(db_path)
    rows = db.execute("select count(*) from services").fetchone()[0]
    db.close()
    beside = beside_files(db_path)
    return {
        "wall": wall,
        "peak_mb": peak,
        # The indexing child's peak (0: none ran), and the import's whole peak
        # as if both peaked at once.
        "child_peak_mb": max(child_peaks, default=0),
        "total_peak_mb": peak + max(child_peaks, default=0),
        "start_rss_mb": start_rss,
        "rows": rows,
        "db_mb": Path(db_path).stat().st_size / 1e6,
        "beside_mb": tree_mb(beside),
        "beside": [p.name for p in beside],
    }


def phase_cli(csv_path, db_path, trace_memory=False):
    """`flask import-csv FILE` run in this process: the real command of the
    bulk import, its app (create_app, as the `flask` script builds it) and its
    defaults, on an init-db'd database. Its report goes to <db>.import.log.
    Then this process's own peak RSS (the `flask` script's would be the same,
    but a parent cannot read a finished child's VmHWM)."""
    import contextlib

    os.environ["FLASK_DATABASE"] = str(db_path)
    from directory import create_app
    from directory.cli import import_csv_command

    start_rss = rss_mb()
    child_peaks = watch_indexing_child()
    start = time.perf_counter()
    app = create_app()
    log_path = Path(db_path).with_suffix(".import.log")
    with open(log_path, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        with app.app_context():
            try:
                import_csv_command.main(
                    [str(csv_path)], "flask import-csv", standalone_mode=False
                )
                code = 0
            except SystemExit as exc:
                code = exc.code
    wall = time.perf_counter() - start
    peak = peak_rss_mb()
    if code:
        raise SystemExit(
            f"bench: flask import-csv exited {code}; its report:\n"
            + "\n".join(log_path.read_text().splitlines()[:30])
        )
    return written(db_path, wall, peak, start_rss, child_peaks)


PHASES = {"engine": phase_engine, "baseline": phase_baseline, "cli": phase_cli}


# -- orchestrating, in the parent ----------------------------------------------


def init_database(path):
    """What `init-db` does before loading services: schema + reference data."""
    from directory import schema
    from directory.catalogue import seed
    from directory.db import connect

    db = connect(path)
    schema.apply(db)
    counts = seed.load_reference_data(db, DATA)
    db.close()
    return counts


def fresh(path):
    """No database at `path`: neither the file, its WAL, nor anything the
    application keeps beside it (`<name>.*`, e.g. a search index directory)."""
    import shutil

    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for beside in beside_files(path):
        if beside.is_dir():
            shutil.rmtree(beside)
        else:
            beside.unlink()
    return path


def beside_files(path):
    """What the application keeps beside the database at `path` (`<name>.*`)."""
    path = Path(path)
    return sorted(path.parent.glob(f"{path.name}.*"))


def tree_mb(paths):
    """Size on disk of files and directory trees, in MB."""
    total = 0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total / 1e6


def child_phase(module, phase, db_path, out_path, *options):
    """Run `python -m <module> --phase <phase> --db … --out …` in a child
    process (its own peak memory); return the JSON measures it wrote."""
    command = [sys.executable, "-m", module, "--phase", phase]
    command += ["--db", str(db_path), "--out", str(out_path), *options]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env)
    if done.returncode:
        raise SystemExit(f"bench: the {phase} phase failed (exit {done.returncode})")
    return json.loads(Path(out_path).read_text())


def run_phase(phase, csv_path, db_path, out_path, *options):
    """Run one phase of this benchmark in a child Python process."""
    return child_phase(
        "bench.importbench", phase, db_path, out_path, "--csv", str(csv_path), *options
    )


def add_arguments(parser):
    """Options of this benchmark (the shared ones are --rows, --seed, --keep)."""
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="import: also trace Python allocations per engine stage (tracemalloc; "
        "slows the engine down, so its times are then not comparable)",
    )


def run(args, directory, log=print):
    """Generate the file, run both phases, return the table's rows."""
    rows = args.rows
    start = time.perf_counter()
    csv_path = synthetic_csv(directory, rows, args.seed)
    generated = time.perf_counter() - start
    size_mb = csv_path.stat().st_size / 1e6
    log(
        f"[import] {csv_path.name}: {fmt_int(rows)} rows, {size_mb:.1f} MB "
        f"({generated:.1f} s)"
    )

    options = ["--trace-memory"] if args.trace_memory else []
    engines, baselines = [], []
    for run_number in range(1, args.repeat + 1):
        engine_db = fresh(directory / "engine.db")
        start = time.perf_counter()
        init_database(engine_db)
        log(
            f"[import] run {run_number}/{args.repeat}: init-db (schema, gazetteer, "
            f"needs) {time.perf_counter() - start:.1f} s; engine: prepare + apply…"
        )
        engine = run_phase(
            "engine", csv_path, engine_db, directory / "engine.json", *options
        )
        engines.append(engine)
        log(f"[import]   {engine['wall']:.1f} s, peak {engine['peak_mb']:.0f} MB")
        log("[import]   baseline: csv.DictReader + insert_all…")
        baseline = run_phase(
            "baseline",
            csv_path,
            fresh(directory / "baseline.db"),
            directory / "baseline.json",
        )
        baselines.append(baseline)
        log(f"[import]   {baseline['wall']:.1f} s, peak {baseline['peak_mb']:.0f} MB")
    return results(rows, size_mb, engines, baselines, args.trace_memory)


def median_run(runs):
    """The run of median wall time (the lower middle one for an even count)."""
    return sorted(runs, key=lambda r: r["wall"])[(len(runs) - 1) // 2]


def results(rows, size_mb, engines, baselines, traced=False):
    """The table's rows: medians over the runs, peaks as the worst run's."""
    engine, baseline = median_run(engines), median_run(baselines)
    engine_peak = max(r["total_peak_mb"] for r in engines)
    child_peak = max(r["child_peak_mb"] for r in engines)
    baseline_peak = max(r["peak_mb"] for r in baselines)
    ratio = engine["wall"] / baseline["wall"]
    times = " ".join(
        f"{e['wall']:.1f}/{b['wall']:.1f}"
        for e, b in zip(engines, baselines, strict=True)
    )
    counts = engine["counts"]
    written = [r["counts"]["services"] for r in engines] + [
        r["rows"] for r in baselines
    ]
    if any(n != rows for n in written):
        raise SystemExit(f"bench: expected {rows} services in each run, got {written}")
    median = f" (median of {len(engines)})" if len(engines) > 1 else ""
    out = [
        Result(
            NAME,
            "synthetic services.csv",
            f"{fmt_int(rows)} rows, "
            f"{fmt_int(counts['structures'])} structures, {size_mb:.1f} MB",
        ),
        Result(
            NAME,
            f"engine: wall time, prepare + apply{median}",
            f"{engine['wall']:.1f} s",
        ),
        Result(NAME, "engine: throughput", f"{fmt_int(rows / engine['wall'])} rows/s"),
        Result(
            NAME,
            "engine: peak RSS of its process"
            + (" + its indexing child" if child_peak else ""),
            f"{engine_peak:.0f} MB",
            f"< {TARGET_PEAK_MB} MB"
            + (
                f"; child {child_peak:.0f} MB, counted as if both peaked at once"
                if child_peak
                else ""
            ),
            engine_peak < TARGET_PEAK_MB,
        ),
        Result(
            NAME, f"baseline insert_all: wall time{median}", f"{baseline['wall']:.1f} s"
        ),
        Result(
            NAME,
            "baseline insert_all: throughput",
            f"{fmt_int(rows / baseline['wall'])} rows/s",
        ),
        Result(
            NAME,
            "baseline insert_all: peak RSS of its process",
            f"{baseline_peak:.0f} MB",
        ),
        Result(
            NAME,
            "engine time ÷ baseline time",
            f"{ratio:.1f}×",
            f"≤ {TARGET_RATIO:g}×",
            ratio <= TARGET_RATIO,
        ),
        *(
            [Result(NAME, "all runs, engine/baseline", f"{times} s")]
            if len(engines) > 1
            else []
        ),
        Result(
            NAME,
            "engine: RSS after imports, before the file",
            f"{engine['start_rss_mb']:.0f} MB",
        ),
    ]
    if traced:
        out.append(
            Result(NAME, "NOTE", "tracemalloc on: engine times are inflated", "")
        )
    for name, stage in engine["stages"].items():
        share = 100 * stage["seconds"] / engine["wall"]
        detail = f"RSS {stage['rss_mb']:.0f} MB after, peak {stage['peak_mb']:.0f} MB"
        if "traced_peak_mb" in stage:
            detail += (
                f"; Python allocs peak {stage['traced_peak_mb']:.0f} MB, "
                f"{stage['traced_end_mb']:.0f} MB after"
            )
        out.append(
            Result(
                NAME,
                f"  engine stage: {name}",
                f"{stage['seconds']:.1f} s ({share:.0f} %)",
                detail,
            )
        )
    for name, seconds in engine.get("engine_timings", {}).items():
        out.append(Result(NAME, f"    engine's own timing: {name}", f"{seconds:.1f} s"))
    geo = ", ".join(f"{k} {fmt_int(v)}" for k, v in counts["precision_geo"].items())
    out += [
        Result(
            NAME,
            "engine: rows written",
            f"services {fmt_int(counts['services'])}, service_besoins "
            f"{fmt_int(counts['service_besoins'])}, audit "
            f"{fmt_int(counts['changes'])}",
        ),
        Result(NAME, "engine: geocoding precision", geo),
        Result(NAME, "engine: warnings in the report", fmt_int(engine["warnings"])),
        Result(
            NAME,
            "database size: engine / baseline",
            f"{engine['db_mb']:.0f} MB / {baseline['db_mb']:.0f} MB",
        ),
    ]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.importbench", description=__doc__.split("\n\n")[0]
    )
    common_arguments(parser)
    add_arguments(parser)
    parser.add_argument(
        "--phase", choices=sorted(PHASES) + ["init"], help=argparse.SUPPRESS
    )
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "init":
        init_database(args.db)
        return 0
    if args.phase:
        if args.phase == "engine" and not Path(args.db).exists():
            # standalone use (profiling): init-db in another process, so that
            # neither the profile nor the peak RSS of this one include it
            command = [sys.executable, "-m", "bench.importbench", "--phase", "init"]
            subprocess.run([*command, "--db", args.db], cwd=ROOT, check=True)
        measures = PHASES[args.phase](args.csv, args.db, args.trace_memory)
        if args.out:
            Path(args.out).write_text(json.dumps(measures, indent=2))
        else:
            print(json.dumps(measures, indent=2))
        return 0
    with workdir(args.keep) as directory:
        print_table(run(args, directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
