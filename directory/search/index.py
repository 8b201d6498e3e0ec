"""In-memory columns of the services for fast filtering, sorting and distances.

Each process keeps one `SearchIndex` per database and data version (it is
rebuilt after an import): a few numpy arrays of about 25 bytes per service.
Filters are vectorised masks, distances one vectorised formula, and the page
is then read from SQLite by rowid. No Flask imports.
"""

import math
import os
import threading

import numpy as np

from ..catalogue.services import MULTI
from ..catalogue.vocabulary import MODALITES, PUBLICS
from . import hours

# WGS84 ellipsoid, for the local distance formula of `distances`.
A_KM, E2 = 6378.137, 0.00669437999014
PUBLIC_BITS = {slug: 1 << i for i, slug in enumerate(PUBLICS.labels)}
MODALITE_BITS = {slug: 1 << i for i, slug in enumerate(MODALITES.labels)}
COLUMNS = (
    "rowid, statut, latitude, longitude, besoins, publics, frais,"
    " modalites_acces, modes_accueil, zone_eligibilite, horaires, nom, id,"
    " date_maj"
)

_indexes = {}  # (database file, data version) -> SearchIndex
_lock = threading.Lock()


def _bits(value, table):
    bits = 0
    for item in (value or "").split(MULTI):
        bits |= table.get(item, 0)
    return bits


class SearchIndex:
    """Columns of every service, aligned by position (0 … n-1)."""

    def __init__(self, db, besoin_slugs):
        self.besoin_bits = {slug: 1 << i for i, slug in enumerate(besoin_slugs)}
        rows = db.conn.execute(
            # One service per duplicate cluster: the others are never found.
            f"select {COLUMNS} from services where doublon_de is null order by rowid"
        ).fetchall()
        n = len(rows)
        self.rowid = np.fromiter((r[0] for r in rows), np.int64, n)
        self.active = np.fromiter((r[1] != "ferme" for r in rows), bool, n)
        self.placed = np.fromiter((r[2] is not None for r in rows), bool, n)
        self.latitude = np.fromiter((r[2] or 0.0 for r in rows), np.float64, n)
        self.longitude = np.fromiter((r[3] or 0.0 for r in rows), np.float64, n)
        self.besoins = np.fromiter(
            (_bits(r[4], self.besoin_bits) for r in rows), np.uint32, n
        )
        self.publics = np.fromiter(
            (_bits(r[5], PUBLIC_BITS) for r in rows), np.uint32, n
        )
        self.frais = np.array([r[6] or "" for r in rows], dtype=object)
        self.modalites = np.fromiter(
            (_bits(r[7], MODALITE_BITS) for r in rows), np.uint8, n
        )
        self.remote = np.fromiter(("a-distance" in (r[8] or "") for r in rows), bool, n)
        self.zone_values, self.zone = self._codes(r[9] for r in rows)
        self.hours_values, self.hours = self._codes(r[10] for r in rows)
        # Sort orders are computed once: a page in name order is then a filter
        # of this permutation, with no sort at query time.
        self.by_nom = np.array(
            sorted(range(n), key=lambda i: ((rows[i][11] or "").lower(), rows[i][12])),
            dtype=np.int64,
        )
        self.by_date = np.array(
            sorted(
                range(n),
                key=lambda i: (rows[i][13] or "", rows[i][11] or ""),
                reverse=True,
            ),
            dtype=np.int64,
        )
        self.nom_rank = np.empty(n, np.int64)
        self.nom_rank[self.by_nom] = np.arange(n)

    @staticmethod
    def _codes(values):
        """Distinct values and, per service, the position of its value."""
        distinct, codes = {}, []
        for value in values:
            codes.append(distinct.setdefault(value, len(distinct)))
        return list(distinct), np.array(codes, dtype=np.int32)

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

    def open_mask(self, now):
        lookup = np.array(
            [bool(hours.is_open(v, now)) for v in self.hours_values], dtype=bool
        )
        return lookup[self.hours] if len(lookup) else np.zeros(0, bool)

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
    """The index of this database at its current data version (built on demand)."""
    path = db.conn.execute("pragma database_list").fetchone()[2]
    # The inode tells a database recreated at the same path from the old one.
    inode = os.stat(path).st_ino if path else 0
    key = (path, inode, hours.data_version(db), tuple(besoin_slugs))
    index = _indexes.get(key)
    if index is None:
        with _lock:
            index = _indexes.get(key)
            if index is None:
                for old in [k for k in _indexes if k[0] == path]:
                    del _indexes[old]
                index = _indexes[key] = SearchIndex(db, besoin_slugs)
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
