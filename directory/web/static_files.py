"""Static files: compressed once, served from memory, cached by versioned URLs.

`url_for('static', filename=…)` gets `?v=<content hash>`: a request carrying the
current hash is answered `Cache-Control: public, max-age=31536000, immutable`;
others (images named in Leaflet's CSS, an old hash) are cached for an hour.
Text files (JS, CSS, SVG…) are gzipped once per process and every file is served
from bytes in memory, so no file handle stays open: compressing the streamed
file instead is what COMPRESS_STREAMS=False avoids (Flask-Compress leaks it).
"""

import datetime
import gzip
import hashlib
import mimetypes
import os
import threading
from dataclasses import dataclass

from flask import Response, abort, current_app, request
from werkzeug.security import safe_join

YEAR, HOUR = 365 * 24 * 3600, 3600
COMPRESSIBLE = {
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "image/vnd.microsoft.icon",
    "image/x-icon",
    "text/javascript",
}
_cache = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class StaticFile:
    key: tuple
    data: bytes
    gz: bytes | None
    mimetype: str
    version: str
    modified: datetime.datetime


def _mimetype(path):
    kind = mimetypes.guess_type(path)[0]
    return kind or (
        "text/plain" if os.path.basename(path).isupper() else "application/octet-stream"
    )


def load(path):
    """The file at `path`, read (and gzipped if worth it) once per version."""
    stat = os.stat(path)
    key = (stat.st_mtime_ns, stat.st_size)
    entry = _cache.get(path)
    if entry is not None and entry.key == key:
        return entry
    with open(path, "rb") as f:
        data = f.read()
    mimetype = _mimetype(path)
    gz = None
    if mimetype.startswith("text/") or mimetype in COMPRESSIBLE:
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        gz = packed if len(packed) < 0.9 * len(data) else None
    entry = StaticFile(
        key=key,
        data=data,
        gz=gz,
        mimetype=mimetype,
        version=hashlib.sha256(data).hexdigest()[:12],
        modified=datetime.datetime.fromtimestamp(stat.st_mtime, datetime.UTC),
    )
    with _lock:
        _cache[path] = entry
    return entry


def _path(filename):
    path = safe_join(current_app.static_folder, filename)
    if path is None or not os.path.isfile(path):
        abort(404)
    return path


def answer(data, gz, mimetype, version, modified=None):
    """A cacheable answer: gzip when offered and accepted, ETag, a year of cache
    for the versioned URL (`?v=<version>`), an hour otherwise."""
    zipped = gz is not None and request.accept_encodings["gzip"] > 0
    response = Response(gz if zipped else data, mimetype=mimetype)
    if gz is not None:
        response.vary.add("Accept-Encoding")
    if zipped:
        response.content_encoding = "gzip"
    response.set_etag(version + ("-gz" if zipped else ""))
    if modified is not None:
        response.last_modified = modified
    response.cache_control.public = True
    if request.args.get("v") == version:
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = HOUR
    return response.make_conditional(request)


def send(filename):
    """Answer a static file."""
    entry = load(_path(filename))
    return answer(entry.data, entry.gz, entry.mimetype, entry.version, entry.modified)


def favicon():
    """/favicon.ico, which browsers ask for on every site."""
    return send("favicon.ico")


def init_app(app):
    """Serve /static/ from here, version its URLs, and answer /favicon.ico."""
    app.view_functions["static"] = send
    app.add_url_rule("/favicon.ico", "favicon", favicon)

    @app.url_defaults
    def version_static(endpoint, values):
        if endpoint == "static" and "v" not in values:
            path = safe_join(app.static_folder, values.get("filename", ""))
            if path is not None and os.path.isfile(path):
                values["v"] = load(path).version
