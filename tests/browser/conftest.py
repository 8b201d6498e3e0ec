"""Browser fixtures: Debian's Chromium driven by Playwright against a real server.

One browser per session (pytest-playwright), one werkzeug server per database,
a fresh browser context per test. Every request that does not go to the local
server is aborted; a test fails if one was attempted (map tiles aside: they are
the one expected external host, and are aborted silently).
"""

import os
import shutil
import threading
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import WSGIRequestHandler, make_server

from directory import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_HOST = urlsplit(TILES_URL).hostname
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
BLOCKING_IMPACTS = {"critical", "serious"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium; never a downloaded Playwright browser."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} introuvable : les tests navigateur ne peuvent pas tourner. "
            "Installez le paquet Debian « chromium » (make test le fait).",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without the access log (errors are still logged)."""

    def log_request(self, code="-", size="-"):
        pass


class LiveServer:
    """The app served by werkzeug on a free port of 127.0.0.1, in a thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
        )
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return self.base + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def start_server(tmp_path_factory):
    """start_server(template_db) → LiveServer on a private copy of the database."""
    servers = []

    def start(template):
        path = tmp_path_factory.mktemp("browser") / "live.db"
        shutil.copy(template, path)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE": str(path),
                "MAP_TILES_URL": TILES_URL,
            }
        )
        servers.append(LiveServer(app))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def live_server(start_server, seeded_db_path):
    """The app on the real seed (data/services.csv), shared by the session."""
    return start_server(seeded_db_path)


class Watch:
    """What a page did that it should not have: outside requests, dialogs, errors."""

    def __init__(self):
        self.blocked = []  # non-tile URLs outside localhost
        self.tiles = []
        self.dialogs = []
        self.errors = []  # uncaught JS exceptions
        self.csp = []  # Content-Security-Policy violations reported in the console

    def route(self, route):
        url = route.request.url
        host = urlsplit(url).hostname
        if host in LOCAL_HOSTS:
            route.continue_()
            return
        (self.tiles if host == TILE_HOST else self.blocked).append(url)
        route.abort()

    def dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def console(self, message):
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)


@pytest.fixture
def watch():
    return Watch()


@pytest.fixture
def page(page, watch):
    """pytest-playwright's page, fenced to localhost and watched for dialogs."""
    page.context.route("**/*", watch.route)
    page.on("dialog", watch.dialog)
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    page.on("console", watch.console)
    page.set_default_timeout(10_000)
    yield page
    assert not watch.blocked, "requêtes hors de localhost :\n" + "\n".join(
        watch.blocked
    )
    assert not watch.dialogs, f"boîtes de dialogue ouvertes : {watch.dialogs}"
    assert not watch.errors, f"erreurs JavaScript : {watch.errors}"
    assert not watch.csp, "violations CSP :\n" + "\n".join(watch.csp)


def format_violations(violations):
    """axe violations as readable lines: impact, rule, help, then each element."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:160]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            if summary:
                lines.append(f"        {summary[:300]}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe():
    """axe(page): run axe-core on the page, fail on critical/serious violations."""
    engine = Axe()

    def check(page):
        results = engine.run(page)
        bad = [
            v
            for v in results.response["violations"]
            if v.get("impact") in BLOCKING_IMPACTS
        ]
        assert not bad, f"axe sur {page.url} :\n" + format_violations(bad)
        return results

    return check
