"""The columns of the services for filters, sorting and distances, written
ONCE per index version beside the text index (folder `colonnes/`: one .npy
file per column, fixed-width, and `valeurs.json` for the texts behind the
small integer codes) and memory-mapped by every process: a worker opens them,
it never computes them.

One row per service that is not a duplicate (closed ones too: `active`), in
rowid order. They are written in one streamed pass over SQLite (the caller
may index the same rows as they go by), preallocated from a count and filled
by chunks; the two sort orders come from SQLite's `order by`. No Flask imports.
"""

import json

import numpy as np
from numpy.lib.format import open_memmap

from ..catalogue.services import MULTI
from ..catalogue.vocabulary import MODALITES, PUBLICS

FOLDER = "colonnes"
VALUES = "valeurs.json"
PUBLIC_BITS = {slug: 1 << i for i, slug in enumerate(PUBLICS.labels)}
MODALITE_BITS = {slug: 1 << i for i, slug in enumerate(MODALITES.labels)}
WHERE = "doublon_de is null"  # one service per duplicate cluster
# What a chunk row starts with (the caller may select more after these).
SELECT = (
    "rowid, statut is not 'ferme', latitude, longitude, besoins, publics, frais,"
    " modalites_acces, modes_accueil, zone_eligibilite, horaires"
)
WIDTH = 11  # columns of SELECT
DTYPES = {
    "rowid": np.int64,
    "active": np.bool_,
    "placed": np.bool_,
    "latitude": np.float64,
    "longitude": np.float64,
    "besoins": np.uint32,
    "publics": np.uint32,
    "modalites": np.uint8,
    "remote": np.bool_,
    "frais": np.int32,  # codes of `valeurs.json`["frais"]
    "zone": np.int32,  # codes of ["zone"]
    "hours": np.int32,  # codes of ["hours"]
    "by_nom": np.int64,  # positions in name order
    "by_date": np.int64,  # positions, most recent update first
    "nom_rank": np.int64,  # position -> its rank in name order
}
CODED = ("frais", "zone", "hours")
# Name order: Python's str.lower (SQLite's lower() folds ASCII only), then id;
# UTF-8 bytes sort as code points, as Python compares strings.
LOWER = "annuaire_lower"
BY_NOM = f"{LOWER}(coalesce(nom, '')), id"
BY_DATE = "coalesce(date_maj, '') desc, coalesce(nom, '') desc, rowid"
CHUNK = 5000


class _Codes(dict):
    """Value -> small integer code, in order of first appearance."""

    def __missing__(self, value):
        code = self[value] = len(self)
        return code


class _Bits(dict):
    """A multi-valued cell -> the bits of its slugs in `table`."""

    def __init__(self, table):
        super().__init__()
        self.table = table

    def __missing__(self, cell):
        bits = 0
        for item in (cell or "").split(MULTI):
            bits |= self.table.get(item, 0)
        self[cell] = bits
        return bits


class _Remote(dict):
    def __missing__(self, cell):
        remote = self[cell] = "a-distance" in (cell or "")
        return remote


def _lower(text):
    return text.lower() if isinstance(text, str) else text


def _array(path, name, count):
    if not count:  # an empty file cannot be memory-mapped
        return np.zeros(0, DTYPES[name])
    return open_memmap(path / f"{name}.npy", "w+", DTYPES[name], (count,))


class Writer:
    """Fills the column files of `count` rows at `path`, chunk by chunk."""

    def __init__(self, path, count, besoin_slugs):
        path.mkdir(parents=True)
        self.path, self.count, self.filled = path, count, 0
        self.slugs = list(besoin_slugs)
        self.arrays = {name: _array(path, name, count) for name in DTYPES}
        self.needs = _Bits({slug: 1 << i for i, slug in enumerate(self.slugs)})
        self.publics, self.modalites = _Bits(PUBLIC_BITS), _Bits(MODALITE_BITS)
        self.remote = _Remote()
        self.codes = {name: _Codes() for name in CODED}

    def add(self, rows):
        """Rows starting with the columns of SELECT, in rowid order."""
        if not rows:
            return
        cols = list(zip(*rows, strict=False))
        n, start = len(rows), self.filled
        end = start + n
        put = {name: array[start:end] for name, array in self.arrays.items()}
        put["rowid"][:] = cols[0]
        put["active"][:] = cols[1]
        latitude = np.array(cols[2], dtype=np.float64)  # None -> nan
        longitude = np.array(cols[3], dtype=np.float64)
        put["placed"][:] = ~np.isnan(latitude)
        put["latitude"][:] = np.nan_to_num(latitude, nan=0.0)
        put["longitude"][:] = np.nan_to_num(longitude, nan=0.0)
        for name, table, col in (
            ("besoins", self.needs, 4),
            ("publics", self.publics, 5),
            ("modalites", self.modalites, 7),
            ("remote", self.remote, 8),
        ):
            put[name][:] = np.fromiter(
                map(table.__getitem__, cols[col]), DTYPES[name], n
            )
        for name, col in (("frais", 6), ("zone", 9), ("hours", 10)):
            codes = self.codes[name]
            put[name][:] = np.fromiter(map(codes.__getitem__, cols[col]), np.int32, n)
        self.filled = end

    def finish(self, conn):
        """Sort orders (SQLite sorts, in the caller's read snapshot), values,
        and every file flushed."""
        if self.filled != self.count:
            raise ValueError(f"{self.filled} lignes lues, {self.count} attendues")
        rowid = self.arrays["rowid"]
        conn.create_function(LOWER, 1, _lower, deterministic=True)
        for name, order in (("by_nom", BY_NOM), ("by_date", BY_DATE)):
            target, filled = self.arrays[name], 0
            cursor = conn.execute(
                f"select rowid from services where {WHERE} order by {order}"
            )
            while chunk := cursor.fetchmany(CHUNK * 4):
                rowids = np.array(chunk, dtype=np.int64).reshape(-1)
                target[filled : filled + len(rowids)] = np.searchsorted(rowid, rowids)
                filled += len(rowids)
        self.arrays["nom_rank"][self.arrays["by_nom"]] = np.arange(self.count)
        values = {name: list(self.codes[name]) for name in CODED}
        values["besoin_slugs"] = self.slugs
        values["count"] = self.count
        for name, array in self.arrays.items():
            if self.count:
                array.flush()
            else:
                np.save(self.path / f"{name}.npy", array)
        self.arrays = {}
        (self.path / VALUES).write_text(json.dumps(values), encoding="utf-8")


def count(conn):
    return conn.execute(f"select count(*) from services where {WHERE}").fetchone()[0]


def write(conn, path, besoin_slugs, extra="", each=None):
    """Write the columns at `path` in one pass over the services; with
    `extra` columns selected after SELECT's, `each(rows)` gets every chunk
    (the caller indexes the same rows). Call inside one read transaction."""
    writer = Writer(path, count(conn), besoin_slugs)
    more = f", {extra}" if extra else ""
    cursor = conn.execute(
        f"select {SELECT}{more} from services where {WHERE} order by rowid"
    )
    while rows := cursor.fetchmany(CHUNK):
        writer.add(rows)
        if each is not None:
            each(rows)
    writer.finish(conn)


def load(path):
    """(arrays by name, memory-mapped read-only; values) of a folder written
    by `write`. FileNotFoundError when a file is missing."""
    values = json.loads((path / VALUES).read_text(encoding="utf-8"))
    arrays = {}
    for name, dtype in DTYPES.items():
        file = path / f"{name}.npy"
        if values["count"]:
            array = np.load(file, mmap_mode="r").view(np.ndarray)
        else:
            array = np.load(file)
        if array.dtype != dtype or len(array) != values["count"]:
            raise FileNotFoundError(f"{file} : colonne illisible")
        arrays[name] = array
    return arrays, values
