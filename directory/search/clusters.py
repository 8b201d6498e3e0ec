"""Grid clustering of services for the map, by zoom level (pure numpy).

The world is cut into square cells of Web Mercator pixels at the map's zoom
(`CELL_PX` pixels, as Leaflet draws them); the services of one cell become one
item: its count, centroid, extent and most frequent need, or the service itself
when it is alone in its cell. A view never yields more than `max_items` items:
if it would, the cells double in size until it does not. Points sorted by
their Morton code (Z-order) make every cell a run of consecutive points, so a
view costs a few linear passes, no sort, when the order is known (Layout,
kept per version of the search index). No Flask imports.
"""

import math
from dataclasses import dataclass

import numpy as np

TILE_PX = 256  # Leaflet's tile size: the world is TILE_PX * 2**zoom pixels wide
CELL_PX = 64
MAX_ITEMS = 2_000
MIN_ZOOM, MAX_ZOOM = 0, 18
MAX_LATITUDE = 85.0511287798  # Web Mercator's limit
FINE = 26  # bits of the integer coordinates: zoom 18's pixels (2**(8 + 18))


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


def project(latitude, longitude):
    """Integer Web Mercator coordinates (X, Y) in [0, 2**FINE): the pixel of
    each point at zoom FINE - 8, so that the cell of a point at any zoom and
    power-of-two cell size is its coordinates shifted right."""
    x, y = mercator(latitude, longitude)
    top = float(2**FINE - 1)
    # x * 2**FINE is exact (a power of two): floor() then shifting gives
    # floor(x * cells across), the column Leaflet's pixels fall in.
    X = np.clip(np.floor(x * 2.0**FINE), 0, top).astype(np.uint64)
    Y = np.clip(np.floor(y * 2.0**FINE), 0, top).astype(np.uint64)
    return X, Y


def _spread(v):
    """The bits of v (< 2**32) moved to the even positions of a uint64."""
    for shift, mask in (
        (16, 0x0000FFFF0000FFFF),
        (8, 0x00FF00FF00FF00FF),
        (4, 0x0F0F0F0F0F0F0F0F),
        (2, 0x3333333333333333),
        (1, 0x5555555555555555),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def codes(latitude, longitude):
    """Z-order (Morton) code of each point: its X and Y bits interleaved. In
    the order of these codes every cell of the grid, at every zoom, is one
    run of consecutive points: the code shifted right by twice the cell's
    bits is the cell."""
    X, Y = project(latitude, longitude)
    return _spread(X) | (_spread(Y) << np.uint64(1))


@dataclass(frozen=True)
class Layout:
    """The points of some columns in Z-order: `order` their positions sorted
    by `code` (the Morton code of each position). Built once per version of
    the columns (layout_of), it spares every view a projection and a sort."""

    order: np.ndarray
    code: np.ndarray


_layouts = {}  # id(columns) -> (columns, Layout): the last few, kept alive
LAYOUTS_KEPT = 2


def layout_of(columns):
    """The Layout of columns with `latitude` and `longitude` arrays (the
    search index), computed once per columns object and kept for the last
    LAYOUTS_KEPT of them (a new data version gets a new columns object)."""
    kept = _layouts.get(id(columns))
    if kept is not None and kept[0] is columns:
        return kept[1]
    code = codes(columns.latitude, columns.longitude)
    order = np.argsort(code, kind="stable")
    if len(order) < 2**31:  # half the memory: 4 bytes a service
        order = order.astype(np.int32)
    found = Layout(order, code)
    while len(_layouts) >= LAYOUTS_KEPT:
        _layouts.pop(next(iter(_layouts)))
    _layouts[id(columns)] = (columns, found)
    return found


def _cell_shift(zoom, cell_px):
    """How far to shift a Morton code right to get its cell at this zoom:
    the cells across the world are 2**(8 + zoom) / cell_px, a power of two."""
    across = TILE_PX.bit_length() - 1 + zoom - (cell_px.bit_length() - 1)
    return 2 * min(max(FINE - across, 0), FINE)


def _runs(cell):
    """Start of each run of equal values in the sorted array `cell`."""
    return np.flatnonzero(np.concatenate(([True], cell[1:] != cell[:-1])))


def _dominant(needs, starts, present):
    """Per run, the need bit most of its services carry (ties: the lowest
    bit), or -1 when none has a need."""
    best = np.full(len(starts), -1, np.int64)
    best_count = np.zeros(len(starts), np.int64)
    for bit in present:
        carried = (needs & needs.dtype.type(1 << bit)) != 0
        counts = np.add.reduceat(carried, starts, dtype=np.int64)
        better = counts > best_count
        best[better], best_count[better] = bit, counts[better]
    return best


def grid(
    latitude,
    longitude,
    needs,
    *,
    zoom,
    cell_px=None,
    max_items=None,
    need_count=32,
    code=None,
):
    """Cluster these services (aligned arrays: latitudes, longitudes, need
    bitmasks) at `zoom` → Grid; the positions in `points` index these arrays.

    :param cell_px: the cells' side in pixels, a power of two (CELL_PX).
    :param code: their Morton codes (`codes`), when known; the work is then
        linear if the points come in the order of their codes (Layout).

    At MAX_ZOOM, when they fit, every service is a point (the map cannot zoom
    further to split a cell).
    """
    cell_px = CELL_PX if cell_px is None else cell_px
    if cell_px < 1 or cell_px & (cell_px - 1):
        raise ValueError("cell_px: a power of two")
    max_items = MAX_ITEMS if max_items is None else max_items
    latitude = np.asarray(latitude, dtype=np.float64)
    longitude = np.asarray(longitude, dtype=np.float64)
    needs = np.asarray(needs)
    if needs.dtype.kind != "u":  # shifts and masks need unsigned integers
        needs = needs.astype(np.uint64)
    n = len(latitude)
    if n == 0 or (zoom >= MAX_ZOOM and n <= max_items):
        return Grid([], np.arange(n), cell_px)
    code = codes(latitude, longitude) if code is None else np.asarray(code)
    order = None
    if np.any(code[1:] < code[:-1]):
        order = np.argsort(code, kind="stable")
        code, latitude = code[order], latitude[order]
        longitude, needs = longitude[order], needs[order]
    # Skip sizes that would surely give too many cells: a square extent of
    # `span` pixels holds (span / cell_px)² of them; a quarter of the guess
    # keeps detail where the services crowd in a few places.
    (x0, x1), (y1, y0) = mercator(
        np.array([latitude.min(), latitude.max()]),
        np.array([longitude.min(), longitude.max()]),
    )
    span = max(x1 - x0, y1 - y0) * TILE_PX * 2.0**zoom
    while cell_px < span / math.sqrt(max_items) / 4:
        cell_px *= 2
    while True:
        starts = _runs(code >> np.uint64(_cell_shift(zoom, cell_px)))
        if len(starts) <= max_items or len(starts) == 1:
            break
        cell_px *= 2
    counts = np.diff(np.append(starts, n))
    points = starts[counts == 1]
    if order is not None:
        points = np.sort(order[points])
    group = np.flatnonzero(counts >= 2)
    if not len(group):
        return Grid([], points, cell_px)
    counts_g = counts[group]
    mean_lat = np.add.reduceat(latitude, starts)[group] / counts_g
    mean_lon = np.add.reduceat(longitude, starts)[group] / counts_g
    extent = [
        np.round(reduce.reduceat(values, starts)[group], 5).tolist()
        for values, reduce in (
            (latitude, np.minimum),
            (longitude, np.minimum),
            (latitude, np.maximum),
            (longitude, np.maximum),
        )
    ]
    every = int(np.bitwise_or.reduce(needs))
    present = [bit for bit in range(need_count) if every >> bit & 1]
    need = _dominant(needs, starts, present)[group]
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
