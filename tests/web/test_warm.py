"""A worker opens the search index, its columns and the gazetteer at boot
(directory/web/warm.py, called by gunicorn.conf.py), not on its first request."""

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from directory import create_app
from directory.geo import gazetteer
from directory.search import index
from directory.web.warm import warm

ROOT = Path(__file__).resolve().parents[2]


def test_a_warmed_worker_loads_nothing_on_its_first_requests(app, monkeypatch):
    assert warm(app)

    def refused(*args, **kwargs):
        raise AssertionError("loaded on a request")

    monkeypatch.setattr(gazetteer.Gazetteer, "from_db", refused)
    monkeypatch.setattr(index, "SearchIndex", refused)
    client = app.test_client()
    near = client.get("/api/services?q=aide&commune=Aurillac&rayon=30")
    assert near.status_code == 200
    assert near.get_json()["total"] > 0
    assert client.get("/api/services?besoin=alimentation").status_code == 200
    cantal = client.get("/carte/grappes.json?bbox=2.0,44.5,3.5,45.5&zoom=9")
    assert cantal.status_code == 200
    assert client.get("/carte").status_code == 200


def test_a_failed_warm_up_is_logged_and_leaves_the_worker_serving(tmp_path, caplog):
    broken = create_app({"TESTING": True, "DATABASE": str(tmp_path / "vide.db")})
    assert warm(broken) is False
    assert "Préchargement du processus incomplet" in caplog.text


def test_the_gunicorn_settings_warm_each_worker(app, monkeypatch):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    called = []
    monkeypatch.setattr("directory.web.warm.warm", called.append)
    settings["post_worker_init"](type("Worker", (), {"wsgi": app})())
    assert called == [app]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_real_gunicorn_worker_opens_the_index_before_any_request(app):
    """The test database has no text index yet: it appears at the worker's
    boot, before any request is sent."""
    path = Path(app.config["DATABASE"])
    pointer = Path(f"{path}.index") / "CURRENT"
    assert not pointer.exists()
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "directory:create_app()",
        ],
        cwd=ROOT,
        env={**os.environ, "FLASK_DATABASE": str(path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pointer.exists() and time.monotonic() < deadline:
            assert process.poll() is None
            time.sleep(0.1)
        assert pointer.exists()
        url = f"http://127.0.0.1:{port}/api/services?q=aide"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=10) as answer:
                    assert answer.status == 200
                    break
            except (ConnectionError, urllib.error.URLError):
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


FREED = """
import sys
import numpy as np
from directory.web.warm import return_freed_memory

if sys.argv[1] == "on":
    assert return_freed_memory()


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


before = rss_mb()
first = np.ones(2_000_000)  # 16 MB: mapped; once freed, glibc's threshold is 16 MB
del first
blocks, kept = [], []
for _ in range(8):  # a request's arrays over 1 000 000 services
    blocks.append(np.ones(1_000_000))  # 8 MB, written
    kept.append(bytearray(100_000))  # a smaller block after it, still in use
del blocks
print(rss_mb() - before)
"""


def test_a_worker_gives_back_the_large_blocks_it_frees():
    kept = {}
    for mode in ("off", "on"):
        done = subprocess.run(
            [sys.executable, "-c", FREED, mode],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        kept[mode] = float(done.stdout)
    assert kept["off"] > 50  # glibc's default keeps the freed 8 MB blocks
    assert kept["on"] < 10
