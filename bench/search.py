"""Search benchmark (SPEC §10): the API under gunicorn against Datasette.

On the 100 000 services of the import benchmark (its `engine.db`, or one
built the same way when run alone), in one run:

1. in-process: `directory.web.api.run_search` (= `parse_params` + `search`, what
   `GET /api/services` calls) on the query mix, in a child process with the
   app's own configuration and connection, so the HTTP cost is visible; then
   text queries new to the process (no cache);
2. ours: the production server, `gunicorn 'directory:create_app()'`, on
   loopback, driven by `bench.load` (a separate process, 8 keep-alive
   connections) for `--seconds` after a warm-up, on the full mix (text; need;
   commune + radius; combined; open now; page 2), then on the subset that
   Datasette can answer too, then on the novel queries;
3. Datasette: the same CSV loaded by `sqlite-utils insert --csv` +
   `enable-fts --fts5` + an index on the column it filters on, served by its
   own CLI (`-i`, suggested facets and facets off; one process, async), driven
   the same way on the closest equivalent queries (text; text + need column;
   commune column), then on the same novel queries.

The novel queries are the headline (issue 12, acceptance 1: ours ≥ 3×
Datasette's throughput, our p95 < 50 ms): `--novel-warmup` then
`--novel-queries` (4 000) queries of 1–3 words of the synthetic corpus, one in
3 with a need filter (`besoin=` / `besoins__contains=`), each sent exactly
once to each server (`bench.load --once`), in the same order. No two queries
of the whole run share a `query_key` (the set of their words' folded 5-letter
prefixes), so no cache keyed on the text, its normalised words or their
stems can answer one from another, and the fixed mixes never contain them;
the table says whether every path was sent exactly once.

The servers run one after the other, never at the same time, and are always
stopped. The load generator shares the 2 cores with the server: its CPU use
is reported, and so is the CPU that other processes used meanwhile.

    python -m bench --only search [--seconds 20] [--connections 8]
    python -m bench.search [--keep DIR] [--gunicorn-workers 2 --gunicorn-threads 4]
    python -m bench.search --sweep "2x1 2x4 3x2 4x1" --seconds 10  # gunicorn settings
"""

import argparse
import http.client
import json
import math
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote_plus, urlencode

from . import ROOT, Result, common_arguments, fmt_int, print_table, synthetic_csv
from . import workdir as scratch

NAME = "search"
TARGET_P95_MS = 100.0
TARGET_RATIO = 2.0
TARGET_NOVEL_RATIO = 3.0  # issue 12, acceptance 1: novel queries vs Datasette
TARGET_NOVEL_P95_MS = 50.0
OTHER_CPU_WARNING = 0.15  # of one core: above this, the machine was not quiet
BIN = Path(sys.executable).parent
DATASETTE_COMMON = {"_size": "20", "_nosuggest": "1", "_nofacet": "1"}
DATASETTE_SETTINGS = [
    *("suggest_facets", "off"),
    *("allow_facet", "off"),
    *("default_page_size", "20"),
]
FTS_COLUMNS = ["nom", "description", "structure_nom", "commune"]
TEXTS = ["aide", "logement", "épicerie", "epicerie", "colis alimentaires"]
NOVEL_QUERIES = 4_000  # measured novel queries, each sent once per server
NOVEL_WARMUP = 200  # sent before them, once, never measured
INPROCESS_NEW_TEXTS = 100
INPROCESS_API = 200  # novel queries through Flask's test client (no HTTP)
NOVEL_NEED_EVERY = 3  # one novel query in 3 also filters on a need


# -- the query mixes -----------------------------------------------------------


def places(db_path, territory="15", apart_km=25.0, count=3):
    """The communes with the most services in the territory, `apart_km` apart:
    [(name, postcode)]. Read from the database the servers serve."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows = conn.execute(
        "select commune, code_postal, avg(latitude), avg(longitude), count(*) n"
        " from services where code_insee like ? and latitude is not null"
        " group by commune, code_postal order by n desc limit 40",
        (f"{territory}%",),
    ).fetchall()
    conn.close()
    chosen = []
    for name, postcode, lat, lon, _ in rows:
        far = all(
            math.hypot((lat - la) * 111, (lon - lo) * 79) >= apart_km
            for _, _, la, lo in chosen
        )
        if far:
            chosen.append((name, postcode, lat, lon))
        if len(chosen) == count:
            break
    return [(name, postcode) for name, postcode, _, _ in chosen]


def our_path(params):
    return "/api/services?" + urlencode(params)


def datasette_path(database, params):
    return f"/{database}/services.json?" + urlencode(
        [*params, *DATASETTE_COMMON.items()]
    )


def full_mix(communes):
    """[(kind, path)] of our API: the SPEC §10 mix."""
    (c1, _), (c2, p2), (c3, _) = communes
    mix = [
        ("text", [("q", "aide")]),
        ("text", [("q", "logement")]),
        ("text", [("q", "épicerie")]),
        ("text", [("q", "epicerie")]),
        ("text", [("q", "epicerie sol")]),  # prefix on the last word
        ("text", [("q", "Colis alimentaires")]),
        ("need", [("besoin", "alimentation")]),
        ("need", [("besoin", "logement"), ("besoin", "energie")]),
        ("commune + radius", [("commune", c1), ("rayon", "10")]),
        ("commune + radius", [("commune", p2), ("rayon", "20")]),
        ("commune + radius", [("commune", c3), ("rayon", "30")]),
        (
            "combined",
            [
                ("q", "aide"),
                ("besoin", "alimentation"),
                ("commune", c1),
                ("rayon", "20"),
            ],
        ),
        (
            "combined",
            [("q", "logement"), ("besoin", "logement"), ("commune", c2)]
            + [("rayon", "30")],
        ),
        ("open now", [("ouvert", "1")]),
        ("open now", [("ouvert", "1"), ("besoin", "sante")]),
        ("page 2", [("q", "aide"), ("page", "2")]),
        ("page 2", [("besoin", "alimentation"), ("page", "2")]),
    ]
    return [(kind, our_path(params)) for kind, params in mix]


def comparable(communes):
    """[(kind, our params, Datasette params)]: the closest equivalents.

    Datasette's `_search` quotes each word (no prefix) and orders by rowid
    (no ranking); `besoins__contains` is `like '%slug%'`; `commune=` is the
    exact column. Ours ranks by bm25, and `commune=` means within 20 km,
    sorted by distance: more work than the exact column, never less.
    """
    pairs = [("text", [("q", t)], [("_search", t)]) for t in TEXTS]
    for text, need in [
        ("aide", "alimentation"),
        ("logement", "logement"),
        ("épicerie", "alimentation"),
    ]:
        pairs.append(
            (
                "text + need",
                [("q", text), ("besoin", need)],
                [("_search", text), ("besoins__contains", need)],
            )
        )
    for name, _ in communes:
        pairs.append(("commune", [("commune", name)], [("commune", name)]))
    return pairs


def fold(word):
    """Lower case, accents off: how a search engine may normalise a word."""
    from .synth import slug

    return slug(word).replace("-", "")


def vocabulary():
    """The words of the synthetic corpus a user may type: those of the
    descriptions, the service kinds and the structure kinds (bench/synth.py),
    of 4 letters or more, without hyphen or apostrophe; one word per 5-letter
    folded prefix, so that no two words are likely to share a stem (a cache
    keyed on stems could otherwise answer « familles » from « familial »)."""
    import re

    from .synth import KINDS, STRUCTURES, WORDS

    names = [*(k for kinds in KINDS.values() for k in kinds)]
    names += [name for name, _ in STRUCTURES]
    candidates = list(WORDS)
    for name in names:
        candidates += re.split(r"[\s,()]+|\b\w'", name)
    words, prefixes = [], set()
    for word in candidates:
        folded = fold(word)
        if len(folded) < 4 or not word.isalpha() or folded[:5] in prefixes:
            continue
        prefixes.add(folded[:5])
        words.append(word.lower())
    return words


def query_key(text):
    """What two queries must not share to be distinct for any cache: the set
    of their words' folded 5-letter prefixes (order, case, accents and
    endings ignored)."""
    return frozenset(fold(word)[:5] for word in text.split())


def novel_queries(count, seed=0, needs=None):
    """`count` distinct queries [(text, need slug or None)], never in the
    fixed mix: 1 to 3 words of `vocabulary()` (each single word once, spread
    among pairs and triples; one word in 4 typed without accents), and one
    query in NOVEL_NEED_EVERY with a need filter. No two share a `query_key`,
    so neither server can answer one from a result cache filled by another,
    whatever the need filter. Deterministic for a seed."""
    import random

    from .synth import KINDS

    needs = sorted(needs or KINDS)
    rng = random.Random(seed)
    words = vocabulary()
    singles = words[:]
    rng.shuffle(singles)
    seen = {query_key(t) for t in TEXTS}
    every = max(2, count // max(1, len(singles)))  # where the singles go
    out = []
    while len(out) < count:
        if len(out) % every == 0 and singles:
            chosen = [singles.pop()]
        else:
            chosen = rng.sample(words, rng.choice((2, 3)))
        chosen = [fold(w) if rng.random() < 0.25 else w for w in chosen]
        text = " ".join(chosen)
        key = query_key(text)
        if key in seen or len(key) < len(chosen):
            continue
        seen.add(key)
        need = rng.choice(needs) if len(out) % NOVEL_NEED_EVERY == 2 else None
        out.append((text, need))
    return out


def novel_sets(sizes, seed=0):
    """{name: queries} for {name: count}: consecutive slices of one
    `novel_queries` list, so no query of one set is in another (warm-up,
    measured, in-process, first request of a worker…)."""
    queries = novel_queries(sum(sizes.values()), seed)
    out, at = {}, 0
    for name, count in sizes.items():
        out[name] = queries[at : at + count]
        at += count
    return out


def all_distinct(queries):
    """True when no two (text, need) queries share a `query_key`."""
    keys = [query_key(text) for text, _ in queries]
    return len(set(keys)) == len(keys)


def novel_paths(queries, database=None):
    """[(kind, path)] of our API, or of Datasette's table when `database` is
    given (`_search` = the words, `besoins__contains` = the need slug)."""
    out = []
    for text, need in queries:
        kind = "novel text + need" if need else "novel text"
        if database is None:
            params = [("q", text)] + ([("besoin", need)] if need else [])
            out.append((kind, our_path(params)))
        else:
            params = [("_search", text)]
            params += [("besoins__contains", need)] if need else []
            out.append((kind, datasette_path(database, params)))
    return out


def mixes(db_path, database, novel=()):
    """The query lists of every load run, and the communes they use. `novel`:
    the warm-up then the measured novel queries, the same for both servers."""
    communes = places(db_path)
    pairs = comparable(communes)
    return {
        "ours": full_mix(communes),
        "ours-comparable": [(kind, our_path(ours)) for kind, ours, _ in pairs],
        "ours-novel": novel_paths(novel),
        "datasette": [(kind, datasette_path(database, ds)) for kind, _, ds in pairs],
        "datasette-novel": novel_paths(novel, database),
    }, communes


# -- measures ------------------------------------------------------------------


def percentile(values, p):
    """Nearest-rank percentile of a list of numbers (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds):
    return "–" if seconds is None else f"{seconds * 1000:.1f}"


def summarise(measures):
    """Whole-run and per-kind figures of one `bench.load` run."""
    everything = [v for values in measures["latencies"].values() for v in values]
    window = measures["window_s"]
    out = {
        "rps": measures["requests"] / window if window > 0 else 0.0,
        "requests": measures["requests"],
        "window": window,
        "p50": percentile(everything, 50),
        "p95": percentile(everything, 95),
        "p99": percentile(everything, 99),
        "max": max(everything, default=None),
        "errors": measures["errors"],
        "error_samples": measures["error_samples"],
        "kb_per_response": measures["bytes"]
        / 1024
        / max(1, measures["requests"] + measures["warmup_requests"]),
        "kinds": {},
    }
    for kind, values in measures["latencies"].items():
        out["kinds"][kind] = {
            "n": len(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "errors": measures["errors_by_kind"].get(kind, 0),
        }
    return out


# -- servers -------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=30):
    """(status, body bytes) of one GET on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def server(name, command, ready_path, port, log_path, env=None, timeout=90):
    """Start a server in its own process group; wait until `ready_path`
    answers 200; always stop it (SIGTERM, then SIGKILL of its group)."""
    log = open(log_path, "wb")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.perf_counter() + timeout
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    f"bench: {name} exited ({process.returncode}) before answering; "
                    f"its log:\n{tail(log_path)}"
                )
            try:
                status, _ = get(port, ready_path, timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise SystemExit(f"bench: {name} did not answer in {timeout} s")
            time.sleep(0.1)
        yield process
    finally:
        stop(process)
        log.close()


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def tail(path, lines=20):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def tree_cpu(pid):
    """CPU seconds (user + system) of a process and its children so far."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def busy_share(before, after):
    """Share of all cores busy between two psutil.cpu_times() snapshots."""
    total = sum(after) - sum(before)
    idle = (after.idle + getattr(after, "iowait", 0)) - (
        before.idle + getattr(before, "iowait", 0)
    )
    return (total - idle) / total if total > 0 else 0.0


def drive(label, port, paths, server_pid, args, directory, log, once=None):
    """Run bench.load against a server; return its summary plus CPU shares.
    `once`: None (paths in turn for --seconds after --warmup seconds), or the
    number of warm-up paths of a run that sends each path exactly once (novel
    queries; capped at --novel-max-seconds)."""
    import psutil  # the bench extra

    paths_file = directory / f"paths-{label}.json"
    out_file = directory / f"load-{label}.json"
    paths_file.write_text(json.dumps(paths, ensure_ascii=False))
    command = [
        sys.executable,
        "-m",
        "bench.load",
        "--port",
        str(port),
        "--paths",
        str(paths_file),
        "--connections",
        str(args.connections),
        "--seconds",
        str(args.seconds if once is None else args.novel_max_seconds),
        "--warmup",
        str(args.warmup),
        *(["--once", "--warmup-count", str(once)] if once is not None else []),
        "--out",
        str(out_file),
        "--accept-encoding",
        args.accept_encoding,
    ]
    if once is None:
        log(
            f"[search] {label}: {args.connections} connections, {args.warmup:g} s "
            f"warm-up + {args.seconds:g} s, {len(paths)} queries in turn…"
        )
    else:
        log(
            f"[search] {label}: {args.connections} connections, {once} warm-up "
            f"queries then {len(paths) - once} measured, each sent once…"
        )
    server_cpu0, machine0 = tree_cpu(server_pid), psutil.cpu_times()
    wall0 = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    wall = time.perf_counter() - wall0
    server_cpu, machine = tree_cpu(server_pid) - server_cpu0, psutil.cpu_times()
    if done.returncode:
        raise SystemExit(f"bench: the load generator failed (exit {done.returncode})")
    measures = json.loads(out_file.read_text())
    summary = summarise(measures)
    summary.update(
        server_cpu=server_cpu / wall,
        client_cpu=measures["client_cpu_s"] / measures["client_wall_s"],
        machine_busy=busy_share(machine0, machine),
        server_cpu_ms_per_request=1000
        * server_cpu
        / max(1, measures["requests"] + measures["warmup_requests"]),
        connections_opened=measures["connections_opened"],
        cores=psutil.cpu_count(),
    )
    # what neither the server nor the client used: other processes (or the
    # kernel's share of loopback networking, which is small)
    summary["other_cpu"] = max(
        0.0,
        summary["machine_busy"] * summary["cores"]
        - summary["server_cpu"]
        - summary["client_cpu"],
    )
    log(
        f"[search]   {summary['rps']:.0f} req/s, p50 {ms(summary['p50'])} ms, "
        f"p95 {ms(summary['p95'])} ms, {summary['errors']} errors; CPU server "
        f"{summary['server_cpu']:.0%}, client {summary['client_cpu']:.0%}, "
        f"others {summary['other_cpu']:.0%} of one core"
    )
    if summary["other_cpu"] > OTHER_CPU_WARNING:
        log(
            f"[search]   WARNING: other processes used {summary['other_cpu']:.0%} "
            "of a core during this run: the server had less than the whole machine"
        )
    for error in summary["error_samples"]:
        log(f"[search]   error: {error}")
    summary["sent"], summary["paths"] = measures.get("sent"), len(paths)
    if once is not None and summary["sent"] < len(paths):
        log(
            f"[search]   WARNING: the {args.novel_max_seconds:g} s cap stopped the "
            f"run after {summary['sent']} of {len(paths)} queries"
        )
    return summary


def check(name, port, paths, total_of, log):
    """One sequential pass, each on a new connection: every query answers 200
    with results (also spreads the first requests over gunicorn's workers)."""
    totals = []
    for kind, path in paths:
        status, body = get(port, path)
        if status != 200:
            raise SystemExit(f"bench: {name} answered {status} to {path}: {body[:300]}")
        total = total_of(json.loads(body))
        if not total:  # "open now" at night, a count past Datasette's time limit
            log(f"[search] WARNING: {name} found nothing (or no count) for {path}")
        totals.append((kind, path, total or 0))
    return totals


def gunicorn_command(port, workers, threads):
    return [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "directory:create_app()",
    ]


def run_ours(db_path, queries, runs, args, directory, log, workers, threads):
    """Start gunicorn on the database; drive each mix of `runs` in turn."""
    port = free_port()
    command = gunicorn_command(port, workers, threads)
    env = {"FLASK_DATABASE": str(db_path)}
    worker = "sync" if threads == 1 else "gthread"
    log(f"[search] gunicorn --workers {workers} --threads {threads} ({worker})…")
    started = time.perf_counter()
    with server(
        "gunicorn", command, "/api/besoins", port, directory / "gunicorn.log", env
    ) as process:
        up = time.perf_counter() - started
        start = time.perf_counter()
        get(port, queries["ours"][0][1])
        first = time.perf_counter() - start
        log(f"[search]   up in {up:.1f} s; first search {first:.2f} s")
        totals = {
            run: check("gunicorn", port, queries[run], lambda d: d["total"], log)
            for run in runs
            if run != "ours-novel"  # would warm the caches it is there to miss
        }
        summaries = {
            run: drive(
                f"{run}-{workers}x{threads}",
                port,
                queries[run],
                process.pid,
                args,
                directory,
                log,
                once=args.novel_warmup if run == "ours-novel" else None,
            )
            for run in runs
        }
    return {"up": up, "first": first, "totals": totals, **summaries}


def run_datasette(ds_path, queries, args, directory, log):
    """Start Datasette on its file; drive the comparable subset, then the
    novel queries (the same as ours, each once)."""
    port = free_port()
    command = [
        str(BIN / "datasette"),
        "serve",
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
    ]
    command += ["-i", str(ds_path)] if args.datasette_immutable else [str(ds_path)]
    for name, value in zip(
        DATASETTE_SETTINGS[::2], DATASETTE_SETTINGS[1::2], strict=True
    ):
        command += ["--setting", name, value]
    log("[search] " + " ".join(["datasette", *command[1:]]))
    with server(
        "datasette", command, "/-/versions.json", port, directory / "datasette.log"
    ) as process:
        paths = queries["datasette"]
        totals = check(
            "datasette", port, paths, lambda d: d["filtered_table_rows_count"], log
        )
        summary = drive("datasette", port, paths, process.pid, args, directory, log)
        new = drive(
            "datasette-novel",
            port,
            queries["datasette-novel"],
            process.pid,
            args,
            directory,
            log,
            once=args.novel_warmup,
        )
    return {"subset": summary, "new": new, "totals": totals}


# -- databases -----------------------------------------------------------------


def count_services(db_path):
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            return conn.execute("select count(*) from services").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def engine_database(directory, csv_path, rows, log):
    """The import benchmark's engine.db, or one built the same way."""
    from .importbench import fresh, init_database, run_phase

    path = directory / "engine.db"
    if path.exists() and count_services(path) == rows:
        return path, "the import benchmark's engine.db", 0.0
    log("[search] no engine.db of this size: init-db + the real import engine…")
    start = time.perf_counter()
    init_database(fresh(path))
    run_phase("engine", csv_path, path, directory / "engine.json")
    return path, "built by init-db + the import engine", time.perf_counter() - start


def datasette_database(directory, csv_path, rows, log):
    """sqlite-utils insert --csv + enable-fts + index on `commune` (reused when
    `--keep` already holds it for the same CSV)."""
    path = directory / f"datasette-{csv_path.stem}.db"
    if path.exists() and count_services(path) == rows:
        return path, None
    work = directory / "datasette-building.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    sqlite_utils = str(BIN / "sqlite-utils")
    steps = [
        [sqlite_utils, "insert", str(work), "services", str(csv_path), "--csv"],
        [sqlite_utils, "enable-fts", str(work), "services", *FTS_COLUMNS, "--fts5"],
        [sqlite_utils, "create-index", str(work), "services", "commune"],
    ]
    log("[search] Datasette database: sqlite-utils insert --csv, enable-fts, index…")
    start = time.perf_counter()
    for step in steps:
        done = subprocess.run(step, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(
                f"bench: {' '.join(step[1:3])} failed:\n{done.stdout}{done.stderr}"
            )
    work.rename(path)
    return path, time.perf_counter() - start


# -- in-process ----------------------------------------------------------------


def phase_inprocess(db_path, paths_file, rounds):
    """In this process: create_app() as gunicorn does, then run_search on each
    query of the mix, `rounds` times; the first call of each query apart; then
    each new text query once (none is in the mix); then other novel queries
    through GET /api/services with Flask's test client (rows, JSON, no HTTP),
    with this process's CPU time per request."""
    from urllib.parse import parse_qsl

    os.environ["FLASK_DATABASE"] = str(db_path)
    from werkzeug.datastructures import MultiDict

    from directory import create_app
    from directory.web.api import run_search

    given = json.loads(Path(paths_file).read_text())
    paths, new, api = given["mix"], given["new"], given.get("api", [])
    app = create_app()
    out = {"first_search": None, "first_call": {}, "times": {}}
    with app.app_context():
        queries = [
            (kind, MultiDict(parse_qsl(path.split("?", 1)[1]))) for kind, path in paths
        ]
        start = time.perf_counter()
        run_search(MultiDict([("besoin", "alimentation")]))
        out["first_search"] = time.perf_counter() - start
        for round_number in range(rounds + 1):
            for kind, query in queries:
                start = time.perf_counter()
                run_search(query)
                elapsed = time.perf_counter() - start
                if round_number == 0:
                    out["first_call"].setdefault(kind, []).append(elapsed)
                else:
                    out["times"].setdefault(kind, []).append(elapsed)
        out["new_text"] = []
        for _, path in new:
            query = MultiDict(parse_qsl(path.split("?", 1)[1]))
            start = time.perf_counter()
            run_search(query)
            out["new_text"].append(time.perf_counter() - start)
    # Outside the app context above: each request opens and ends its own.
    client, out["api_new"] = app.test_client(), []
    cpu = time.process_time()
    for _, path in api:
        start = time.perf_counter()
        response = client.get(path)
        out["api_new"].append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"bench: {path} answered {response.status_code}")
    out["api_cpu"] = (time.process_time() - cpu) / max(1, len(api))
    return out


def run_inprocess(db_path, paths, new, args, directory, log, api=()):
    paths_file = directory / "paths-inprocess.json"
    out_file = directory / "inprocess.json"
    given = {"mix": paths, "new": new, "api": list(api)}
    paths_file.write_text(json.dumps(given, ensure_ascii=False))
    log(
        f"[search] in-process: run_search × {args.inprocess_rounds} rounds of the "
        f"mix, then {len(new)} new text queries once…"
    )
    command = [
        sys.executable,
        "-m",
        "bench.search",
        "--phase",
        "inprocess",
        "--db",
        str(db_path),
        "--paths-file",
        str(paths_file),
        "--inprocess-rounds",
        str(args.inprocess_rounds),
        "--out",
        str(out_file),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env)
    if done.returncode:
        raise SystemExit(f"bench: the in-process phase failed (exit {done.returncode})")
    return json.loads(out_file.read_text())


# -- orchestration -------------------------------------------------------------


def add_arguments(parser):
    group = parser.add_argument_group("search")
    group.add_argument(
        "--seconds",
        type=float,
        default=20.0,
        help="search: measured seconds per load run (default 20)",
    )
    group.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="search: warm-up seconds before each load run (default 2)",
    )
    group.add_argument(
        "--connections",
        type=int,
        default=8,
        help="search: concurrent keep-alive connections (default 8)",
    )
    group.add_argument(
        "--gunicorn-workers",
        type=int,
        default=2,
        help="search: gunicorn --workers (default 2)",
    )
    group.add_argument(
        "--gunicorn-threads",
        type=int,
        default=4,
        help="search: gunicorn --threads (default 4: gthread)",
    )
    group.add_argument(
        "--sweep",
        metavar="'WxT …'",
        help="search: only compare gunicorn settings on the full mix, e.g. "
        "'2x1 2x4 4x1' (workers x threads)",
    )
    group.add_argument(
        "--datasette-mutable",
        dest="datasette_immutable",
        action="store_false",
        help="search: serve Datasette's file in mutable mode (default: -i, "
        "immutable, its recommended mode for read-only data)",
    )
    group.add_argument(
        "--accept-encoding",
        default="identity",
        help="search: Accept-Encoding of the load generator (default identity; "
        "'gzip' makes our server compress, as for a browser; Datasette never does)",
    )
    group.add_argument(
        "--novel-queries",
        type=int,
        default=NOVEL_QUERIES,
        help=f"search: distinct novel queries measured, each sent once to each "
        f"server (default {NOVEL_QUERIES})",
    )
    group.add_argument(
        "--novel-warmup",
        type=int,
        default=NOVEL_WARMUP,
        help=f"search: other novel queries sent before them, not measured "
        f"(default {NOVEL_WARMUP})",
    )
    group.add_argument(
        "--novel-max-seconds",
        type=float,
        default=300.0,
        help="search: cap of a novel-query run (default 300 s)",
    )
    group.add_argument(
        "--inprocess-rounds",
        type=int,
        default=30,
        help="search: rounds of the mix timed in-process (default 30)",
    )


def run(args, directory, log=print):
    directory = Path(directory)
    csv_path = synthetic_csv(directory, args.rows, args.seed)
    db_path, origin, built = engine_database(directory, csv_path, args.rows, log)
    db_mb = db_path.stat().st_size / 1e6
    log(f"[search] our database: {db_path.name}, {origin}, {db_mb:.0f} MB")
    if args.sweep:
        return sweep(args, directory, db_path, log)

    ds_path, ds_built = datasette_database(directory, csv_path, args.rows, log)

    sets = novel_sets(
        {
            "warm-up": args.novel_warmup,
            "measured": args.novel_queries,
            "in-process": INPROCESS_NEW_TEXTS,
            "in-process API": INPROCESS_API,
        },
        args.seed,
    )
    queries, communes = mixes(db_path, ds_path.stem, sets["warm-up"] + sets["measured"])
    log("[search] communes of the mix: " + ", ".join(f"{n} ({p})" for n, p in communes))
    new = novel_paths(sets["in-process"])
    api = novel_paths(sets["in-process API"])
    inprocess = run_inprocess(
        db_path, queries["ours"], new, args, directory, log, api=api
    )
    ours = run_ours(
        db_path,
        queries,
        ("ours", "ours-comparable", "ours-novel"),
        args,
        directory,
        log,
        args.gunicorn_workers,
        args.gunicorn_threads,
    )
    datasette = run_datasette(ds_path, queries, args, directory, log)
    log_totals(ours["totals"], datasette["totals"], log)
    out = results(
        args, origin, built, db_mb, ds_path, ds_built, inprocess, ours, datasette
    )
    return novel_rows(ours["ours-novel"], datasette["new"], sets, args) + out


def log_totals(ours, datasette, log):
    """Matches per query; for the comparable ones, ours against Datasette (they
    differ: ours also searches need labels, and `commune` is a 20 km radius)."""
    log("[search] results found, full mix (ours):")
    for kind, path, total in ours["ours"]:
        query = unquote_plus(path.split("?", 1)[1])
        log(f"[search]   {kind:16} {query:62} {fmt_int(total):>7}")
    log("[search] results found, comparable queries (ours / Datasette):")
    pairs = zip(ours["ours-comparable"], datasette, strict=True)
    for (kind, _, a), (_, path, b) in pairs:
        query = unquote_plus(path.split("?", 1)[1].split("&_size")[0])
        log(f"[search]   {kind:16} {query:62} {fmt_int(a):>7} / {fmt_int(b):>7}")


def sweep(args, directory, db_path, log):
    """Full mix only, under several gunicorn settings."""
    queries, _ = mixes(db_path, "unused")
    out = []
    for setting in args.sweep.split():
        workers, threads = (int(x) for x in setting.lower().split("x"))
        ours = run_ours(
            db_path, queries, ("ours",), args, directory, log, workers, threads
        )
        full = ours["ours"]
        out.append(
            Result(
                NAME,
                f"gunicorn --workers {workers} --threads {threads}",
                f"{full['rps']:.0f} req/s, p50 {ms(full['p50'])} ms, "
                f"p95 {ms(full['p95'])} ms",
                f"CPU server {full['server_cpu']:.0%} client {full['client_cpu']:.0%}"
                f" others {full['other_cpu']:.0%}; "
                f"{fmt_int(full['connections_opened'])} connections; "
                f"{full['errors']} errors",
            )
        )
    return out


def kind_rows(label, summary, target=True):
    rows = []
    for kind, figures in summary["kinds"].items():
        p95 = figures["p95"]
        rows.append(
            Result(
                NAME,
                f"  {label} {kind}: p50 / p95",
                f"{ms(figures['p50'])} / {ms(p95)} ms",
                (f"p95 < {TARGET_P95_MS:g} ms; " if target else "")
                + f"{fmt_int(figures['n'])} requests"
                + (f", {figures['errors']} errors" if figures["errors"] else ""),
                (p95 is not None and p95 * 1000 < TARGET_P95_MS) if target else None,
            )
        )
    return rows


def load_rows(label, summary, connections, p95_target=None, note=""):
    """Rows of one load run; `p95_target`: None, or the p95 target in ms."""
    p95 = summary["p95"]
    noisy = summary["other_cpu"] > OTHER_CPU_WARNING
    errors = summary["errors"]
    return [
        Result(
            NAME,
            f"{label}: throughput",
            f"{fmt_int(summary['rps'])} req/s",
            f"{fmt_int(summary['requests'])} requests in {summary['window']:.1f} s; "
            f"{summary['kb_per_response']:.1f} KB per response body",
        ),
        Result(
            NAME,
            f"{label}: p50 / p95 / p99 / max",
            f"{ms(summary['p50'])} / {ms(p95)} / {ms(summary['p99'])} / "
            f"{ms(summary['max'])} ms",
            f"p95 < {p95_target:g} ms at {connections} connections{note}"
            if p95_target
            else "",
            (p95 is not None and p95 * 1000 < p95_target) if p95_target else None,
        ),
        Result(
            NAME,
            f"{label}: errors (non-200, connection)",
            fmt_int(errors),
            "0" + ("; " + summary["error_samples"][0] if errors else ""),
            errors == 0,
        ),
        Result(
            NAME,
            f"{label}: CPU, % of one core",
            f"server {summary['server_cpu']:.0%}, client {summary['client_cpu']:.0%}"
            f", others {summary['other_cpu']:.0%}",
            ("OTHER PROCESSES WERE BUSY; " if noisy else "")
            + f"{summary['cores']} cores {summary['machine_busy']:.0%} busy; server "
            f"{summary['server_cpu_ms_per_request']:.2f} ms CPU per request; "
            f"{fmt_int(summary['connections_opened'])} connections opened",
        ),
    ]


def novel_checks(sets, summaries):
    """(ok, detail): every query of `sets` distinct from every other (no shared
    `query_key`, across warm-up, measured and in-process sets), and each load
    run sent each of its paths exactly once, none twice, none dropped."""
    queries = [q for values in sets.values() for q in values]
    distinct = all_distinct(queries)
    complete = all(s["sent"] == s["paths"] for s in summaries)
    sent = ", ".join(f"{fmt_int(s['sent'])}/{fmt_int(s['paths'])}" for s in summaries)
    detail = (
        f"{fmt_int(len(queries))} queries, "
        + ("all distinct" if distinct else "SOME REPEAT")
        + " (words folded, order ignored); each sent once: "
        + sent
        + ("" if complete else " (CAPPED: --novel-max-seconds)")
    )
    return distinct and complete, detail


def novel_check_row(bench, sets, summaries):
    """The table's row of `novel_checks`."""
    ok, detail = novel_checks(sets, summaries)
    return Result(
        bench, "novel queries: no cache can answer", "yes" if ok else "NO", detail, ok
    )


def novel_summary_rows(bench, label, summary, connections, p95_target_ms):
    """Throughput and p95 of a novel-query run, p95 per kind (text, text +
    need), the errors, and the CPU shares (what `load_rows` gives)."""
    rows = load_rows(label, summary, connections, p95_target=p95_target_ms)
    rows += kind_rows(label, summary, target=False)
    for row in rows:
        row.bench = bench
    return rows


def novel_rows(ours, theirs, sets, args):
    """Acceptance 1 of issue 12, first in the table: novel queries, ours ÷
    Datasette throughput and our p95 (targets), then the details."""
    ratio = ours["rps"] / theirs["rps"] if theirs["rps"] else math.inf
    c = args.connections
    p95 = ours["p95"]
    out = [
        Result(
            NAME,
            f"NOVEL QUERIES @{c}: throughput ours ÷ Datasette",
            f"{ratio:.1f}× ({fmt_int(ours['rps'])} / {fmt_int(theirs['rps'])} req/s)",
            f"≥ {TARGET_NOVEL_RATIO:g}×; {fmt_int(len(sets['measured']))} queries "
            f"of 1–3 words, 1 in {NOVEL_NEED_EVERY} with a need",
            ratio >= TARGET_NOVEL_RATIO,
        ),
        Result(
            NAME,
            f"NOVEL QUERIES @{c}: our p95",
            f"{ms(p95)} ms (Datasette {ms(theirs['p95'])} ms)",
            f"< {TARGET_NOVEL_P95_MS:g} ms",
            p95 is not None and p95 * 1000 < TARGET_NOVEL_P95_MS,
        ),
        novel_check_row(NAME, sets, [ours, theirs]),
    ]
    for who, summary in (("ours", ours), ("Datasette", theirs)):
        out += novel_summary_rows(NAME, f"{who}, novel @{c}", summary, c, None)
    return out


def results(args, origin, built, db_mb, ds_path, ds_built, inprocess, ours, datasette):
    full, subset, theirs = ours["ours"], ours["ours-comparable"], datasette["subset"]
    ratio = subset["rps"] / theirs["rps"] if theirs["rps"] else math.inf
    full_ratio = full["rps"] / theirs["rps"] if theirs["rps"] else math.inf
    worker = "sync" if args.gunicorn_threads == 1 else "gthread"
    out = [
        Result(
            NAME,
            "our database",
            f"{fmt_int(args.rows)} services, {db_mb:.0f} MB",
            origin + (f" ({built:.0f} s)" if built else ""),
        ),
        Result(
            NAME,
            "Datasette database",
            f"{ds_path.stat().st_size / 1e6:.0f} MB",
            "sqlite-utils insert --csv; enable-fts --fts5 "
            + " ".join(FTS_COLUMNS)
            + "; index on commune"
            + (f" ({ds_built:.0f} s)" if ds_built else " (reused)"),
        ),
        Result(
            NAME,
            "gunicorn",
            f"--workers {args.gunicorn_workers} --threads {args.gunicorn_threads}",
            f"{worker} worker; up {ours['up']:.1f} s, first search {ours['first']:.2f}"
            " s",
        ),
        Result(
            NAME,
            "Datasette",
            "datasette serve" + (" -i" if args.datasette_immutable else ""),
            "one process (uvicorn, asyncio + 3 SQL threads); suggest_facets off; "
            "_size=20&_nosuggest=1&_nofacet=1",
        ),
    ]
    all_times = [t for values in inprocess["times"].values() for t in values]
    mean_all = statistics.fmean(all_times)
    out.append(
        Result(
            NAME,
            "in-process run_search, whole mix: mean",
            f"{ms(mean_all)} ms",
            f"= {fmt_int(1 / mean_all)} searches/s on one core; first search of a "
            f"process {inprocess['first_search']:.2f} s",
        )
    )
    for kind, times in inprocess["times"].items():
        first = max(inprocess["first_call"][kind])
        out.append(
            Result(
                NAME,
                f"  in-process {kind}: mean / p50 / p95",
                f"{ms(statistics.fmean(times))} / {ms(percentile(times, 50))} / "
                f"{ms(percentile(times, 95))} ms",
                f"first call of its queries ≤ {ms(first)} ms",
            )
        )
    new_times = inprocess["new_text"]
    out.append(
        Result(
            NAME,
            "  in-process text, new query: mean / p50 / p95",
            f"{ms(statistics.fmean(new_times))} / {ms(percentile(new_times, 50))} / "
            f"{ms(percentile(new_times, 95))} ms",
            f"{len(new_times)} novel queries (not among the load runs'), each "
            "once; max " + ms(max(new_times)) + " ms",
        )
    )
    api_times = inprocess.get("api_new")
    if api_times:
        out.append(
            Result(
                NAME,
                "  in-process GET /api/services, new query: mean / p50 / p95",
                f"{ms(statistics.fmean(api_times))} / "
                f"{ms(percentile(api_times, 50))} / {ms(percentile(api_times, 95))} ms",
                f"{len(api_times)} other novel queries through Flask's test client "
                f"(rows, JSON, no HTTP); CPU {ms(inprocess['api_cpu'])} ms per request",
            )
        )
    http_cpu = full["server_cpu_ms_per_request"]
    out.append(
        Result(
            NAME,
            "HTTP + Flask cost per request (full mix)",
            f"{http_cpu - mean_all * 1000:.1f} ms CPU",
            f"server CPU per request {http_cpu:.2f} ms − in-process mean "
            f"{ms(mean_all)} ms",
        )
    )
    c = args.connections
    out += load_rows(f"ours, full mix @{c}", full, c, p95_target=TARGET_P95_MS)
    out += kind_rows("ours", full)
    out += load_rows(f"ours, comparable subset @{c}", subset, c)
    out += kind_rows("ours", subset, target=False)
    out += load_rows(f"Datasette, comparable subset @{c}", theirs, c)
    out += kind_rows("Datasette", theirs, target=False)
    out += [
        Result(
            NAME,
            "throughput ours ÷ Datasette, comparable subset",
            f"{ratio:.1f}×",
            f"≥ {TARGET_RATIO:g}×",
            ratio >= TARGET_RATIO,
        ),
        Result(
            NAME,
            "throughput ours (full mix) ÷ Datasette (subset)",
            f"{full_ratio:.1f}×",
            "for information: the full mix has no Datasette equivalent",
        ),
    ]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.search",
        description=__doc__.split("\n\n")[0],
    )
    common_arguments(parser)
    add_arguments(parser)
    parser.add_argument("--phase", choices=["inprocess"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--paths-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "inprocess":
        measures = phase_inprocess(args.db, args.paths_file, args.inprocess_rounds)
        Path(args.out).write_text(json.dumps(measures))
        return 0
    with scratch(args.keep) as directory:
        print_table(run(args, directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
