"""Grid clustering of services for the map, by zoom level (pure numpy).

The world is cut into square cells of Web Mercator pixels at the map's zoom
(`CELL_PX` pixels, as Leaflet draws them); the services of one cell become one
item: its count, centroid, extent and most frequent need, or the service itself
when it is alone in its cell. A view never yields more than `max_items` items:
if it would, the cells double in size until it does not. No Flask imports.
"""

import math
from dataclasses import dataclass

import numpy as np

TILE_PX = 256  # Leaflet's tile size: the world is TILE_PX * 2**zoom pixels wide
CELL_PX = 64
MAX_ITEMS = 2_000
MIN_ZOOM, MAX_ZOOM = 0, 18
MAX_LATITUDE = 85.0511287798  # Web Mercator's limit


@dataclass(frozen=True)
class Grid:
    """What a view shows: `cells` holds one row per group of several services
    (lat, lon, count, need bit or -1, south, west, north, east); `points` the
    positions (in the index) of services shown alone."""

    cells: list
    points: np.ndarray
    cell_px: int

    @property
    def items(self):
        return len(self.cells) + len(self.points)


def mercator(latitude, longitude):
    """(x, y) in [0, 1] of Web Mercator, y growing southwards as on screen."""
    lat = np.radians(np.clip(latitude, -MAX_LATITUDE, MAX_LATITUDE))
    x = (np.asarray(longitude, dtype=np.float64) + 180.0) / 360.0
    y = 0.5 - np.log(np.tan(np.pi / 4 + lat / 2)) / (2 * np.pi)
    return x, y


def in_bbox(latitude, longitude, bbox):
    """Mask of the points inside bbox = (west, south, east, north)."""
    west, south, east, north = bbox
    return (
        (latitude >= south)
        & (latitude <= north)
        & (longitude >= west)
        & (longitude <= east)
    )


def _dominant(need_flags, order, starts):
    """Per cell, the need bit most services carry (ties: lowest bit), or -1."""
    best = np.full(len(starts), -1, np.int64)
    best_count = np.zeros(len(starts), np.int64)
    for bit, flags in enumerate(need_flags):
        counts = np.add.reduceat(flags[order].astype(np.int64), starts)
        better = counts > best_count
        best[better], best_count[better] = bit, counts[better]
    return best


def grid(
    latitude,
    longitude,
    needs,
    *,
    zoom,
    cell_px=CELL_PX,
    max_items=MAX_ITEMS,
    need_count=32,
):
    """Cluster these services (aligned arrays: latitudes, longitudes, need
    bitmasks) at `zoom` → Grid; the positions in `points` index these arrays.

    At MAX_ZOOM, when they fit, every service is a point (the map cannot zoom
    further to split a cell).
    """
    latitude = np.asarray(latitude, dtype=np.float64)
    longitude = np.asarray(longitude, dtype=np.float64)
    needs = np.asarray(needs, dtype=np.uint64)
    n = len(latitude)
    if n == 0 or (zoom >= MAX_ZOOM and n <= max_items):
        return Grid([], np.arange(n), cell_px)
    x, y = mercator(latitude, longitude)
    present = [bit for bit in range(need_count) if np.any(needs & np.uint64(1 << bit))]
    flags = [(needs & np.uint64(1 << bit)) != 0 for bit in present]
    while True:
        cells_across = TILE_PX * 2.0**zoom / cell_px
        side = math.ceil(cells_across) + 1
        column = np.minimum(np.floor(x * cells_across), side - 1).astype(np.int64)
        row = np.minimum(np.floor(y * cells_across), side - 1).astype(np.int64)
        key = row * side + column
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        if len(starts) <= max_items or side <= 2:
            break
        cell_px *= 2
    counts = np.diff(np.r_[starts, n])
    lone = counts == 1
    points = np.sort(order[starts[lone]])
    group = ~lone
    cells = []
    if group.any():
        starts_g, counts_g = starts[group], counts[group]
        lat_o, lon_o = latitude[order], longitude[order]
        mean_lat = np.add.reduceat(lat_o, starts)[group] / counts_g
        mean_lon = np.add.reduceat(lon_o, starts)[group] / counts_g
        south = np.minimum.reduceat(lat_o, starts)[group]
        north = np.maximum.reduceat(lat_o, starts)[group]
        west = np.minimum.reduceat(lon_o, starts)[group]
        east = np.maximum.reduceat(lon_o, starts)[group]
        best = _dominant(flags, order, starts_g)
        need = np.array([present[b] if b >= 0 else -1 for b in best.tolist()])
        cells = [
            [
                round(a, 5),
                round(b, 5),
                int(c),
                int(d),
                round(s, 5),
                round(w, 5),
                round(no, 5),
                round(e, 5),
            ]
            for a, b, c, d, s, w, no, e in zip(
                mean_lat.tolist(),
                mean_lon.tolist(),
                counts_g.tolist(),
                need.tolist(),
                south.tolist(),
                west.tolist(),
                north.tolist(),
                east.tolist(),
                strict=True,
            )
        ]
    return Grid(cells, points, cell_px)


def view_for(latitude, longitude, *, width_px, height_px, max_zoom):
    """(bbox, zoom) framing these points in a map of this size: the largest
    zoom (up to max_zoom) at which their extent fits, as Leaflet's fitBounds."""
    south, north = float(np.min(latitude)), float(np.max(latitude))
    west, east = float(np.min(longitude)), float(np.max(longitude))
    (x0, x1), (y1, y0) = mercator(np.array([south, north]), np.array([west, east]))
    zoom = max_zoom
    while zoom > MIN_ZOOM:
        scale = TILE_PX * 2.0**zoom
        if (x1 - x0) * scale <= width_px and (y1 - y0) * scale <= height_px:
            break
        zoom -= 1
    return (west, south, east, north), zoom
