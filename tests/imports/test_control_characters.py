"""Control characters never reach the database from an imported file."""

import pytest
from partner_helpers import csv_bytes, seed_rows

from directory.catalogue.text import clean_text
from directory.imports.read import clean_cell


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00b", "ab"),
        ("\x1b[31mrouge", "[31mrouge"),
        ("ligne 1\r\nligne 2\rligne 3\nligne 4", "ligne 1\nligne 2\nligne 3\nligne 4"),
        ("tab\tgardée", "tab\tgardée"),
        ("del\x7f et C1\x85\x9f", "del et C1"),
        ("accents é œ € ’ gardés", "accents é œ € ’ gardés"),
        (None, None),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_cell_drops_control_characters():
    assert clean_cell("\x00Nom\x1b\r\n") == "Nom"


def test_imported_cells_are_stored_without_control_characters(db, import_bytes):
    rows = seed_rows()
    first, last = dict(rows[0]), dict(rows[-1])
    first["nom"] = first["nom"] + "\x1b"
    first["description"] = "Première ligne\x07\r\nseconde\tligne"
    # A NUL in the first 4 KB marks a binary file; further on, it is dropped.
    last["description"] = "Accueil\x00 sans\x0b rendez-vous"
    data = csv_bytes([first, *rows[1:-1], last])
    assert data.index(b"\x00") > 4096
    import_bytes(data)
    stored_first = db["services"].get(first["id"])
    assert stored_first["nom"] == rows[0]["nom"]
    assert stored_first["description"] == "Première ligne\nseconde\tligne"
    assert db["services"].get(last["id"])["description"] == "Accueil sans rendez-vous"
    for row in db.query("select * from services"):
        for value in row.values():
            if isinstance(value, str):
                assert clean_text(value) == value, (row["id"], value)
