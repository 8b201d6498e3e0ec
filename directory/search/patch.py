"""An index version's columns made from the previous version's when only a
few services changed (a fiche edit): their values written at their positions
and the two sort orders mended by binary search, the keys read from SQLite by
rowid — no pass over every service. Only when the set of rows is the same
(no service added or removed, none entering or leaving a duplicate cluster);
otherwise `patch` returns False and the caller writes the columns whole.
No Flask imports."""

import functools
import json
import shutil

import numpy as np

from .columns import DTYPES, LOWER, SELECT, VALUES, WHERE, WIDTH, Encoder, load
from .columns import register as register_lower

CHUNK = 500
# The sort keys of one row, compared as SQLite's `order by` of module columns
# does (BY_NOM ascending; BY_DATE descending, then rowid ascending).
NOM_KEY = f"select {LOWER}(coalesce(nom, '')), id from services where rowid = ?"
DATE_KEY = (
    "select coalesce(date_maj, ''), coalesce(nom, ''), -rowid"
    " from services where rowid = ?"
)


def _rows(conn, ids):
    found = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        found += conn.execute(
            f"select {SELECT}, {WHERE} from services where id in ({marks})", chunk
        ).fetchall()
    return found


def _mend(conn, order, rowid, changed, sql, descending):
    """`order` (positions) with the `changed` positions moved to their place."""

    def key(position):
        return conn.execute(sql, [int(rowid[position])]).fetchone()

    def before(a, b):
        return a > b if descending else a < b

    keep = order[~np.isin(order, changed)]
    places = []
    for position in changed.tolist():
        wanted, low, high = key(position), 0, len(keep)
        while low < high:
            middle = (low + high) // 2
            if before(key(keep[middle]), wanted):
                low = middle + 1
            else:
                high = middle
        places.append((low, wanted, position))

    def compare(a, b):
        if a[0] != b[0]:
            return a[0] - b[0]
        return -1 if before(a[1], b[1]) else 1

    places.sort(key=functools.cmp_to_key(compare))
    return np.insert(keep, [p[0] for p in places], [p[2] for p in places])


def patch(conn, previous, path, besoin_slugs, ids):
    """Write at `path` the columns of `previous` with the services `ids`
    read again (inside the caller's read snapshot); False when a patch cannot
    do it (nothing written then)."""
    try:
        arrays, values = load(previous)
    except FileNotFoundError:
        return False
    if values["besoin_slugs"] != list(besoin_slugs):
        return False
    rows = _rows(conn, ids)
    if len(rows) != len(set(ids)):
        return False  # a service removed (the undo of its import)
    rowid = arrays["rowid"]
    wanted = np.array([row[0] for row in rows], dtype=np.int64)
    positions = np.searchsorted(rowid, wanted)
    inside = positions < len(rowid)
    inside[inside] = rowid[positions[inside]] == wanted[inside]
    shown = np.array([bool(row[WIDTH]) for row in rows], dtype=bool)
    if (inside != shown).any():
        return False  # a service added, or entering or leaving a cluster
    rows = [row for row, kept in zip(rows, inside.tolist(), strict=True) if kept]
    positions = positions[inside]
    shutil.copytree(previous, path)
    if not rows:
        return True
    encoder = Encoder(besoin_slugs, values)
    files = {name: np.load(path / f"{name}.npy", mmap_mode="r+") for name in DTYPES}
    for name, array in encoder.encode(rows).items():
        files[name][positions] = array
    register_lower(conn)
    by_nom = _mend(conn, arrays["by_nom"], rowid, positions, NOM_KEY, False)
    by_date = _mend(conn, arrays["by_date"], rowid, positions, DATE_KEY, True)
    files["by_nom"][:] = by_nom
    files["by_date"][:] = by_date
    files["nom_rank"][by_nom] = np.arange(len(by_nom))
    for array in files.values():
        array.flush()
    values = encoder.values(values["count"])
    (path / VALUES).write_text(json.dumps(values), encoding="utf-8")
    return True
