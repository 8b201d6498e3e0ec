"""Schema migrations that change behaviour, not just shape."""

import sqlite_utils
from conftest import copy_db

from directory import schema
from directory.db import connect


def test_no_full_text_copy_in_sqlite(seeded_db_path, tmp_path):
    """m010: the texts live in the Tantivy index only; setting a status, a date
    or a duplicate link writes one row (no trigger re-indexes anything)."""
    db = connect(copy_db(seeded_db_path, tmp_path))
    names = {r[0] for r in db.execute("select name from sqlite_master")}
    assert not {n for n in names if n.startswith("services_fts")}
    assert not {"services_ai", "services_au", "services_ad"} & names
    service_id = db.execute("select id from services limit 1").fetchone()[0]
    before = db.conn.total_changes
    db.execute(
        "update services set statut = 'ferme', doublon_de = 'x',"
        " date_maj = '2026-01-01' where id = ?",
        [service_id],
    )
    assert db.conn.total_changes - before == 1


def test_the_steps_create_every_column_of_the_sets_once():
    """m001 leaves out what m007 and m011 add: a new database ends with every
    column of the sets exactly once (a column in two steps fails to migrate)."""
    db = sqlite_utils.Database(memory=True)
    schema.apply(db)
    names = [c.name for c in db["services"].columns]
    assert len(names) == len(set(names))
    assert set(names) == {
        *schema.SERVICE_COLUMNS,
        *schema.DERIVED_COLUMNS,
        *schema.PROVENANCE_COLUMNS,
        "doublon_de",
    }
