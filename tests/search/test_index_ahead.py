"""Issue 12: a first import's index is built by a child process while the file
is read (module search.ahead), adopted after the commit only when the
committed rows are the ones it holds; otherwise the index is built from
SQLite. Either way the index is compared with SQLite row by row."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tantivy
from conftest import ROOT

from directory import create_app
from directory.db import get_db
from directory.imports import apply as apply_module
from directory.imports import engine as importer
from directory.imports import spool
from directory.search import ahead, columns, engine
from directory.web.context import prepare_import

from .test_engine import SERVICES, csv_bytes
from .test_index_lifecycle import MORE, assert_index_matches

# Rows that test the documents' making: quotes, accents, empty cells, several
# needs (and a closed service, in SERVICES).
ODD = [
    (
        "guillemets",
        'Le ""Relais"" d\'Aurillac — l’accueil',
        "Écoute\\ et « aide » ; 100 % gratuit.",
        "Association « Éclats »",
        "alimentation, logement",
        "familles, jeunes",
        "",
        "",
        "Aurillac",
    ),
]
ROWS = SERVICES + MORE + ODD


@pytest.fixture
def app(db_path, monkeypatch):
    monkeypatch.setattr(spool, "SPOOL_AT", 3)  # several spills, a partial last one
    return create_app({"TESTING": True, "DATABASE": str(db_path)})


def adopted(monkeypatch):
    """The versions adopted from a child (a list the test reads)."""
    done, adopt = [], ahead.Ahead.adopt

    def spy(self, conn, work, *args):
        adopt(self, conn, work, *args)
        done.append(work.name)

    monkeypatch.setattr(ahead.Ahead, "adopt", spy)
    return done


def version_files(db):
    """The current version: its documents, columns and lexicon words."""
    path = engine.folder(db) / (engine.folder(db) / "CURRENT").read_text()
    arrays, values = columns.load(path / columns.FOLDER)
    lexicon = tantivy.Index.open(str(path / "lexique"))
    words = dict(lexicon.searcher().terms_with_prefix("terme", ""))
    return (
        engine.documents(db),
        {name: np.array(array) for name, array in arrays.items()},
        values,
        words,
        json.loads((path / "besoins.json").read_text()),
    )


def test_a_first_import_is_indexed_by_a_child_while_read(app, monkeypatch):
    done = adopted(monkeypatch)
    data = csv_bytes(ROWS)
    with app.app_context():
        db = get_db()
        report = prepare_import(db, data, "premier.csv", index_ahead=True)
        assert report.ok, [i.text for i in report.errors]
        child = report.ahead.path
        assert report.new.spilled
        importer.apply(db, report, user="test")
        assert done and not child.exists()
        # Each service has the rowid it was indexed with: its place in the file.
        rowids = db.conn.execute("select id from services order by rowid").fetchall()
        assert [r[0] for r in rowids] == [row[0] for row in ROWS]
        assert_index_matches(db)
        ahead_built = version_files(db)
        engine.rebuild(db)  # the same version, built from SQLite
        built = version_files(db)
        assert ahead_built[0] == built[0]  # every document, field by field
        for name, array in built[1].items():
            assert np.array_equal(ahead_built[1][name], array), name
        assert ahead_built[2:] == built[2:]
        assert "ferme" not in {d["id"] for d in built[0].values()}


def test_the_cli_import_indexes_ahead(app, monkeypatch, tmp_path):
    done = adopted(monkeypatch)
    source = tmp_path / "premier.csv"
    source.write_bytes(csv_bytes(ROWS))
    result = app.test_cli_runner().invoke(args=["import-csv", str(source)])
    assert result.exit_code == 0, result.output
    assert done
    with app.app_context():
        assert_index_matches(get_db())
        assert not list(engine.folder(get_db()).glob(f"{ahead.PREFIX}*"))


def test_a_file_that_never_spills_starts_no_child(app, monkeypatch):
    monkeypatch.setattr(spool, "SPOOL_AT", 1000)
    started = []
    monkeypatch.setattr(ahead.Ahead, "__init__", lambda self, *a: started.append(a))
    with app.app_context():
        db = get_db()
        report = prepare_import(db, csv_bytes(ROWS), "petit.csv", index_ahead=True)
        assert report.ok and report.ahead is None and not report.new.spilled
        importer.apply(db, report, user="test")
        assert not started
        assert_index_matches(db)


def test_a_dry_run_or_a_second_import_builds_no_child(app, monkeypatch, tmp_path):
    started = []

    def start(self, *args):
        started.append(args)
        raise AssertionError("no child here")

    monkeypatch.setattr(ahead.Ahead, "__init__", start)
    source = tmp_path / "premier.csv"
    source.write_bytes(csv_bytes(ROWS))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-csv", "--dry-run", str(source)])
    assert result.exit_code == 0 and not started
    with app.app_context():
        importer.apply(
            get_db(), prepare_import(get_db(), csv_bytes(), "a.csv"), user="t"
        )
    result = runner.invoke(args=["import-csv", str(source)])  # not empty now
    assert result.exit_code == 0, result.output
    assert not started


def held_back(monkeypatch):
    """after_commit as imports call it, held: (db, child) of each call."""
    handed = []
    monkeypatch.setattr(
        apply_module, "after_commit", lambda db, child=None: handed.append(child)
    )
    return handed


def test_rows_changed_behind_its_back_are_indexed_from_sqlite(app, monkeypatch, caplog):
    """A write the journal did not see between the commit and the build: the
    row-by-row check finds it, the child's version is dropped."""
    done, handed = adopted(monkeypatch), held_back(monkeypatch)
    with app.app_context():
        db = get_db()
        report = prepare_import(db, csv_bytes(ROWS), "premier.csv", index_ahead=True)
        importer.apply(db, report, user="test")
        (child,) = handed
        with db.conn:
            db.conn.execute("update services set statut = 'ferme' where id = 'potager'")
        with caplog.at_level(logging.WARNING):
            engine.after_commit(db, child)
        assert not done
        assert "écarté" in caplog.text
        assert not child.path.exists()
        assert "potager" not in {d["id"] for d in engine.documents(db).values()}
        assert_index_matches(db)


@pytest.mark.parametrize("later", ["edit", "undo"])
def test_a_write_in_between_drops_the_child(app, monkeypatch, later):
    done, handed = adopted(monkeypatch), held_back(monkeypatch)
    with app.app_context():
        db = get_db()
        report = prepare_import(db, csv_bytes(ROWS), "premier.csv", index_ahead=True)
        import_id = importer.apply(db, report, user="test")
        if later == "edit":
            importer.apply_edits(
                db, {"potager": {"nom": "Potager du bourg"}}, user="t", label="f"
            )
        else:
            importer.undo(db, import_id)
        child = handed[0]
        engine.after_commit(db, child)  # the index is behind: built, not adopted
        assert not done and not child.path.exists()
        assert_index_matches(db)
        names = {d["nom"] for d in engine.documents(db).values()}
        assert ("Potager du bourg" in names) == (later == "edit")


def test_a_child_that_dies_leaves_the_build_to_sqlite(app, monkeypatch):
    done = adopted(monkeypatch)
    with app.app_context():
        db = get_db()
        report = prepare_import(db, csv_bytes(ROWS), "premier.csv", index_ahead=True)
        report.ahead.process.kill()
        importer.apply(db, report, user="test")
        assert not done
        assert_index_matches(db)
        assert not list(engine.folder(db).glob(f"{ahead.PREFIX}*"))


def test_a_failed_write_stops_its_child(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")

    with app.app_context():
        db = get_db()
        report = prepare_import(db, csv_bytes(ROWS), "premier.csv", index_ahead=True)
        child = report.ahead
        monkeypatch.setattr(apply_module, "insert_spooled", broken)
        with pytest.raises(RuntimeError):
            importer.apply(db, report, user="test")
        assert child.process.poll() is not None  # stopped, not left to the GC
        assert not child.path.exists() and report.ahead is None
        assert db.conn.execute("select count(*) from services").fetchone()[0] == 0
        engine.current(db)  # the first search builds the index: it is empty
        assert not engine.documents(db)
        assert_index_matches(db)


def test_an_import_with_errors_stops_its_child(app):
    bad = csv_bytes(ROWS + ROWS[:1])  # an id used twice: a blocking error
    with app.app_context():
        db = get_db()
        report = prepare_import(db, bad, "faux.csv", index_ahead=True)
        assert not report.ok
        assert report.ahead is None
        assert not list(engine.folder(db).glob(f"{ahead.PREFIX}*"))


def test_the_folders_of_dead_importers_are_swept(app):
    with app.app_context():
        db = get_db()
        root = engine.folder(db)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        stale = root / f"{ahead.PREFIX}{dead.pid}-0123"
        (stale / "version").mkdir(parents=True)
        mine = root / f"{ahead.PREFIX}{os.getpid()}-4567"
        mine.mkdir()
        importer.apply(db, prepare_import(db, csv_bytes(), "a.csv"), user="t")
        assert not stale.exists() and mine.exists()  # a live process's stays
        shutil.rmtree(mine)
        assert_index_matches(db)


KILLED = """
import os, signal, sys
from directory import create_app
from directory.db import get_db
from directory.imports import engine as importer, spool
from directory.search import engine
from directory.web.context import prepare_import

spool.SPOOL_AT = 3
engine.before_switch = lambda: os.kill(os.getpid(), signal.SIGKILL)
app = create_app({"TESTING": True, "DATABASE": sys.argv[1]})
with app.app_context():
    data = open(sys.argv[2], "rb").read()
    report = prepare_import(get_db(), data, "premier.csv", index_ahead=True)
    importer.apply(get_db(), report, user="test")
"""


def test_a_kill_after_the_commit_is_caught_at_open(app, tmp_path, db_path):
    source = tmp_path / "premier.csv"
    source.write_bytes(csv_bytes(ROWS))
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED), str(db_path), source],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    with app.app_context():
        db = get_db()
        assert db.conn.execute("select count(*) from imports").fetchone()[0] == 1
        client = app.test_client()
        body = client.get("/api/services", query_string={"q": "potager"}).get_json()
        assert [s["id"] for s in body["services"]] == ["potager"]
        assert_index_matches(db)
        assert not list(engine.folder(db).glob(f"{ahead.PREFIX}*"))


KILLED_WHILE_READING = """
import os, signal, sys
from directory import create_app
from directory.db import get_db
from directory.imports import engine as importer, spool
from directory.search import ahead
from directory.web.context import prepare_import

spool.SPOOL_AT = 3
spilled = ahead.Ahead.spilled


def spill_then_die(self, path, count):
    spilled(self, path, count)
    if count >= 6:  # the child has rows to index: the import dies mid-file
        with open(sys.argv[3], "w") as out:
            out.write(str(self.process.pid))
        os.kill(os.getpid(), signal.SIGKILL)


ahead.Ahead.spilled = spill_then_die
app = create_app({"TESTING": True, "DATABASE": sys.argv[1]})
with app.app_context():
    data = open(sys.argv[2], "rb").read()
    report = prepare_import(get_db(), data, "premier.csv", index_ahead=True)
    importer.apply(get_db(), report, user="test")
"""


def test_a_kill_while_reading_stops_the_child_and_writes_nothing(
    app, tmp_path, db_path
):
    source, pid_file = tmp_path / "premier.csv", tmp_path / "enfant"
    source.write_bytes(csv_bytes(ROWS))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_READING, str(db_path), source, pid_file],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
        with open(f"/proc/{child}/stat") as stat:  # a zombie has ended
            if stat.read().split(") ")[1].startswith("Z"):
                break
        time.sleep(0.05)
    else:
        assert not os.path.exists(f"/proc/{child}"), "the child outlived its import"
    with app.app_context():
        db = get_db()
        assert db.conn.execute("select count(*) from services").fetchone()[0] == 0
        assert db.conn.execute("select count(*) from imports").fetchone()[0] == 0
        root = engine.folder(db)
        assert list(root.glob(f"{ahead.PREFIX}*"))  # left by the killed import
        importer.apply(db, prepare_import(db, csv_bytes(), "a.csv"), user="t")
        assert not list(root.glob(f"{ahead.PREFIX}*"))  # swept by the next build
        assert_index_matches(db)
