"""Issue 12: the text index on disk follows the database. After an import, a
failed import, an edit, an undo and a process killed between its commit and
the index switch, the index is compared with SQLite row by row."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from directory.db import get_db
from directory.imports import apply as apply_module
from directory.imports import engine as importer
from directory.search import engine
from directory.web.context import prepare_import

from .test_columns import assert_columns_match
from .test_engine import SERVICES, csv_bytes, make_app

MORE = [
    (
        "potager",
        "Jardin potager partagé",
        "Des légumes pour tous.",
        "Maison des citoyens",
        "alimentation",
        "tous-publics",
        "gratuit",
        "acces-libre",
        "Murat",
    )
]


def assert_index_matches(db):
    """Every shown service is in the index with its text, and nothing else;
    the columns hold every service that is not a duplicate, as SQLite does."""
    root = engine.folder(db)
    assert (root / "CURRENT").read_text() == engine.version(db)
    documents = engine.documents(db)
    texts = ", ".join(engine.TEXTS.values())
    rows = db.conn.execute(
        f"select rowid, id, {texts} from services where {engine.SHOWN}"
    ).fetchall()
    assert sorted(documents) == sorted(row[0] for row in rows)
    for row in rows:
        stored = documents[row[0]]
        assert stored["id"] == row[1]
        for field, value in zip(engine.TEXTS, row[2:], strict=True):
            assert (stored.get(field) or "") == (value or ""), (row[1], field)
    assert_columns_match(db)
    return documents


def ids(db):
    return {doc["id"] for doc in engine.documents(db).values()}


def run_import(db, data):
    report = prepare_import(db, data, "plus.csv")
    assert report.ok, [i.text for i in report.errors]
    return importer.apply(db, report, user="test")


@pytest.fixture
def app(db_path):
    return make_app(db_path)


def test_index_follows_import_edit_and_undo(app):
    with app.app_context():
        db = get_db()
        assert ids(db) == {s[0] for s in SERVICES} - {"ferme"}
        assert_index_matches(db)
        import_id = run_import(db, csv_bytes(SERVICES + MORE))
        assert "potager" in ids(db)
        assert_index_matches(db)
        importer.apply_edits(
            db, {"potager": {"nom": "Potager du bourg"}}, user="test", label="fiche"
        )
        assert_index_matches(db)
        assert engine.documents(db)
        importer.undo(db, import_id + 1)  # the edit
        importer.undo(db, import_id)
        assert "potager" not in ids(db)
        assert_index_matches(db)


def test_a_failed_import_leaves_the_index_matching(app, monkeypatch):
    with app.app_context():
        db = get_db()
        before = (engine.folder(db) / "CURRENT").read_text()
        report = prepare_import(db, csv_bytes(SERVICES + MORE), "plus.csv")

        def broken(*args, **kwargs):
            raise RuntimeError("disque plein")

        monkeypatch.setattr(apply_module, "set_besoins", broken)
        with pytest.raises(RuntimeError):
            importer.apply(db, report, user="test")
        assert (engine.folder(db) / "CURRENT").read_text() == before
        assert "potager" not in ids(db)
        assert_index_matches(db)


def test_reindex_command_rebuilds_a_missing_index(app):
    runner = app.test_cli_runner()
    with app.app_context():
        db = get_db()
        root = engine.folder(db)
        name = (root / "CURRENT").read_text()
        (root / "CURRENT").unlink()
        result = runner.invoke(args=["reindex"])
        assert result.exit_code == 0, result.output
        assert "Index de recherche à jour" in result.output
        assert (root / "CURRENT").read_text() == name
        assert_index_matches(db)


KILLED_IMPORT = """
import os, signal, sys
from directory import create_app
from directory.db import get_db
from directory.imports import engine as importer
from directory.search import engine
from directory.web.context import prepare_import

def die():
    os.kill(os.getpid(), signal.SIGKILL)

engine.before_switch = die
app = create_app({"TESTING": True, "DATABASE": sys.argv[1]})
with app.app_context():
    data = open(sys.argv[2], "rb").read()
    report = prepare_import(get_db(), data, "plus.csv")
    importer.apply(get_db(), report, user="test")
"""


def test_a_kill_between_commit_and_switch_is_caught_at_open(app, tmp_path):
    with app.app_context():
        db = get_db()
        database = db.conn.execute("pragma database_list").fetchone()[2]
        before = (engine.folder(db) / "CURRENT").read_text()
        source = tmp_path / "plus.csv"
        source.write_bytes(csv_bytes(SERVICES + MORE))
        child = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(KILLED_IMPORT), database, source],
            cwd=ROOT,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert child.returncode == -signal.SIGKILL, child.stderr.decode()
        # The import committed, the index switch never happened.
        assert db.conn.execute("select count(*) from imports").fetchone()[0] == 2
        assert (engine.folder(db) / "CURRENT").read_text() == before
        assert before != engine.version(db)
        # The next search sees the index behind and rebuilds it first.
        client = app.test_client()
        body = client.get("/api/services", query_string={"q": "potager"}).get_json()
        assert [s["id"] for s in body["services"]] == ["potager"]
        assert_index_matches(db)
        leftovers = [p.name for p in engine.folder(db).iterdir() if p.is_dir()]
        assert not [name for name in leftovers if name.startswith("tmp-")]


def test_index_follows_a_restore(app, tmp_path):
    runner = app.test_cli_runner()
    copy = tmp_path / "copie.db"
    assert runner.invoke(args=["backup", str(copy)]).exit_code == 0
    with app.app_context():
        run_import(get_db(), csv_bytes(SERVICES + MORE))
        assert "potager" in ids(get_db())
    result = runner.invoke(args=["restore", str(copy)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db = get_db()
        assert_index_matches(db)  # rebuilt by the command itself
        assert "potager" not in ids(db)


def test_small_changes_update_the_previous_version(app, monkeypatch):
    with app.app_context():
        db = get_db()
        built = []
        monkeypatch.setattr(engine, "_write", lambda *args: built.append(args))
        import_id = run_import(db, csv_bytes(SERVICES + MORE))
        assert_index_matches(db)
        importer.apply_edits(
            db, {"escale": {"nom": "Le Phare, accueil de jour"}}, user="t", label="f"
        )
        assert_index_matches(db)
        importer.undo(db, import_id + 1)
        importer.undo(db, import_id)
        assert_index_matches(db)
        assert not built  # every version came from the previous one
        root = engine.folder(db)
        assert len([p for p in root.iterdir() if p.is_dir()]) == 2  # new, previous


def test_a_restore_is_never_an_update():
    from directory.imports.records import RESTORE_PREFIX
    from directory.search.changes import RESTORE

    assert RESTORE == RESTORE_PREFIX


def test_readers_use_the_previous_version_while_a_build_runs(app, monkeypatch):
    from directory.db import connect

    with app.app_context():
        db = get_db()
        before = (engine.folder(db) / "CURRENT").read_text()
        path = db.conn.execute("pragma database_list").fetchone()[2]
        seen = []

        def another_worker_searches():
            other = connect(path)  # committed data, index not switched yet
            try:
                assert engine.version(other) != before
                seen.append(engine.current(other).name)
            finally:
                other.close()

        monkeypatch.setattr(engine, "before_switch", another_worker_searches)
        run_import(db, csv_bytes(SERVICES + MORE))
        assert seen == [before]  # never a half-built index, never a wait
        assert_index_matches(db)


def test_an_update_makes_new_words_typo_correctable(app, monkeypatch):
    with app.app_context():
        db = get_db()
        built = []
        monkeypatch.setattr(engine, "_write", lambda *args: built.append(args))
        importer.apply_edits(
            db,
            {"escale": {"description": "Douches, café et blanchisserie."}},
            user="t",
            label="fiche",
        )
        assert not built  # an update of the previous version
    client = app.test_client()
    # « blanchiserie » is one edit from « blanchisserie », only in the edit.
    body = client.get("/api/services", query_string={"q": "blanchiserie"}).get_json()
    assert [s["id"] for s in body["services"]] == ["escale"]
