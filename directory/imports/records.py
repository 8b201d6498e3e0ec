"""Validated services as compact records, and helpers shared by the import
planner (`engine`) and the writer (`apply`). No Flask imports."""

from ..schema import PROVENANCE_COLUMNS, SERVICE_COLUMNS

# What a partner's CSV import compares; provenance is the sources' business.
COMPARED = [c for c in SERVICE_COLUMNS if c != "id"] + ["precision_geo"]
RECORD_COLUMNS = (
    *SERVICE_COLUMNS,
    "precision_geo",
    "besoins_libelles",
    *PROVENANCE_COLUMNS,
)
_POSITION = {name: i for i, name in enumerate(RECORD_COLUMNS)}


class Record(tuple):
    """A validated service, as compact as a tuple (a 100 000-row import holds
    them all), readable by column name like a dict."""

    __slots__ = ()

    @classmethod
    def of(cls, values):
        return cls(map(values.get, RECORD_COLUMNS))

    def __getitem__(self, key):
        if isinstance(key, str):
            key = _POSITION[key]
        return tuple.__getitem__(self, key)

    def get(self, key, default=None):
        return self[key] if key in _POSITION else default

    def as_dict(self):
        return dict(zip(RECORD_COLUMNS, self, strict=True))


# The log entry of a database restore (`flask restore`): it holds no change to
# replay, so it cannot be undone like an import.
RESTORE_PREFIX = "restauration de "

CHUNK = 500  # ids per IN (…) query, under SQLite's parameter limit


class ImportRefused(Exception):
    """An apply or undo that cannot be done; the message is French."""


def fetch_services(db, ids):
    """Existing service rows by id, fetched in chunks."""
    found = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"select * from services where id in ({marks})", chunk):
            found[row["id"]] = row
    return found
