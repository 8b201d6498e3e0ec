"""Validated services as compact records, and helpers shared by the import
planner (`engine`) and the writer (`apply`). No Flask imports."""

from ..schema import PROVENANCE_COLUMNS, SERVICE_COLUMNS
from .report import Issue

# What a partner's CSV import compares; provenance is the sources' business.
COMPARED = [c for c in SERVICE_COLUMNS if c != "id"] + ["precision_geo"]
RECORD_COLUMNS = (
    *SERVICE_COLUMNS,
    "precision_geo",
    "besoins_libelles",
    *PROVENANCE_COLUMNS,
)
# Columns added after partners had their files (issue 13): a file without
# them leaves the stored values as they are instead of emptying them.
KEPT_WHEN_ABSENT = (
    "justificatifs",
    "modes_orientation_beneficiaire",
    "modes_orientation_accompagnateur",
    "mobilisation_precisions",
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


def check_structure(record, line, allowed, names, issues, report):
    """False (and an issue) when the uploader may not touch the row's structure;
    the first name met for a structure is kept."""
    structure_id = record["structure_id"]
    if allowed is not None and structure_id not in allowed:
        issues.append(
            Issue(
                f"« {structure_id} » : cette structure n'est pas rattachée à votre "
                "compte ; "
                f"la ligne (service « {record['id']} ») est refusée.",
                line,
                "structure_id",
            )
        )
        return False
    first = names.setdefault(structure_id, (record["structure_nom"], line))
    if first[0] != record["structure_nom"]:
        issues.append(
            Issue(
                f"« {record['structure_nom']} » : la structure « {structure_id} » "
                f"s'appelle « {first[0]} » ligne {first[1]} ; le premier nom est "
                "retenu.",
                line,
                "structure_nom",
                blocking=False,
            )
        )
        record["structure_nom"] = first[0]
    report.structures[structure_id] = first[0]
    return True
