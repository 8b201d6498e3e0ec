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


def register(conn):
    """Make the name order's lower() known to a connection."""
    conn.create_function(LOWER, 1, _lower, deterministic=True)


def _array(path, name, count):
    if not count:  # an empty file cannot be memory-mapped
        return np.zeros(0, DTYPES[name])
    return open_memmap(path / f"{name}.npy", "w+", DTYPES[name], (count,))


class Encoder:
    """Rows starting with the columns of SELECT -> the fixed-width columns
    (their texts as codes, numbered in order of first appearance)."""

    def __init__(self, besoin_slugs, values=None):
        self.slugs = list(besoin_slugs)
        self.needs = _Bits({slug: 1 << i for i, slug in enumerate(self.slugs)})
        self.publics, self.modalites = _Bits(PUBLIC_BITS), _Bits(MODALITE_BITS)
        self.remote = _Remote()
        self.codes = {name: _Codes() for name in CODED}
        for name in CODED if values else ():
            self.codes[name].update((v, i) for i, v in enumerate(values[name]))

    def encode(self, rows):
        cols, n, out = list(zip(*rows, strict=False))[:WIDTH], len(rows), {}
        out["rowid"] = np.array(cols[0], dtype=np.int64)
        out["active"] = np.array(cols[1], dtype=np.bool_)
        latitude = np.array(cols[2], dtype=np.float64)  # None -> nan
        longitude = np.array(cols[3], dtype=np.float64)
        out["placed"] = ~np.isnan(latitude)
        out["latitude"] = np.nan_to_num(latitude, nan=0.0)
        out["longitude"] = np.nan_to_num(longitude, nan=0.0)
        for name, table, col in (
            ("besoins", self.needs, 4),
            ("publics", self.publics, 5),
            ("modalites", self.modalites, 7),
            ("remote", self.remote, 8),
        ):
            out[name] = np.fromiter(map(table.__getitem__, cols[col]), DTYPES[name], n)
        for name, col in (("frais", 6), ("zone", 9), ("hours", 10)):
            codes = self.codes[name]
            out[name] = np.fromiter(map(codes.__getitem__, cols[col]), np.int32, n)
        return out

    def values(self, count):
        values = {name: list(self.codes[name]) for name in CODED}
        return {**values, "besoin_slugs": self.slugs, "count": count}


class Writer:
    """Fills the column files of `count` rows at `path`, chunk by chunk."""

    def __init__(self, path, count, besoin_slugs):
        path.mkdir(parents=True)
        self.path, self.count, self.filled = path, count, 0
        self.arrays = {name: _array(path, name, count) for name in DTYPES}
        self.encoder = Encoder(besoin_slugs)

    def add(self, rows):
        """Rows starting with the columns of SELECT, in rowid order."""
        if not rows:
            return
        start = self.filled
        self.filled += len(rows)
        for name, array in self.encoder.encode(rows).items():
            self.arrays[name][start : self.filled] = array

    def finish(self, conn):
        """Sort orders (SQLite sorts, in the caller's read snapshot), values,
        and every file flushed."""
        if self.filled != self.count:
            raise ValueError(f"{self.filled} lignes lues, {self.count} attendues")
        rowid = self.arrays["rowid"]
        register(conn)
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
        values = self.encoder.values(self.count)
        for name, array in self.arrays.items():
            if self.count:
                array.flush()
            else:
                np.save(self.path / f"{name}.npy", array)
        self.arrays = {}
        (self.path / VALUES).write_text(json.dumps(values), encoding="utf-8")


def count(conn):
    return conn.execute(f"select count(*) from services where {WHERE}").fetchone()[0]


def write(conn, path, besoin_slugs, select=SELECT, each=None):
    """Write the columns at `path` in one pass over the services, selected as
    `select` (SELECT, maybe with more columns after it); `each(rows)` gets
    every chunk (the caller indexes or checks the same rows). Call inside one
    read transaction."""
    writer = Writer(path, count(conn), besoin_slugs)
    cursor = conn.execute(f"select {select} from services where {WHERE} order by rowid")
    while rows := cursor.fetchmany(CHUNK):
        writer.add(rows)
        if each is not None:
            each(rows)
    writer.finish(conn)


def load(path):
    """(arrays by name, memory-mapped read-only; values) of a folder written
    by `write`. FileNotFoundError when a file is missing or unreadable."""
    try:
        values = json.loads((path / VALUES).read_text(encoding="utf-8"))
        arrays = {}
        for name, dtype in DTYPES.items():
            file = path / f"{name}.npy"
            if values["count"]:
                array = np.load(file, mmap_mode="r").view(np.ndarray)
            else:
                array = np.load(file)
            if array.dtype != dtype or len(array) != values["count"]:
                raise ValueError(f"{file} : colonne illisible")
            arrays[name] = array
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise FileNotFoundError(f"{path} : {exc}") from exc
    return arrays, values
