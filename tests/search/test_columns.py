"""Issue 12: the columns of the services are written once per index version
(search/columns.py) and memory-mapped by every process: a fresh process
opens them without reading the services table, they match SQLite row by row
after an import, an edit and an undo, and an update of the previous version
writes the same columns as a full build."""

import numpy as np
import pytest

from directory.catalogue import duplicates
from directory.catalogue.services import MULTI
from directory.db import get_db
from directory.imports import engine as importer
from directory.search import columns, engine, index
from directory.search.query import Query, search

from .test_engine import make_app

SELECT = (
    "rowid, id, statut, latitude, longitude, besoins, publics, frais,"
    " modalites_acces, modes_accueil, zone_eligibilite, horaires, nom, date_maj"
)


def _bits(cell, table):
    bits = 0
    for item in (cell or "").split(MULTI):
        bits |= table.get(item, 0)
    return bits


def assert_columns_match(db):
    """The current version's columns against SQLite, row by row (the values
    computed here the slow way: Python over every row)."""
    slugs = engine.need_slugs(db)
    opened = index.get_index(db, slugs)
    rows = db.conn.execute(
        f"select {SELECT} from services where doublon_de is null order by rowid"
    ).fetchall()
    assert [r[0] for r in rows] == opened.rowid.tolist()
    needs = {slug: 1 << i for i, slug in enumerate(slugs)}
    frais = opened.frais
    for i, row in enumerate(rows):
        rowid, sid, statut, lat, lon, besoins, publics, fee = row[:8]
        modalites, accueil, zone, horaires = row[8:12]
        assert opened.active[i] == (statut != "ferme"), sid
        assert opened.placed[i] == (lat is not None), sid
        assert opened.latitude[i] == (lat or 0.0), sid
        assert opened.longitude[i] == (lon or 0.0), sid
        assert opened.besoins[i] == _bits(besoins, needs), sid
        assert opened.publics[i] == _bits(publics, index.PUBLIC_BITS), sid
        assert opened.modalites[i] == _bits(modalites, index.MODALITE_BITS), sid
        assert opened.remote[i] == ("a-distance" in (accueil or "")), sid
        assert frais.values[frais.codes[i]] == (fee or ""), sid
        assert opened.zone_values[opened.zone[i]] == zone, sid
        assert opened.hours_values[opened.hours[i]] == horaires, sid
    by_nom = sorted(
        range(len(rows)), key=lambda i: ((rows[i][12] or "").lower(), rows[i][1])
    )
    by_date = sorted(
        range(len(rows)),
        key=lambda i: (rows[i][13] or "", rows[i][12] or ""),
        reverse=True,
    )
    assert opened.by_nom.tolist() == by_nom
    assert opened.by_date.tolist() == by_date
    assert opened.nom_rank[opened.by_nom].tolist() == list(range(len(rows)))
    return opened


def _arrays(db):
    """Copies of the current version's columns, the coded ones decoded."""
    name = engine.current(db).name
    arrays, values = columns.load(engine.folder(db) / name / columns.FOLDER)
    out = {k: np.array(v) for k, v in arrays.items()}
    for coded in columns.CODED:
        out[coded] = [values[coded][code] for code in arrays[coded].tolist()]
    return out


@pytest.fixture
def app(db_path):
    return make_app(db_path)


def test_a_fresh_process_maps_the_columns_without_reading_the_services(app):
    with app.app_context():
        db = get_db()
        slugs = engine.need_slugs(db)
        name = engine.refresh(db)
        engine._opened.clear()  # a fresh process
        engine._versions.clear()
        statements = []
        db.conn.set_trace_callback(statements.append)
        opened = index.get_index(db, slugs)
        db.conn.set_trace_callback(None)
        assert engine.current(db).name == name
        assert not [s for s in statements if "services" in s], statements
        assert isinstance(opened.rowid.base, np.memmap)  # mapped, not read
        assert not opened.rowid.flags.writeable
        assert_columns_match(db)


def test_the_columns_are_written_by_the_build_not_by_the_search(app, monkeypatch):
    with app.app_context():
        db = get_db()
        engine.refresh(db)
        engine._opened.clear()
        written = []
        monkeypatch.setattr(columns, "write", lambda *a, **k: written.append(a))
        slugs = engine.need_slugs(db)
        index.get_index(db, slugs)
        result = search(db, Query(besoins=["alimentation"]), besoin_slugs=slugs)
        assert {s["id"] for s in result.services} == {"epicerie", "colis"}
        assert not written


def test_missing_column_files_rebuild_the_version(app):
    with app.app_context():
        db = get_db()
        name = engine.refresh(db)
        engine._opened.clear()
        (engine.folder(db) / name / columns.FOLDER / "by_nom.npy").unlink()
        assert_columns_match(db)
        assert (engine.folder(db) / "CURRENT").read_text() == name
        engine._opened.clear()
        (engine.folder(db) / name / columns.FOLDER / "latitude.npy").write_bytes(b"")
        assert_columns_match(db)  # an unreadable file, too


def test_an_edit_patches_the_columns_as_a_full_build_writes_them(app, monkeypatch):
    with app.app_context():
        db = get_db()
        written = []
        write = columns.write
        monkeypatch.setattr(columns, "write", lambda *a: written.append(a) or write(*a))
        edits = {
            # moves in the name order; a new hours value; another fee
            "escale": {"nom": "Abri de nuit", "frais": "payant"},
            "tricot-nom": {"horaires": "Mo-Fr 09:00-12:00"},
        }
        importer.apply_edits(db, edits, user="t", label="fiche")
        closing = importer.apply_edits(
            db, {"colis": {"statut": "ferme"}}, user="t", label="fiche"
        )
        importer.undo(db, closing)
        importer.apply_edits(
            db, {"brocante": {"nom": "Zèbre solidaire"}}, user="t", label="fiche"
        )
        assert not written  # every version patched from the previous one
        patched = _arrays(db)
        assert_columns_match(db)
        engine.rebuild(db)  # a full build
        assert written
        full = _arrays(db)
        assert sorted(patched) == sorted(full)
        for name, array in full.items():
            assert np.array_equal(patched[name], array), name


def test_the_needs_renumbered_by_the_caller(app):
    with app.app_context():
        db = get_db()
        slugs = engine.need_slugs(db)
        reverse = list(reversed(slugs))
        opened = index.get_index(db, reverse)
        rows = dict(
            db.conn.execute(
                "select rowid, besoins from services where doublon_de is null"
            )
        )
        bits = {slug: 1 << i for i, slug in enumerate(reverse)}
        for position, rowid in enumerate(opened.rowid.tolist()):
            assert opened.besoins[position] == _bits(rows[rowid], bits)


def sql_need_counts(db):
    """The reference: each need's open services (one per duplicate cluster)
    counted by SQL over every service, as the pages did before the columns."""
    return list(
        db.query(
            "select b.slug, count(s.id) as total from besoins b"
            " left join service_besoins sb on sb.besoin = b.slug"
            " left join services s on s.id = sb.service_id and s.statut != 'ferme'"
            " and s.doublon_de is null"
            " group by b.slug order by b.ordre"
        )
    )


def test_need_counts_are_those_of_the_needs_page(app):
    with app.app_context():
        db = get_db()
        slugs = engine.need_slugs(db)
        counts = index.get_index(db, slugs).need_counts()
        expected = {row["slug"]: row["total"] for row in sql_need_counts(db)}
        assert counts == expected
        assert counts["alimentation"] == 2  # « ferme » is closed


def test_a_merge_and_its_undo_keep_the_columns_matching(app):
    with app.app_context():
        db = get_db()
        before = _arrays(db)
        import_id = duplicates.merge(db, "brocante", ["brocaste"], {}, user="t")
        engine.after_commit(db)
        opened = assert_columns_match(db)  # « brocaste » left the columns
        assert len(opened.rowid) == len(before["rowid"]) - 1
        importer.undo(db, import_id)
        assert_columns_match(db)
        after = _arrays(db)
        for name, array in before.items():
            assert np.array_equal(after[name], array), name
