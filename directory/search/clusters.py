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


def _dominant(needs, present, key, size):
    """Per cell, the need bit most of its services carry (ties: the lowest
    bit), or -1 when none has a need."""
    best = np.full(size, -1, np.int64)
    best_count = np.zeros(size, np.int64)
    for bit in present:
        carried = (needs >> needs.dtype.type(bit)) & needs.dtype.type(1)
        counts = np.bincount(key, weights=carried, minlength=size)
        better = counts > best_count
        best[better], best_count[better] = bit, counts[better]
    return best


def _cells(x, y, zoom, cell_px):
    """Cell number of each point, relative to the cells of their extent, and
    how many cells that extent spans (a bounded number: see grid)."""
    cells_across = TILE_PX * 2.0**zoom / cell_px
    last = max(math.ceil(cells_across) - 1, 0)
    column = np.clip(np.floor(x * cells_across), 0, last).astype(np.int64)
    row = np.clip(np.floor(y * cells_across), 0, last).astype(np.int64)
    column -= column.min()
    row -= row.min()
    width = int(column.max()) + 1
    return row * width + column, width * (int(row.max()) + 1)


def grid(
    latitude,
    longitude,
    needs,
    *,
    zoom,
    cell_px=None,
    max_items=None,
    need_count=32,
):
    """Cluster these services (aligned arrays: latitudes, longitudes, need
    bitmasks) at `zoom` → Grid; the positions in `points` index these arrays.

    At MAX_ZOOM, when they fit, every service is a point (the map cannot zoom
    further to split a cell).
    """
    cell_px = CELL_PX if cell_px is None else cell_px
    max_items = MAX_ITEMS if max_items is None else max_items
    latitude = np.asarray(latitude, dtype=np.float64)
    longitude = np.asarray(longitude, dtype=np.float64)
    needs = np.asarray(needs)
    if needs.dtype.kind != "u":  # shifts and masks need unsigned integers
        needs = needs.astype(np.uint64)
    n = len(latitude)
    if n == 0 or (zoom >= MAX_ZOOM and n <= max_items):
        return Grid([], np.arange(n), cell_px)
    x, y = mercator(latitude, longitude)
    # Skip sizes that would surely give too many cells: a square extent of
    # `span` pixels holds (span / cell_px)² of them; a quarter of the guess
    # keeps detail where the services crowd in a few places. The extent then
    # spans at most about (4 √max_items)² cells: counted with bincount.
    span = max(np.ptp(x), np.ptp(y)) * TILE_PX * 2.0**zoom
    while cell_px < span / math.sqrt(max_items) / 4:
        cell_px *= 2
    while True:
        key, size = _cells(x, y, zoom, cell_px)
        counts = np.bincount(key, minlength=size)
        if np.count_nonzero(counts) <= max_items or size == 1:
            break
        cell_px *= 2
    points = np.flatnonzero(counts[key] == 1)
    group = np.flatnonzero(counts >= 2)
    if not len(group):
        return Grid([], points, cell_px)
    counts_g = counts[group]
    mean_lat = np.bincount(key, weights=latitude, minlength=size)[group] / counts_g
    mean_lon = np.bincount(key, weights=longitude, minlength=size)[group] / counts_g
    extent = []
    for values, reduce, start in (
        (latitude, np.minimum, np.inf),
        (longitude, np.minimum, np.inf),
        (latitude, np.maximum, -np.inf),
        (longitude, np.maximum, -np.inf),
    ):
        out = np.full(size, start)
        reduce.at(out, key, values)
        extent.append(np.round(out[group], 5).tolist())
    every = np.bitwise_or.reduce(needs) if n else 0
    present = [bit for bit in range(need_count) if int(every) >> bit & 1]
    need = _dominant(needs, present, key, size)[group]
    cells = [
        [round(a, 5), round(b, 5), c, d, s, w, no, e]
        for a, b, c, d, s, w, no, e in zip(
            mean_lat.tolist(),
            mean_lon.tolist(),
            counts_g.tolist(),
            need.tolist(),
            *extent,
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
