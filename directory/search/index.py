"""The columns of the services for fast filtering, sorting and distances.

They are written once per index version by `search.engine` (module
`columns`) and memory-mapped here: a process opens them (no row read, no
Python object per service) and keeps one `SearchIndex` per index version.
Filters are vectorised masks, distances one vectorised formula, and the page
is then read from SQLite by rowid. No Flask imports.
"""

import math
import threading

import numpy as np

from ..catalogue.services import MULTI
from . import columns, engine, hours
from .columns import MODALITE_BITS, PUBLIC_BITS

__all__ = ["MODALITE_BITS", "PUBLIC_BITS", "SearchIndex", "fetch_rows", "get_index"]

# WGS84 ellipsoid, for the local distance formula of `distances`.
A_KM, E2 = 6378.137, 0.00669437999014
_lock = threading.Lock()


class Coded:
    """A text column as small integer codes: `column == value` is a mask and
    `column[mask]` a Coded again, as with an array of strings."""

    __hash__ = None

    def __init__(self, codes, values):
        self.codes, self.values = codes, values

    def __len__(self):
        return len(self.codes)

    def __getitem__(self, key):
        return Coded(self.codes[key], self.values)

    def __eq__(self, value):
        wanted = [code for code, v in enumerate(self.values) if v == value]
        return np.isin(self.codes, wanted)

    def __ne__(self, value):
        return ~(self == value)


def _remap(bits, stored, slugs):
    """Need bits numbered by `stored` slugs renumbered by `slugs`."""
    out = np.zeros(len(bits), np.uint32)
    where = {slug: i for i, slug in enumerate(slugs)}
    for i, slug in enumerate(stored):
        if slug in where:
            out |= ((bits >> np.uint32(i)) & np.uint32(1)) << np.uint32(where[slug])
    return out


class SearchIndex:
    """Columns of every service, aligned by position (0 … n-1), opened from
    an index version's `colonnes/` folder (memory-mapped, read-only)."""

    def __init__(self, path, besoin_slugs):
        arrays, values = columns.load(path)
        self.besoin_bits = {slug: 1 << i for i, slug in enumerate(besoin_slugs)}
        for name in columns.DTYPES.keys() - {"frais"}:
            setattr(self, name, arrays[name])
        if list(besoin_slugs) != values["besoin_slugs"]:
            self.besoins = _remap(self.besoins, values["besoin_slugs"], besoin_slugs)
        self.frais = Coded(arrays["frais"], [v or "" for v in values["frais"]])
        self.zone_values, self.hours_values = values["zone"], values["hours"]
        self._need_counts = None

    def need_counts(self):
        """{need slug: number of open services with it} (what
        the needs page counted with SQL, without a pass over
        SQLite), computed once per index version."""
        if self._need_counts is None:
            needs = self.besoins[self.active]
            self._need_counts = {
                slug: int(np.count_nonzero(needs & np.uint32(bit)))
                for slug, bit in self.besoin_bits.items()
            }
        return self._need_counts

    # -- filters ---------------------------------------------------------------

    def needs_mask(self, slugs):
        bits = 0
        for slug in slugs:
            bits |= self.besoin_bits.get(slug, 0)
        return (self.besoins & bits) != 0

    def publics_mask(self, slugs):
        bits = PUBLIC_BITS["tous-publics"]
        for slug in slugs:
            bits |= PUBLIC_BITS[slug]
        return (self.publics & bits) != 0

    def modalites_mask(self, slugs):
        bits = 0
        for slug in slugs:
            bits |= MODALITE_BITS[slug]
        return (self.modalites & bits) != 0

    def open_mask(self, now, overrides=None):
        """Open at `now` by their hours; `overrides` {rowid: open?} wins (the
        services a closure or exceptional hours govern today)."""
        lookup = np.array(
            [bool(hours.is_open(v, now)) for v in self.hours_values], dtype=bool
        )
        mask = lookup[self.hours] if len(lookup) else np.zeros(0, bool)
        if overrides:
            rowids = np.fromiter(overrides, dtype=np.int64, count=len(overrides))
            states = np.fromiter(overrides.values(), dtype=bool, count=len(overrides))
            positions, states = self.positions(rowids, states)
            mask[positions] = states
        return mask

    def zone_mask(self, accepted):
        """Services whose eligibility zone is empty or names one of `accepted`."""
        lookup = np.array(
            [not v or bool(accepted & set(v.split(MULTI))) for v in self.zone_values],
            dtype=bool,
        )
        return lookup[self.zone] if len(lookup) else np.zeros(0, bool)

    def distances(self, latitude, longitude):
        """km from a point to every service: a local ellipsoidal plane at the
        mid-latitude, within 0.1 % of the geodesic below 200 km (tests check)."""
        phi = math.radians(latitude)
        w = 1 - E2 * math.sin(phi) ** 2
        meridian = A_KM * (1 - E2) / w**1.5  # radius of curvature north-south
        normal = A_KM / math.sqrt(w)  # radius of curvature east-west
        dy = np.radians(self.latitude - latitude) * meridian
        dx = (
            np.radians(self.longitude - longitude)
            * normal
            * np.cos(np.radians((self.latitude + latitude) / 2))
        )
        return np.sqrt(dx * dx + dy * dy)

    def positions(self, rowids, values):
        """(positions, values) of these rowids among the columns; a rowid not
        in the columns (the text index read while being rebuilt) is dropped."""
        # self.rowid is sorted (read in rowid order): positions by binary search.
        positions = np.searchsorted(self.rowid, rowids)
        known = positions < len(self.rowid)
        known[known] = self.rowid[positions[known]] == rowids[known]
        return positions[known], values[known]


def get_index(db, besoin_slugs):
    """The columns of the index version matching the database (opened once
    per process and version; written by the index build, never here: files
    missing make the version be built again)."""
    key = tuple(besoin_slugs)
    opened = engine.current(db)
    index = opened.columns.get(key)
    if index is None:
        with _lock:
            index = opened.columns.get(key)
            if index is None:
                try:
                    index = SearchIndex(opened.path / columns.FOLDER, key)
                except FileNotFoundError:
                    opened = engine.rebuild(db)
                    index = SearchIndex(opened.path / columns.FOLDER, key)
                opened.columns[key] = index
    return index


def fetch_rows(db, rowids, columns="*"):
    """Service rows (these columns) for these rowids, in the same order."""
    found = {}
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        cursor = db.conn.execute(
            f"select rowid as _rowid, {columns} from services where rowid in ({marks})",
            chunk,
        )
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            found[row.pop("_rowid")] = row
    # A row deleted since the index was built (read while another process
    # rebuilds it) is left out.
    return [found[r] for r in rowids if r in found]
