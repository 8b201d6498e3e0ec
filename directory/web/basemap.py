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

from flask import abort, current_app, has_request_context, url_for

from .static_files import answer

FILENAME = "cantal_communes.geojson"
ENDPOINT = "fond_de_carte"
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


def boundaries(rings):
    """(inner, outer): lines along the edges two rings share (limits between
    communes) and along those only one ring uses (the territory's outline),
    each edge once, for a coverage whose shared edges repeat the same vertices.

    :param rings: closed rings, lists of (lon, lat) tuples.
    """
    uses = Counter()
    for ring in rings:
        for a, b in zip(ring, ring[1:], strict=False):
            uses[_edge(a, b)] += 1
    drawn = set()
    lines = {True: [], False: []}  # outer? → lines
    for ring in rings:
        runs, current, kind = [], [], None
        for a, b in zip(ring, ring[1:], strict=False):
            edge = _edge(a, b)
            outer = uses[edge] == 1
            if edge in drawn or outer != kind:
                if current:
                    runs.append((kind, current))
                current, kind = [], None
            if edge in drawn:
                continue
            drawn.add(edge)
            current, kind = current or [a], outer
            current.append(b)
        if current:
            runs.append((kind, current))
        # A run crossing the ring's start point is one line, not two.
        if (
            len(runs) > 1
            and runs[0][0] == runs[-1][0]
            and runs[0][1][0] == runs[-1][1][-1]
        ):
            last = runs.pop()
            runs[0] = (last[0], last[1] + runs[0][1][1:])
        for outer, points in runs:
            lines[outer].append(points)
    return lines[False], lines[True]


def territory_layers(path, territory):
    """A GeoJSON FeatureCollection of two MultiLineStrings: the limits between
    the communes of `territory` (role "communes") and its outline (role
    "contour"); each edge drawn once, coordinates with 5 decimals."""
    with open(path, encoding="utf-8") as f:
        source = json.load(f)
    rings = []
    for feature in source.get("features", []):
        properties = feature.get("properties") or {}
        if not str(properties.get("insee_code", "")).startswith(territory):
            continue
        for polygon in _polygons(feature.get("geometry") or {}):
            rings.extend([_point(c) for c in ring] for ring in polygon)
    if not rings:
        return {"type": "FeatureCollection", "features": []}
    inner, outer = boundaries(rings)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"role": role},
                "geometry": {"type": "MultiLineString", "coordinates": lines},
            }
            for role, lines in (("communes", inner), ("contour", outer))
        ],
    }


def file_key(config):
    """(path, cache key) of the commune boundaries for this configuration (the
    key changes with the file and the territory); None without the file."""
    path = os.path.join(config.get("DATA_DIR") or "", FILENAME)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    territory = str(config.get("TERRITOIRE") or "")
    return path, (path, stat.st_mtime_ns, stat.st_size, territory)


def geojson(value):
    """A Basemap of a GeoJSON value: compact UTF-8, gzipped, hashed."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return Basemap(
        data=data,
        gz=gzip.compress(data, compresslevel=9, mtime=0),
        version=hashlib.sha256(data).hexdigest()[:12],
    )


def once_per_file(config, cache, build):
    """`build(path, territory)` of this configuration's commune file, kept in
    `cache` per file version and territory; None without the file."""
    found = file_key(config)
    if found is None:
        return None
    path, key = found
    entry = cache.get(key)
    if entry is None:
        entry = build(path, key[3])
        with _lock:
            cache[key] = entry
    return entry


def load(config):
    """The Basemap of this configuration, built once per file version; None
    when DATA_DIR has no boundary file."""
    return once_per_file(
        config,
        _cache,
        lambda path, territory: geojson(territory_layers(path, territory)),
    )


def serve(entry):
    """A Basemap as GeoJSON, gzipped when the client accepts it; 404 for None."""
    if entry is None:
        abort(404)
    return answer(entry.data, entry.gz, "application/geo+json", entry.version)


def basemap_url(config):
    """The versioned URL of the base layer, or None (no file, no request)."""
    if not has_request_context() or ENDPOINT not in current_app.view_functions:
        return None
    entry = load(config)
    return url_for(ENDPOINT, v=entry.version) if entry else None


def send():
    """The base layer as GeoJSON, gzipped when the client accepts it."""
    return serve(load(current_app.config))


def init_app(app):
    """Serve the base layer at /carte/fond.geojson."""
    app.add_url_rule("/carte/fond.geojson", ENDPOINT, send)
