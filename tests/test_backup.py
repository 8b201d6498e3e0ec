"""Backups made while the app writes, and restores that refuse bad copies."""

import sqlite3
import threading

import pytest
from conftest import TODAY, snapshot

from bench import synth
from directory import backup
from directory.db import connect, get_db
from directory.imports import apply as apply_module
from directory.imports import engine as importer

WAIT_S = 120  # a safety net against a hung thread, not a timing assertion


@pytest.fixture
def big_report(prepare):
    """A clean report of 3 000 generated services (the import under test)."""
    report = prepare(
        synth.generate(3000, seed=7, today=TODAY), max_rows=10_000, max_bytes=50_000_000
    )
    assert report.ok and len(report.new) == 3000
    return report


def test_backup_during_import_restores_pre_or_post_state(
    db, db_path, big_report, tmp_path, monkeypatch
):
    pre = snapshot(db)
    inside, release = threading.Event(), threading.Event()
    original = apply_module.insert_services

    def paused_insert(conn_db, records, stamp, **options):
        original(conn_db, records, stamp, **options)
        inside.set()  # the services are written, the transaction still open
        release.wait(WAIT_S)

    monkeypatch.setattr(apply_module, "insert_services", paused_insert)
    failures = []

    def run_import():
        writer = connect(db_path)
        try:
            importer.apply(writer, big_report, user="test")
        except Exception as exc:  # reported to the main thread
            failures.append(exc)
        finally:
            writer.close()

    thread = threading.Thread(target=run_import)
    thread.start()
    try:
        assert inside.wait(WAIT_S)
        # The import holds the write lock: the backup is not blocked (WAL).
        backup.backup(db_path, tmp_path / "pendant.db")
        frees = []
        for k in range(3):  # more copies while the writer resumes and commits
            if k == 1:
                release.set()
            frees.append(backup.backup(db_path, tmp_path / f"libre{k}.db"))
    finally:
        release.set()
        thread.join(WAIT_S)
    assert not failures
    post = snapshot(db)
    assert len(post["services"]) == 3000 and post != pre
    backup.backup(db_path, tmp_path / "apres.db")

    # Restores go into the live file while `db` (the "running app") stays open.
    backup.restore(tmp_path / "pendant.db", db_path)
    assert snapshot(db) == pre
    for copy in frees:
        backup.restore(copy, db_path)
        assert snapshot(db) in (pre, post)
    backup.restore(tmp_path / "apres.db", db_path)
    assert snapshot(db) == post
    backup.restore(tmp_path / "pendant.db", db_path)
    assert snapshot(db) == pre
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_restore_makes_a_new_data_version(db, db_path, import_bytes, tmp_path):
    """A restore is logged: the data version never repeats one of a discarded
    state, so no process keeps serving a search index built for it."""
    backup.backup(db_path, tmp_path / "vide.db")
    import_bytes(synth.generate(20, seed=3, today=TODAY))
    discarded = db.execute("select max(id) from imports").fetchone()[0]
    backup.restore(tmp_path / "vide.db", db_path)
    row = db.execute("select id, fichier from imports order by id desc").fetchone()
    assert row == (discarded + 1, "restauration de vide.db")
    assert db["services"].count == 0


def corrupt(path):
    """Scribble over a few pages in the middle of the file."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 40_000] = bytes(range(256)) * 156 + bytes(64)
    path.write_bytes(bytes(data))


def foreign(path):
    conn = sqlite3.connect(path)
    conn.execute("create table clients (id integer primary key, nom text)")
    conn.commit()
    conn.close()


def newer(path):
    conn = sqlite3.connect(path)
    conn.execute(
        "insert into _sqlite_migrations (migration_set, name, applied_at) "
        "values ('directory', 'm999_avenir', '2030-01-01')"
    )
    conn.commit()
    conn.close()


def text(path):
    path.write_text("id;nom\n1;pas une base\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (corrupt, "endommagé"),
        (text, "n'est pas une base SQLite lisible"),
        (foreign, "n'est pas une sauvegarde de l'annuaire"),
        (
            newer,
            "version plus récente de l'application (migrations inconnues : "
            "m999_avenir)",
        ),
    ],
    ids=["corrompu", "texte", "etranger", "plus-recent"],
)
def test_restore_refuses_a_bad_copy_and_leaves_the_database(
    app, runner, tmp_path, spoil, message
):
    path = tmp_path / "sauvegarde.db"
    if spoil is not foreign:
        assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    spoil(path)
    database = app.config["DATABASE"]
    conn = connect(database)
    before = snapshot(conn)
    conn.close()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Restauration refusée : la base n'a pas été modifiée." in result.output
    conn = connect(database)
    assert snapshot(conn) == before
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # Neither a leftover working copy nor a needless "previous state" file.
    assert sorted(p.name for p in tmp_path.iterdir() if "restauration" in p.name) == []


def test_backup_and_restore_commands(app, runner, tmp_path):
    path = tmp_path / "nuit.db"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Sauvegarde écrite dans {path}." in result.output
    conn = connect(app.config["DATABASE"])
    before = snapshot(conn)
    conn.execute("delete from service_besoins")
    conn.execute("delete from services")
    conn.commit()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Base restaurée depuis {path}." in result.output
    assert "L'état précédent est conservé dans" in result.output
    assert snapshot(conn) == before
    kept = list(tmp_path.glob("t.db.avant-restauration-*"))
    assert len(kept) == 1
    conn.close()
    kept_db = sqlite3.connect(kept[0])
    assert kept_db.execute("select count(*) from services").fetchone() == (0,)
    kept_db.close()


def test_backup_refuses_a_folder_and_leaves_no_partial_file(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "absent" / "x.db")])
    assert result.exit_code == 1
    assert "Dossier introuvable" in result.output
    assert runner.invoke(args=["backup", str(tmp_path)]).exit_code != 0
    assert not list(tmp_path.glob(".sauvegarde-*"))


def test_restore_is_listed_in_the_admin_import_log(app, runner, client, auth, tmp_path):
    path = tmp_path / "nuit.db"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    assert runner.invoke(args=["restore", str(path)]).exit_code == 0
    auth.login("admin@exemple.fr")
    response = client.get("/admin/imports")
    assert response.status_code == 200
    assert "restauration de nuit.db" in response.get_data(as_text=True)
    # It records no change to replay: undoing it is refused, not a silent no-op.
    with app.app_context():
        entry = get_db()["imports"].rows_where(
            "fichier = ?", ["restauration de nuit.db"]
        )
        import_id = next(entry)["id"]
    result = runner.invoke(args=["undo-import", str(import_id)])
    assert result.exit_code != 0
    assert "restauration de la base" in result.output


def test_restore_adapts_a_copy_with_another_page_size(db, db_path, tmp_path):
    """The backup API cannot change a WAL database's page size: the private
    copy is rewritten to the live one's first."""
    path = backup.backup(db_path, tmp_path / "petites-pages.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("VACUUM")
    conn.close()
    before = snapshot(db)
    backup.restore(path, db_path)
    assert snapshot(db) == before
    assert db.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
