"""HTTP load generator of the search benchmark: its own process, N keep-alive
connections (one `http.client.HTTPConnection` per thread).

    python -m bench.load --port 8000 --paths paths.json [--connections 8]
                         [--seconds 20] [--warmup 2] [--out measures.json]

`paths.json` is a list of `[kind, path]`. The threads take the paths in turn
from one shared round-robin counter, so every kind gets its share whatever the
latency of the others. Every request started during the warm-up is thrown
away; every request started during the measured window is recorded (kind,
latency, status). Any status other than 200, and any connection error, is an
error. The output holds every latency (the parent computes the percentiles)
and this process's own CPU time, to tell whether the client was the
bottleneck. `Accept-Encoding: identity` by default: no compression (`gzip` is
what a browser gets from flask-compress).

`--once` (novel queries): every path is sent exactly once, in order, and the
run ends when the list is exhausted (or after `--seconds`, a cap); the first
`--warmup-count` paths are the warm-up, thrown away, so warm-up and measured
queries never repeat each other. `sent` counts the paths actually sent.

Threads in one process are enough for an I/O-bound client: a thread spends
most of its time in `recv`, with the GIL released. The CPU figure says it.
"""

import argparse
import http.client
import itertools
import json
import resource
import sys
import threading
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Worker(threading.Thread):
    """One connection, requests back to back until the end of the window."""

    def __init__(
        self, host, port, paths, counter, start, measure_from, end, headers, once=None
    ):
        super().__init__(daemon=True)
        self.once = once  # None, or the number of warm-up paths of a --once run
        self.headers = headers
        self.host, self.port, self.paths, self.counter = host, port, paths, counter
        self.start_at, self.measure_from, self.end = start, measure_from, end
        self.samples = []  # (kind index, latency s, status or 0, finish time)
        self.errors = []  # first few messages
        self.error_count = 0
        self.connections = 0
        self.bytes = 0
        self.warmup_requests = 0

    def connect(self):
        self.connections += 1
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def run(self):
        while time.perf_counter() < self.start_at:
            time.sleep(0.001)
        conn = self.connect()
        while True:
            begin = time.perf_counter()
            if begin >= self.end:
                break
            number = next(self.counter)
            if self.once is not None and number >= len(self.paths):
                break
            kind, path = self.paths[number % len(self.paths)]
            status, error = 0, None
            try:
                conn.request("GET", path, headers=self.headers)
                response = conn.getresponse()
                self.bytes += len(response.read())
                status = response.status
                if response.will_close:
                    conn.close()
                    conn = self.connect()
                if status != 200:
                    error = f"HTTP {status} for {path}"
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__}: {exc} for {path}"
                conn.close()
                conn = self.connect()
            finish = time.perf_counter()
            if (begin < self.measure_from) if self.once is None else number < self.once:
                self.warmup_requests += 1
                continue
            self.samples.append((kind, finish - begin, status, finish))
            if error:
                self.error_count += 1
                if len(self.errors) < 5:
                    self.errors.append(error)
        conn.close()


def run(
    host,
    port,
    paths,
    connections=8,
    seconds=20.0,
    warmup=2.0,
    encoding="identity",
    once=None,
):
    """Drive the load; return the measures (a JSON-able dict). `once`: None
    (time-based, paths in turn), or the count of warm-up paths of a run that
    sends each path once."""
    headers = {"Accept": "application/json", "Accept-Encoding": encoding}
    kinds = sorted({kind for kind, _ in paths})
    indexed = [(kinds.index(kind), path) for kind, path in paths]
    counter = itertools.count()
    start = time.perf_counter() + 0.05
    measure_from = start + (warmup if once is None else 0.0)
    end = measure_from + seconds
    workers = [
        Worker(host, port, indexed, counter, start, measure_from, end, headers, once)
        for _ in range(connections)
    ]
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    samples = [s for w in workers for s in w.samples]
    last = max((s[3] for s in samples), default=end)
    if once is not None and samples:  # the window opens with the first measured
        measure_from = min(s[3] - s[1] for s in samples)
    return {
        "once": once is not None,
        "sent": min(next(counter), len(paths)) if once is not None else None,
        "kinds": kinds,
        "connections": connections,
        "warmup_s": warmup,
        "window_s": last - measure_from,
        "requests": len(samples),
        "warmup_requests": sum(w.warmup_requests for w in workers),
        "latencies": {
            kind: [s[1] for s in samples if s[0] == i] for i, kind in enumerate(kinds)
        },
        "errors": sum(w.error_count for w in workers),
        "error_samples": [e for w in workers for e in w.errors][:10],
        "errors_by_kind": {
            kind: sum(1 for s in samples if s[0] == i and s[2] != 200)
            for i, kind in enumerate(kinds)
        },
        "connections_opened": sum(w.connections for w in workers),
        "bytes": sum(w.bytes for w in workers),
        "client_cpu_s": cpu,
        "client_wall_s": wall,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths", required=True, help="JSON file: [[kind, path]…]")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--accept-encoding",
        default="identity",
        help="Accept-Encoding header (default identity: no compression)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="send each path once, then stop (--seconds is then a cap)",
    )
    parser.add_argument(
        "--warmup-count",
        type=int,
        default=0,
        help="with --once: the first N paths are the warm-up",
    )
    parser.add_argument("--out", help="write the measures here (default: stdout)")
    args = parser.parse_args(argv)
    with open(args.paths, encoding="utf-8") as f:
        paths = [tuple(p) for p in json.load(f)]
    measures = run(
        args.host,
        args.port,
        paths,
        args.connections,
        args.seconds,
        args.warmup,
        args.accept_encoding,
        args.warmup_count if args.once else None,
    )
    text = json.dumps(measures)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
