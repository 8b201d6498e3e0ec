"""A local data·inclusion API for tests: a real HTTP server in a thread replaying
recorded pages (tests/data/datainclusion/api/<kind>-<page>.json), with scripted
failures (status codes, invalid JSON, a hanging answer, an oversized page)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

RECORDED = Path(__file__).resolve().parents[1] / "data" / "datainclusion" / "api"
TOKEN = "jeton-de-test"


class FakeAPI:
    """Serves GET /api/v1/<kind>?page=N from recorded files; `script` holds
    answers to give first: (kind, status, body bytes or None, options)."""

    def __init__(self, recorded=RECORDED):
        self.recorded = Path(recorded)
        self.requests = []  # (path, query dict, Authorization header)
        self.script = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                api.handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def pages(self, kind):
        """Page numbers of the requests made for `kind`, in order."""
        return [
            int(q.get("page", ["1"])[0])
            for path, q, _ in self.requests
            if path == f"/api/v1/{kind}"
        ]

    def handle(self, request):
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        auth = request.headers.get("Authorization")
        with self.lock:
            self.requests.append((parts.path, query, auth))
            kind = parts.path.rsplit("/", 1)[-1]
            scripted = next((s for s in self.script if s[0] in (kind, "*")), None)
            if scripted:
                self.script.remove(scripted)
        if auth != f"Bearer {TOKEN}":
            return self.send(request, 401, b'{"detail": "Not authenticated"}')
        if scripted:
            _, status, body, options = scripted
            if options.get("hang"):
                self.release.wait(10)
                return None
            return self.send(
                request, status, body or b"{}", length=options.get("length", True)
            )
        by_id = parts.path.split("/api/v1/structures/", 1)
        if len(by_id) == 2:  # one structure by its id
            known = self.recorded / "structures-by-id.json"
            records = json.loads(known.read_text("utf-8")) if known.exists() else {}
            record = records.get(unquote(by_id[1]))
            if record is None:
                return self.send(request, 404, b'{"detail": "Not Found"}')
            return self.send(request, 200, json.dumps(record).encode())
        page = int(query.get("page", ["1"])[0])
        path = self.recorded / f"{kind}-{page}.json"
        if not parts.path.startswith("/api/v1/") or not path.exists():
            if kind in ("structures", "services"):  # past the last page
                empty = {"items": [], "total": 0, "page": page, "size": 0, "pages": 0}
                return self.send(request, 200, json.dumps(empty).encode())
            return self.send(request, 404, b'{"detail": "Not Found"}')
        return self.send(request, 200, path.read_bytes())

    def send(self, request, status, body, length=True):
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            if length:
                request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
