"""The maps' own base layer: the territory's commune boundaries and its outline.

Drawn under the raster tiles, it is what a person sees when no tile server
answers (offline, blocked, down). The GeoJSON comes from DATA_DIR
(`cantal_communes.geojson`, see data/SOURCES.md), filtered on TERRITOIRE; the
département outline is the set of commune edges that no other commune shares
(the file is a topological coverage: shared edges have identical vertices).
It is built and gzipped once per process and served from memory at a
versioned URL, so browsers keep it for a year instead of one copy per page.
"""

import gzip
import hashlib
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass

from flask import Response, abort, current_app, has_request_context, request, url_for

FILENAME = "cantal_communes.geojson"
ENDPOINT = "fond_de_carte"
YEAR, HOUR = 365 * 24 * 3600, 3600
_cache = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Basemap:
    data: bytes
    gz: bytes
    version: str


def _point(coordinate):
    return (round(float(coordinate[0]), 5), round(float(coordinate[1]), 5))


def _polygons(geometry):
    """The polygons (lists of rings) of a Polygon or MultiPolygon geometry."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def _edge(a, b):
    return (a, b) if a <= b else (b, a)


def outline(rings):
    """Lines along the edges used by one ring only: the outer boundary of a
    coverage whose shared edges repeat the same vertices.

    :param rings: closed rings, lists of (lon, lat) tuples.
    """
    uses = Counter()
    for ring in rings:
        for a, b in zip(ring, ring[1:], strict=False):
            uses[_edge(a, b)] += 1
    lines = []
    for ring in rings:
        runs, current = [], []
        for a, b in zip(ring, ring[1:], strict=False):
            if uses[_edge(a, b)] == 1:
                current = current or [a]
                current.append(b)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        # A run crossing the ring's start point is one line, not two.
        closed = ring[0] == ring[-1]
        if len(runs) > 1 and closed and runs[0][0] == runs[-1][-1]:
            runs[0] = runs.pop() + runs[0][1:]
        lines.extend(runs)
    return lines


def territory_layers(path, territory):
    """A GeoJSON FeatureCollection: one Polygon/MultiPolygon per commune of
    `territory` (properties nom, role "commune"), then one MultiLineString
    (role "contour") for the territory's outline. Coordinates have 5 decimals."""
    with open(path, encoding="utf-8") as f:
        source = json.load(f)
    features, rings = [], []
    for feature in source.get("features", []):
        properties = feature.get("properties") or {}
        if not str(properties.get("insee_code", "")).startswith(territory):
            continue
        polygons = [
            [[_point(c) for c in ring] for ring in polygon]
            for polygon in _polygons(feature.get("geometry") or {})
        ]
        if not polygons:
            continue
        for polygon in polygons:
            rings.extend(polygon)
        geometry = (
            {"type": "Polygon", "coordinates": polygons[0]}
            if len(polygons) == 1
            else {"type": "MultiPolygon", "coordinates": polygons}
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"nom": properties.get("name", ""), "role": "commune"},
                "geometry": geometry,
            }
        )
    if rings:
        features.append(
            {
                "type": "Feature",
                "properties": {"role": "contour"},
                "geometry": {"type": "MultiLineString", "coordinates": outline(rings)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def load(config):
    """The Basemap of this configuration, built once per file version; None
    when DATA_DIR has no boundary file."""
    path = os.path.join(config.get("DATA_DIR") or "", FILENAME)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    territory = str(config.get("TERRITOIRE") or "")
    key = (path, stat.st_mtime_ns, stat.st_size, territory)
    entry = _cache.get(key)
    if entry is None:
        layers = territory_layers(path, territory)
        data = json.dumps(layers, ensure_ascii=False, separators=(",", ":")).encode()
        entry = Basemap(
            data=data,
            gz=gzip.compress(data, compresslevel=9, mtime=0),
            version=hashlib.sha256(data).hexdigest()[:12],
        )
        with _lock:
            _cache[key] = entry
    return entry


def basemap_url(config):
    """The versioned URL of the base layer, or None (no file, no request)."""
    if not has_request_context() or ENDPOINT not in current_app.view_functions:
        return None
    entry = load(config)
    return url_for(ENDPOINT, v=entry.version) if entry else None


def send():
    """The base layer as GeoJSON, gzipped when the client accepts it."""
    entry = load(current_app.config)
    if entry is None:
        abort(404)
    zipped = request.accept_encodings["gzip"] > 0
    response = Response(
        entry.gz if zipped else entry.data, mimetype="application/geo+json"
    )
    response.vary.add("Accept-Encoding")
    if zipped:
        response.content_encoding = "gzip"
    response.set_etag(entry.version + ("-gz" if zipped else ""))
    response.cache_control.public = True
    versioned = request.args.get("v") == entry.version
    response.cache_control.max_age = YEAR if versioned else HOUR
    if versioned:
        response.cache_control.immutable = True
    return response.make_conditional(request)


def init_app(app):
    """Serve the base layer at /carte/fond.geojson."""
    app.add_url_rule("/carte/fond.geojson", ENDPOINT, send)
