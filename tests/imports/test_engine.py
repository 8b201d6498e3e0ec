"""The import engine end to end: diff, one transaction, audit, undo, crash safety."""

import csv
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import DATA, ROOT, snapshot

from directory.db import connect
from directory.imports import engine as importer
from directory.imports.engine import ImportRefused

SEED = (DATA / "services.csv").read_bytes()


def rows_of(data):
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def to_csv(rows, delimiter=","):
    out = io.StringIO(newline="")
    writer = csv.DictWriter(
        out, list(rows[0]), delimiter=delimiter, lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def edited_seed():
    """The seed with one service renamed, one closed and one new service."""
    rows = rows_of(SEED)
    rows[0]["nom"] = rows[0]["nom"] + " (nouveau nom)"
    rows[1]["statut"] = "ferme"
    rows[2]["besoins"] = "alimentation, budget"
    extra = dict(
        rows[3],
        id=rows[3]["structure_id"] + "--permanence-test",
        nom="Permanence de test",
    )
    return to_csv(rows + [extra]), rows


def test_seed_imports_then_reimport_changes_nothing(db, import_bytes, prepare):
    report = import_bytes(SEED)
    assert len(report.new) == len(rows_of(SEED))
    before = snapshot(db)
    again = prepare(SEED)
    assert again.ok
    assert (len(again.new), len(again.changed), len(again.unchanged)) == (
        0,
        0,
        len(rows_of(SEED)),
    )
    text = importer.format_report(again, dry_run=False)
    assert "Aucune modification : la base est déjà à jour." in text
    assert snapshot(db) == before


def test_diff_counts_new_changed_closed_and_field_audit(db, import_bytes, prepare):
    import_bytes(SEED)
    data, rows = edited_seed()
    report = prepare(data)
    assert report.counts == {
        "nouveaux": 1,
        "modifies": 3,
        "inchanges": len(rows) - 3,
        "fermes": 1,
    }
    by_id = {c.record["id"]: c for c in report.changed}
    assert [f for f, _, _ in by_id[rows[0]["id"]].fields] == ["nom"]
    assert by_id[rows[1]["id"]].fields == [("statut", "actif", "ferme")]
    import_id = importer.apply(db, report, user="partenaire@example.org")
    log = db["imports"].get(import_id)
    assert (log["utilisateur"], log["nouveaux"], log["modifies"], log["fermes"]) == (
        "partenaire@example.org",
        1,
        3,
        1,
    )
    assert len(log["sha256"]) == 64
    audit = list(
        db.query(
            "select champ, avant, apres from changes where import_id = ? and "
            "service_id = ? and champ = 'nom'",
            [import_id, rows[0]["id"]],
        )
    )
    assert audit[0]["apres"] == f'"{rows[0]["nom"]}"'
    needs = {
        r["besoin"]
        for r in db["service_besoins"].rows_where("service_id = ?", [rows[2]["id"]])
    }
    assert needs == {"alimentation", "budget"}
    assert db["services"].get(rows[1]["id"])["statut"] == "ferme"


def test_undo_restores_previous_state_exactly(db, import_bytes, prepare):
    import_bytes(SEED)
    before = snapshot(db)
    data, _ = edited_seed()
    report = import_bytes(data)
    assert snapshot(db) != before
    importer.undo(db, report.import_id)
    assert snapshot(db) == before
    assert db["imports"].get(report.import_id)["statut"] == "annule"
    with pytest.raises(ImportRefused, match="déjà été annulé"):
        importer.undo(db, report.import_id)


def test_undo_of_first_import_empties_database(db, import_bytes):
    before = snapshot(db)
    report = import_bytes(SEED)
    importer.undo(db, report.import_id)
    assert snapshot(db) == before
    assert db["services"].count == 0


def test_undo_refused_when_a_later_import_touched_the_same_services(db, import_bytes):
    first = import_bytes(SEED)
    data, _ = edited_seed()
    second = import_bytes(data)
    with pytest.raises(ImportRefused, match=f"n°{second.import_id}"):
        importer.undo(db, first.import_id)
    importer.undo(db, second.import_id)
    importer.undo(db, first.import_id)
    assert db["services"].count == 0


def test_bad_row_anywhere_writes_nothing(db, import_bytes, prepare):
    import_bytes(SEED)
    before = snapshot(db)
    data, rows = edited_seed()
    rows[30]["besoins"] = "logment"
    report = prepare(to_csv(rows))
    assert not report.ok
    assert report.errors[0].line == 32
    assert not report.new and not report.changed
    with pytest.raises(ImportRefused):
        importer.apply(db, report, user="x")
    assert snapshot(db) == before
    assert db["imports"].count == 1


def test_partner_cannot_touch_other_structures(db, import_bytes, prepare):
    import_bytes(SEED)
    before = snapshot(db)
    rows = rows_of(SEED)
    mine = rows[0]["structure_id"]
    other = next(r for r in rows if r["structure_id"] != mine)
    other["nom"] = "Piraté"
    stolen = dict(other, structure_id=mine, structure_nom=rows[0]["structure_nom"])
    own = [r for r in rows if r["structure_id"] == mine]
    report = prepare(to_csv(own + [other]), allowed_structures={mine})
    assert not report.ok
    texts = [i.text for i in report.errors]
    assert any(
        other["structure_id"] in t and "n'est pas rattachée à votre compte" in t
        for t in texts
    )
    report = prepare(to_csv(own + [stolen]), allowed_structures={mine})
    assert [i.text for i in report.errors] == [
        f"« {other['id']} » : ce service appartient à la structure "
        f"« {other['structure_id']} », vous ne pouvez pas le modifier."
    ]
    assert snapshot(db) == before


def big_file(n):
    """n valid rows built from the seed with distinct ids."""
    seed = rows_of(SEED)
    rows = []
    for i in range(n):
        row = dict(seed[i % len(seed)])
        row["id"] = f"{row['structure_id']}--copie-{i}"
        row["latitude"] = row["longitude"] = ""
        rows.append(row)
    return to_csv(rows)


@pytest.mark.slow
def test_sigkill_mid_import_leaves_database_as_before(db_path, tmp_path):
    """A real process killed while applying: nothing committed, file intact."""
    db = connect(db_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = snapshot(db)
    db.close()
    path = tmp_path / "gros.csv"
    path.write_bytes(big_file(30_000))
    env = dict(
        os.environ,
        FLASK_DATABASE=str(db_path),
        FLASK_IMPORT_MAX_ROWS="100000",
        FLASK_IMPORT_MAX_BYTES="100000000",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "directory", "import-csv", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wal = db_path.with_name(db_path.name + "-wal")
    deadline = time.monotonic() + 120
    # The transaction spills pages to the WAL while it runs: kill once it grows.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    db = connect(db_path)
    assert list(db.query("PRAGMA integrity_check"))[0]["integrity_check"] == "ok"
    assert snapshot(db) == before
    assert db["imports"].count == 0
    db.close()
