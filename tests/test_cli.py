"""CLI commands through Flask's runner, and a real `flask` process for env config."""

import os
import subprocess
import sys

import pytest
from conftest import DATA, ROOT
from werkzeug.security import check_password_hash

from directory import create_app
from directory.cli import COMMANDS
from directory.db import get_db


def test_init_db_builds_everything_from_data(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "new.db")})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "34\u202f902 communes chargées." in result.output
    assert "16 besoins chargés." in result.output
    with app.app_context():
        db = get_db()
        assert db["services"].count >= 35
        assert db.journal_mode == "wal"
    again = app.test_cli_runner().invoke(args=["init-db"])
    assert again.exit_code == 0
    assert "chargés" not in again.output  # an existing database is left alone


def test_import_dry_run_of_seed_is_clean(empty_app):
    result = empty_app.test_cli_runner().invoke(
        args=["import-csv", str(DATA / "services.csv"), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Erreurs bloquantes" not in result.output
    assert "Essai à blanc : rien n'a été enregistré." in result.output
    with empty_app.app_context():
        assert get_db()["services"].count == 0


def test_import_with_errors_exits_1_and_writes_nothing(runner, app, tmp_path):
    bad = tmp_path / "mauvais.csv"
    text = (DATA / "services.csv").read_text(encoding="utf-8")
    header, first, *_ = text.splitlines()
    bad.write_text(
        header
        + "\n"
        + first.replace("acces-aux-droits", "logment", 1).replace(
            first.split(",")[0], "nouveau--service", 1
        )
        + "\n",
        encoding="utf-8",
    )
    with app.app_context():
        before = get_db()["services"].count
    result = runner.invoke(args=["import-csv", str(bad)])
    assert result.exit_code == 1
    assert "Erreurs bloquantes (1)" in result.output
    assert (
        "ligne 2 · colonne besoins · « logment » inconnu — "
        "vouliez-vous dire « logement » ?" in result.output
    )
    assert "Aucune modification enregistrée" in result.output
    with app.app_context():
        assert get_db()["services"].count == before


def test_import_restricted_to_a_structure(runner, tmp_path):
    result = runner.invoke(
        args=[
            "import-csv",
            str(DATA / "services.csv"),
            "--structure",
            "anef-cantal",
            "--dry-run",
        ]
    )
    assert result.exit_code == 1
    assert "n'est pas rattachée à votre compte" in result.output


def test_export_then_reimport_changes_nothing(runner, app, tmp_path):
    out = tmp_path / "export.csv"
    result = runner.invoke(args=["export-csv", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid;statut;nom;")
    assert b"\r\n" in data
    assert b"04 71 " in data and b"+334" not in data
    result = runner.invoke(args=["import-csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "Aucune modification : la base est déjà à jour." in result.output


def test_undo_import_command(runner, app):
    with app.app_context():
        import_id = get_db()["imports"].count
    result = runner.invoke(args=["undo-import", str(import_id)])
    assert result.exit_code == 0, result.output
    assert f"Import n°{import_id} annulé" in result.output
    with app.app_context():
        assert get_db()["services"].count == 0
    result = runner.invoke(args=["undo-import", str(import_id)])
    assert result.exit_code == 1
    assert "déjà été annulé" in result.output
    result = runner.invoke(args=["undo-import", "999"])
    assert "introuvable" in result.output


def test_geocode_missing_only(runner, app):
    with app.app_context():
        db = get_db()
        row = next(db["services"].rows_where("precision_geo = 'commune'"))
        db["services"].update(row["id"], {"latitude": None, "longitude": None})
    result = runner.invoke(args=["geocode", "--missing-only", "--dry-run"])
    assert "1 services à mettre à jour" in result.output
    result = runner.invoke(args=["geocode", "--missing-only"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        again = get_db()["services"].get(row["id"])
        assert (again["latitude"], again["longitude"]) == (
            row["latitude"],
            row["longitude"],
        )


def test_create_partner_hashes_password(runner, app):
    result = runner.invoke(
        args=["create-partner", "Accueil@ANEF15.example", "--structure", "anef-cantal"],
        input="un-mot-de-passe-solide\nun-mot-de-passe-solide\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        db = get_db()
        user = next(db["users"].rows_where("email = ?", ["accueil@anef15.example"]))
        assert user["password_hash"] != "un-mot-de-passe-solide"
        assert check_password_hash(user["password_hash"], "un-mot-de-passe-solide")
        assert [r["structure_id"] for r in db["user_structures"].rows] == [
            "anef-cantal"
        ]
    again = runner.invoke(
        args=["create-partner", "accueil@anef15.example", "--structure", "anef-cantal"],
        input="un-mot-de-passe-solide\nun-mot-de-passe-solide\n",
    )
    assert again.exit_code == 1 and "existe déjà" in again.output


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["create-partner", "x@example.org", "--structure", "inconnue"],
            "Structure inconnue : inconnue",
        ),
        (
            ["create-partner", "x@example.org", "--structure", "anef-cantal"],
            "au moins 10 caractères",
        ),
    ],
)
def test_create_partner_refusals(runner, args, message):
    password = "court" if "10 caractères" in message else "assez-long-pour-passer"
    result = runner.invoke(args=args, input=f"{password}\n")
    assert result.exit_code == 1
    assert message in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_has_french_help_and_is_in_readme(runner, command):
    result = runner.invoke(args=[command.name, "--help"])
    assert result.exit_code == 0
    assert command.help and len(command.help) > 20
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{command.name}" in readme


def test_readme_gives_the_two_commands_and_ci_runs_make_test():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_flask_database_environment_variable(tmp_path):
    """FLASK_DATABASE chooses the database for every command (from_prefixed_env)."""
    target = tmp_path / "ailleurs.db"
    env = dict(os.environ, FLASK_DATABASE=str(target))
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "directory", "init-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    assert target.exists()


def test_import_shows_a_progress_bar_on_large_files(runner, app, tmp_path, monkeypatch):
    rows = (DATA / "services.csv").read_text(encoding="utf-8").splitlines()
    header, first = rows[0], rows[1]
    service_id = first.split(",")[0]
    body = [first.replace(service_id, f"{service_id}-{i}", 1) for i in range(2500)]
    big = tmp_path / "gros.csv"
    big.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    monkeypatch.setenv("DIRECTORY_PROGRESS", "1")
    with app.app_context():
        app.config["IMPORT_MAX_BYTES"] = 50_000_000
    result = runner.invoke(args=["import-csv", str(big), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Vérification" in result.stderr
    assert "2500 nouveaux" in result.output or "2 500 nouveaux" in result.output


def test_create_partner_reads_the_password_from_a_pipe(tmp_path, app):
    """Scripts pipe the password: no TTY, one line on standard input."""
    env = dict(os.environ, FLASK_DATABASE=app.config["DATABASE"])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "directory",
            "create-partner",
            "script@example.org",
            "--structure",
            "anef-cantal",
        ],
        input="mot-de-passe-de-script\n",
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Compte partenaire créé pour script@example.org" in result.stdout
    with app.app_context():
        user = next(get_db()["users"].rows_where("email = ?", ["script@example.org"]))
        assert check_password_hash(user["password_hash"], "mot-de-passe-de-script")


def many_restos(size):
    """A valid UTF-8 CSV of at least `size` bytes: Restos rows, distinct ids."""
    from make_corpus import COLUMNS, restos, rows_of, text_table

    header = text_table(COLUMNS, []).encode("utf-8")
    template = text_table(COLUMNS, rows_of([restos("murat-{}", "Murat", "15300")]))
    template = template.split("\r\n", 1)[1]
    chunks, total, number = [header], len(header), 0
    while total < size:
        row = template.replace("murat-{}", f"murat-{number}").encode("utf-8")
        chunks.append(row)
        total, number = total + len(row), number + 1
    return b"".join(chunks), number


@pytest.mark.slow
def test_cli_import_has_no_web_upload_limits(runner, app, tmp_path):
    """A 13 MB file (far over 2 MB and 5 000 rows) goes through the CLI."""
    data, count = many_restos(13 * 1024 * 1024)
    assert count > 5000
    path = tmp_path / "departement.csv"
    path.write_bytes(data)
    del data
    result = runner.invoke(args=["import-csv", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "limite" not in result.output
    assert f"{count} lignes de services lues" in result.output
    assert f"{count} nouveaux" in result.output
    assert "Essai à blanc" in result.output


def test_cli_import_max_rows_option(runner, app, tmp_path):
    data, count = many_restos(20_000)
    path = tmp_path / "lignes.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["import-csv", str(path), "--max-rows", "3"])
    assert result.exit_code == 1
    assert "plus de 3 lignes de services" in result.output
    with app.app_context():
        assert get_db()["services"].count_where("id like 'restos%murat-%'") == 0
    result = runner.invoke(args=["import-csv", str(path), "--max-rows", str(count)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_db()["services"].count_where("id like 'restos%murat-%'") == count


def test_cli_import_dates_rows_of_the_day_only_when_asked(runner, app):
    """Issue 10.10: `--date-du-jour` re-dates every row sent, as a partner's
    upload does; by default the file's own dates are kept (bulk loads)."""
    import datetime

    from directory.search.hours import PARIS

    app.config["CLOCK"] = lambda: datetime.datetime(2027, 1, 4, 9, tzinfo=PARIS)
    seed = str(DATA / "services.csv")
    result = runner.invoke(args=["import-csv", seed])
    assert "Aucune modification : la base est déjà à jour." in result.output
    result = runner.invoke(args=["import-csv", seed, "--date-du-jour"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db = get_db()
        count = db["services"].count
        dates = {r["date_maj"] for r in db.query("select date_maj from services")}
    assert dates == {"2027-01-04"}
    assert (
        f"{count} fiches inchangées : leur date de mise à jour est passée au "
        "04/01/2027." in result.output
    )


@pytest.mark.slow
def test_reading_a_large_file_never_copies_it(tmp_path):
    """Memory stays bounded: the reader streams over the bytes, no second copy."""
    import tracemalloc

    from directory.imports.read import read_file

    data, count = many_restos(13 * 1024 * 1024)
    tracemalloc.start()
    try:
        table = read_file(data, "gros.csv", max_bytes=len(data) + 1, max_rows=count)
        read = sum(1 for _ in table.rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == count and not table.issues
    assert peak < len(data) / 2, peak  # a copy alone would be len(data)


def test_cli_import_streams_the_file_and_spools_its_rows(
    runner, app, tmp_path, monkeypatch
):
    """The file is read by chunks (never whole), its rows spilled to disk and
    copied into the database: every service written, audited once."""
    from pathlib import Path

    from directory.imports import apply as apply_module
    from directory.imports import spool

    data, count = many_restos(200_000)
    path = tmp_path / "departement.csv"
    path.write_bytes(data)

    def whole(self):
        raise AssertionError(f"{self} read whole")

    copied = []

    def insert_spooled(*args, **options):
        copied.append(args)
        return original(*args, **options)

    original = apply_module.insert_spooled
    monkeypatch.setattr(apply_module, "insert_spooled", insert_spooled)
    monkeypatch.setattr(Path, "read_bytes", whole)
    monkeypatch.setattr(spool, "SPOOL_AT", 50)
    result = runner.invoke(args=["import-csv", str(path)])
    assert result.exit_code == 0, result.output
    assert len(copied) == 1  # the rows went through the scratch file
    assert f"{count} nouveaux" in result.output
    with app.app_context():
        db = get_db()
        assert db["services"].count_where("id like 'restos%murat-%'") == count
        [(import_id,)] = db.execute("select max(id) from imports").fetchall()
        assert (
            db["changes"].count_where(
                "import_id = ? and action = 'creation'", [import_id]
            )
            == count
        )
