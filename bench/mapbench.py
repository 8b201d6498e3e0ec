"""Map benchmark (SPEC §10): `/carte` with 10 000 services in headless Chromium.

A fresh database gets N synthetic services (default 10 000) through the real
import engine; the production server (gunicorn) serves it; Debian's Chromium,
driven by Playwright, loads `/carte` with tiles blocked (they are not ours and
the machine is offline) and we measure the bytes transferred (response bodies,
compressed size as sent) and the time from navigation start until the marker
layer is drawn (cluster icons in the DOM and `data-marqueurs` set).
`measure` and `rows` are also used by bench/scale.py on 1 000 000 services.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from . import ROOT, Result, fmt_int, synthetic_csv
from .importbench import fresh, init_database

NAME = "map"
TARGET_MB = 1.5
TARGET_SECONDS = 2.0
CHROMIUM = "/usr/bin/chromium"


def add_arguments(parser):
    group = parser.add_argument_group("map")
    group.add_argument(
        "--map-rows",
        type=int,
        default=10_000,
        help="services on the map (default 10 000)",
    )
    group.add_argument(
        "--map-loads", type=int, default=5, help="page loads measured (median shown)"
    )


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _import(csv_path, db_path):
    """The real engine: prepare + apply of the synthetic file."""
    from directory.catalogue.vocabulary import besoins_choices
    from directory.db import connect
    from directory.geo.gazetteer import Gazetteer
    from directory.geo.geocoders import OfflineGeocoder
    from directory.imports import engine as importer
    from directory.web.context import get_besoins  # noqa: F401 - same vocabulary as the app

    db = connect(db_path)
    data = Path(csv_path).read_bytes()
    report = importer.prepare(
        db,
        data,
        Path(csv_path).name,
        geocoder=OfflineGeocoder(Gazetteer.from_db(db)),
        besoins=besoins_choices(db.query("select slug, libelle from besoins")),
        max_bytes=len(data),
        max_rows=10_000_000,
    )
    if not report.ok:
        raise SystemExit("bench: the synthetic file has blocking errors")
    importer.apply(db, report, user="bench")
    db.close()


def _serve(db_path, port):
    env = dict(os.environ, FLASK_DATABASE=str(db_path))
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "directory:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("bench: gunicorn did not start")


def _load(browser, url):
    """One cold page load: (bytes received, seconds until markers are drawn,
    markers, seconds until the HTML was received)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sizes = []

    def route(request_route):
        host = request_route.request.url.split("/")[2]
        if host.startswith(("127.0.0.1", "localhost")):
            request_route.continue_()
        else:  # tiles: another server's bytes, and there is no network here
            request_route.abort()

    page.route("**/*", route)
    page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"]))
    page.goto(url, wait_until="commit")
    # Selectors, not a JS predicate: the page's CSP forbids eval.
    page.wait_for_selector("[data-marqueurs]", state="attached", timeout=30_000)
    page.wait_for_selector(".leaflet-marker-icon", state="attached", timeout=30_000)
    seconds = page.evaluate("performance.now()") / 1000
    html = (
        page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
        / 1000
    )
    page.wait_for_load_state("networkidle")
    markers = page.evaluate(
        "Number(document.querySelector('[data-marqueurs]').dataset.marqueurs)"
    )
    context.close()
    return sum(sizes), seconds, markers, html


def measure(port, loads, path="/carte"):
    """`loads` cold page loads of `path` in headless Chromium after one to warm
    the workers: [(bytes received, seconds until markers drawn, markers,
    seconds until the HTML was received)]."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"bench: {CHROMIUM} missing (apt-get install chromium)")
    url = f"http://127.0.0.1:{port}{path}"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            _load(browser, url)  # warm the workers
            return [_load(browser, url) for _ in range(loads)]
        finally:
            browser.close()


def rows(bench, loads, services):
    """The table's rows of the measured loads (medians), with the targets."""
    size = statistics.median(load[0] for load in loads) / 1024 / 1024
    seconds = statistics.median(load[1] for load in loads)
    html = statistics.median(load[3] for load in loads)
    return [
        Result(bench, "/carte: services in the database", fmt_int(services)),
        Result(bench, "/carte: markers on the map", fmt_int(loads[0][2])),
        Result(
            bench,
            "/carte: bytes transferred (median, tiles excluded)",
            f"{size:.2f} MB",
            f"< {TARGET_MB} MB",
            size < TARGET_MB,
        ),
        Result(
            bench,
            "/carte: time until markers are drawn (median)",
            f"{seconds:.2f} s",
            f"< {TARGET_SECONDS:g} s",
            seconds < TARGET_SECONDS,
        ),
        Result(
            bench,
            "/carte: time until the HTML is received (median; the server's part)",
            f"{html:.2f} s",
        ),
        Result(
            bench,
            "/carte: loads measured",
            " ".join(f"{b / 1048576:.2f} MB/{s:.2f} s" for b, s, *_ in loads),
        ),
    ]


def run(args, directory):
    rows_wanted = args.map_rows
    print(f"[map] {fmt_int(rows_wanted)} services: synthetic file, real import…")
    csv_path = synthetic_csv(directory, rows_wanted, seed=args.seed + 1)
    db_path = fresh(Path(directory) / "map.db")
    init_database(db_path)
    _import(csv_path, db_path)
    port = _free_port()
    server = _serve(db_path, port)
    try:
        loads = measure(port, args.map_loads)
    finally:
        server.terminate()
        server.wait(timeout=20)
    out = rows(NAME, loads, rows_wanted)
    print(f"[map]   {out[2].value}, markers drawn after {out[3].value}")
    return out
