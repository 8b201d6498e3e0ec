"""Scale benchmark (issue 12, acceptance 2 and 3): 1 000 000 services on one node.

Long (several minutes at the default size); `--only scale` runs it alone, and
`--scale-rows` sets the size (smoke runs: 20 000). In order:

1. the synthetic services.csv of `--scale-rows` rows (bench/synth.py, streamed
   to disk row by row);
2. import (acceptance 3): `flask import-csv FILE` on an init-db'd database, in
   a child process (bench/importbench.py's `cli` phase: the real command, its
   app, its defaults), against a bare sqlite-utils `insert_all` of the same
   file (its `baseline` phase), one run each; wall times, their ratio
   (target ≤ 2×) and the peak RSS of the import's process (VmHWM, target
   < 1 GB);
3. gunicorn on that database (`--gunicorn-workers` × `--gunicorn-threads`, as
   the search benchmark), each start a new process group, always stopped:
   - start to first answer: gunicorn started and, at once, the first novel
     `/api/services?q=…` sent (retried while the port refuses): time from the
     process start to the answer, and the latency of the request that got it
     (it waited for the worker to boot);
   - first request of a fresh worker (target < 200 ms): gunicorn restarted
     `--scale-fresh-starts` times; each time, once its workers have booted
     (every worker alive and idle: its CPU time still for 0.5 s), one novel
     query, never sent before; the median is the figure, all are listed. The
     page cache is warm (the import has just written the files), as on a
     server after an import;
   - novel queries at `--connections` (target p95 < 100 ms): `--novel-warmup`
     then `--novel-queries` distinct queries of the search benchmark's kind
     (1–3 words, a third with a need; none shares words with another), each
     sent once (bench/load.py `--once`), on the last fresh server;
   - `/carte` in headless Chromium (bench/mapbench.py: first paint of the
     markers < 2 s, bytes transferred < 1.5 MB);
   - RSS of each gunicorn worker after all that (VmRSS of /proc/<pid>/status,
     target < 400 MB each; RssAnon and RssFile shown: pages of a memory-mapped
     index count in RssFile).

A missed target is a MISSED row; a measure that fails (a page that never
draws, a server that does not answer) is a MISSED row with its error, and
the run goes on.

    python -m bench --only scale [--scale-rows 1000000] [--keep DIR]
"""

import os
import statistics
import subprocess
import time
from pathlib import Path

from . import ROOT, Result, fmt_int, mapbench, search, synthetic_csv
from .importbench import fresh, init_database, run_phase

NAME = "scale"
TARGET_IMPORT_RATIO = 2.0
TARGET_IMPORT_PEAK_MB = 1000
TARGET_FIRST_MS = 200.0
TARGET_WORKER_RSS_MB = 400
TARGET_NOVEL_P95_MS = 100.0
IDLE_CPU_S = 0.02  # CPU a booted, idle worker may use in half a second


def add_arguments(parser):
    group = parser.add_argument_group("scale")
    for flag, default, what in (
        ("--scale-rows", 1_000_000, "services of the scale benchmark"),
        ("--scale-fresh-starts", 3, "gunicorn starts timing a fresh worker"),
    ):
        help_text = f"scale: {what} (default {default})"
        group.add_argument(flag, type=int, default=default, help=help_text)


# -- gunicorn workers ------------------------------------------------------------


def parse_status(text):
    """The kB fields of a /proc/<pid>/status text, in MB: {'VmRSS': 123.4, …}."""
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            out[name] = int(parts[0]) / 1024
    return out


def workers_of(master_pid):
    """The gunicorn worker processes (the master's children)."""
    import psutil

    try:
        return psutil.Process(master_pid).children()
    except psutil.NoSuchProcess:
        return []


def worker_memory(master_pid):
    """[(pid, {VmRSS, RssAnon, RssFile, …} in MB)] of each worker."""
    out = []
    for worker in workers_of(master_pid):
        try:
            text = Path(f"/proc/{worker.pid}/status").read_text()
        except OSError:
            continue
        out.append((worker.pid, parse_status(text)))
    return out


def wait_booted(master_pid, workers, timeout=180):
    """Wait until the master has `workers` children, each idle (CPU time
    still for 0.5 s): the app is loaded and they wait for requests."""
    import psutil

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        children = workers_of(master_pid)
        if len(children) == workers:
            try:
                before = [sum(c.cpu_times()[:2]) for c in children]
                time.sleep(0.5)
                after = [sum(c.cpu_times()[:2]) for c in children]
            except psutil.NoSuchProcess:
                continue
            if all(b - a < IDLE_CPU_S for a, b in zip(before, after, strict=True)):
                return
        else:
            time.sleep(0.1)
    raise SystemExit(f"bench: gunicorn's {workers} workers did not boot in {timeout} s")


def start_gunicorn(db_path, args, log_path):
    """gunicorn in its own process group, on a free port: (process, port)."""
    port = search.free_port()
    command = search.gunicorn_command(
        port, args.gunicorn_workers, args.gunicorn_threads
    )
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "FLASK_DATABASE": str(db_path)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, port


def first_answer(process, port, path, timeout=300):
    """Send `path` as soon as the port accepts: (seconds since `process`
    started, latency of the request answered, HTTP status)."""
    started = time.perf_counter()
    deadline = started + timeout
    while True:
        if process.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited ({process.returncode})")
        begin = time.perf_counter()
        try:
            status, _ = search.get(port, path, timeout=timeout)
            end = time.perf_counter()
            return end - started, end - begin, status
        except ConnectionRefusedError:
            if begin > deadline:
                raise SystemExit("bench: gunicorn never accepted") from None
            time.sleep(0.01)


def timed_get(port, path):
    begin = time.perf_counter()
    status, _ = search.get(port, path, timeout=300)
    return time.perf_counter() - begin, status


# -- the run ---------------------------------------------------------------------


def run(args, directory, log=print):
    directory = Path(directory)
    rows = args.scale_rows
    start = time.perf_counter()
    csv_path = synthetic_csv(directory, rows, args.seed)
    size_mb = csv_path.stat().st_size / 1e6
    log(
        f"[scale] {csv_path.name}: {fmt_int(rows)} rows, {size_mb:.0f} MB "
        f"({time.perf_counter() - start:.0f} s, streamed)"
    )
    out = import_rows(directory, csv_path, rows, size_mb, log)
    db_path = directory / "scale.db"
    sets = search.novel_sets(
        {
            "first": args.scale_fresh_starts + 1,
            "warm-up": args.novel_warmup,
            "measured": args.novel_queries,
        },
        args.seed + 12,
    )
    out += serve_rows(db_path, sets, args, directory, log)
    return out


def import_rows(directory, csv_path, rows, size_mb, log):
    """Acceptance 3: `flask import-csv` against a bare insert_all."""
    db_path = fresh(directory / "scale.db")
    init_database(db_path)
    log("[scale] flask import-csv (child process)…")
    cli = run_phase("cli", csv_path, db_path, directory / "scale-cli.json")
    log(
        f"[scale]   {cli['wall']:.0f} s, peak {cli['peak_mb']:.0f} MB"
        f" + indexing child {cli['child_peak_mb']:.0f} MB"
    )
    log("[scale] baseline: csv.DictReader + insert_all…")
    baseline_db = fresh(directory / "scale-baseline.db")
    base = run_phase("baseline", csv_path, baseline_db, directory / "scale-base.json")
    log(f"[scale]   {base['wall']:.0f} s, peak {base['peak_mb']:.0f} MB")
    fresh(baseline_db)  # disk space: it is not served
    if cli["rows"] != rows or base["rows"] != rows:
        raise SystemExit(
            f"bench: {rows} rows expected; import {cli['rows']}, "
            f"baseline {base['rows']}"
        )
    ratio = cli["wall"] / base["wall"]
    return [
        Result(
            NAME, "synthetic services.csv", f"{fmt_int(rows)} rows, {size_mb:.0f} MB"
        ),
        Result(
            NAME,
            "import: flask import-csv, wall time",
            f"{cli['wall']:.1f} s",
            f"{fmt_int(rows / cli['wall'])} rows/s; database {cli['db_mb']:.0f} MB"
            + (
                f" + {cli['beside_mb']:.0f} MB beside it ({', '.join(cli['beside'])})"
                if cli["beside"]
                else ""
            ),
        ),
        Result(
            NAME,
            "import: baseline insert_all, wall time",
            f"{base['wall']:.1f} s",
            f"{fmt_int(rows / base['wall'])} rows/s; peak {base['peak_mb']:.0f} MB",
        ),
        Result(
            NAME,
            "import: import-csv ÷ insert_all",
            f"{ratio:.2f}×",
            f"≤ {TARGET_IMPORT_RATIO:g}×",
            ratio <= TARGET_IMPORT_RATIO,
        ),
        Result(
            NAME,
            "import: peak RSS of its process + its indexing child",
            f"{cli['total_peak_mb']:.0f} MB",
            f"< {TARGET_IMPORT_PEAK_MB} MB (VmHWM: import {cli['peak_mb']:.0f} MB"
            f" + child {cli['child_peak_mb']:.0f} MB, counted as if both peaked"
            f" at once; {cli['start_rss_mb']:.0f} MB before the app)",
            cli["total_peak_mb"] < TARGET_IMPORT_PEAK_MB,
        ),
    ]


def failed(measure, exc):
    return Result(NAME, measure, "FAILED", f"{type(exc).__name__}: {exc}"[:200], False)


def serve_rows(db_path, sets, args, directory, log):
    """Acceptance 2: first answers, fresh workers, novel queries, /carte, RSS."""
    first_paths = search.novel_paths(sets["first"])
    log("[scale] gunicorn start → first search answer…")
    process, port = start_gunicorn(db_path, args, directory / "scale-gunicorn-0.log")
    try:
        total, latency, status = first_answer(process, port, first_paths[0][1])
    finally:
        search.stop(process)
    log(f"[scale]   {total:.2f} s (that request {latency * 1000:.0f} ms, {status})")
    out = [
        Result(
            NAME,
            "gunicorn start → first search answered",
            f"{total:.2f} s",
            f"HTTP {status}; that request took {latency * 1000:.0f} ms (sent while "
            "the workers booted); --workers "
            f"{args.gunicorn_workers} --threads {args.gunicorn_threads}",
        )
    ]
    fresh_times, statuses = [], set()
    for number, (_, path) in enumerate(first_paths[1:], start=1):
        log_path = directory / f"scale-gunicorn-{number}.log"
        process, port = start_gunicorn(db_path, args, log_path)
        try:
            wait_booted(process.pid, args.gunicorn_workers)
            latency, status = timed_get(port, path)
            fresh_times.append(latency)
            statuses.add(status)
            log(f"[scale]   fresh worker, first request: {latency * 1000:.0f} ms")
            if number == len(first_paths) - 1:  # the last server stays for the rest
                out += loaded_rows(process, port, sets, args, directory, log)
        finally:
            search.stop(process)
    median = statistics.median(fresh_times)
    listed = " ".join(f"{t * 1000:.0f}" for t in fresh_times)
    out.insert(
        1,
        Result(
            NAME,
            "first request of a fresh worker (median)",
            f"{median * 1000:.0f} ms",
            f"< {TARGET_FIRST_MS:g} ms; each start: {listed} ms; HTTP "
            + ", ".join(str(s) for s in sorted(statuses)),
            median * 1000 < TARGET_FIRST_MS and statuses == {200},
        ),
    )
    return out


def loaded_rows(process, port, sets, args, directory, log):
    """On a running server: novel queries under load, /carte, worker RSS."""
    out = []
    paths = search.novel_paths(sets["warm-up"] + sets["measured"])
    try:
        summary = search.drive(
            "scale-novel",
            port,
            paths,
            process.pid,
            args,
            directory,
            log,
            once=len(sets["warm-up"]),
        )
        c = args.connections
        label = f"novel queries @{c}"
        out += search.novel_summary_rows(NAME, label, summary, c, TARGET_NOVEL_P95_MS)
        out.append(search.novel_check_row(NAME, sets, [summary]))
    except (SystemExit, Exception) as exc:  # reported, the run goes on
        out.append(failed("novel queries", exc))
    log(f"[scale] /carte in Chromium ({args.map_loads} loads after a warm one)…")
    try:
        loads = mapbench.measure(port, args.map_loads)
        out += mapbench.rows(NAME, loads, args.scale_rows)
    except (SystemExit, Exception) as exc:
        out.append(failed("/carte", exc))
    memory = worker_memory(process.pid)
    for pid, status in memory:
        rss = status.get("VmRSS", 0.0)
        out.append(
            Result(
                NAME,
                f"RSS of gunicorn worker {pid}",
                f"{rss:.0f} MB",
                f"< {TARGET_WORKER_RSS_MB} MB; anonymous "
                f"{status.get('RssAnon', 0):.0f} MB, files "
                f"{status.get('RssFile', 0):.0f} MB; peak "
                f"{status.get('VmHWM', 0):.0f} MB",
                rss < TARGET_WORKER_RSS_MB,
            )
        )
    if not memory:
        out.append(failed("RSS of the gunicorn workers", RuntimeError("no worker")))
    return out
