"""Schema migrations that change behaviour, not just shape."""

from conftest import copy_db

from directory.db import connect


def fts_ids(db, word):
    return [
        r[0]
        for r in db.execute(
            "select s.id from services_fts join services s"
            " on s.rowid = services_fts.rowid where services_fts match ?",
            [word],
        )
    ]


def test_text_index_follows_text_updates_only(seeded_db_path, tmp_path):
    """m008: setting a status, a date or a duplicate link writes one row (the
    FTS row is not deleted and re-inserted); setting an indexed text re-indexes."""
    db = connect(copy_db(seeded_db_path, tmp_path))
    service_id = db.execute("select id from services limit 1").fetchone()[0]
    before = db.conn.total_changes
    db.execute(
        "update services set statut = 'ferme', doublon_de = 'x',"
        " date_maj = '2026-01-01' where id = ?",
        [service_id],
    )
    assert db.conn.total_changes - before == 1
    db.execute(
        "update services set nom = 'Permanence zorglubesque' where id = ?",
        [service_id],
    )
    assert fts_ids(db, "zorglubesque") == [service_id]
