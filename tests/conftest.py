"""Shared fixtures: a real SQLite database per test, copied from session templates.

Loading the 34 902-row gazetteer takes a second, so it is done once per session
into a template file; each test gets its own copy (flaskr's fresh-db habit).
"""

import datetime
import shutil
from pathlib import Path

import pytest
from csrf_client import CsrfClient

from directory import create_app, schema
from directory.catalogue import seed
from directory.catalogue.vocabulary import besoins_choices, load_besoins
from directory.db import connect
from directory.geo.gazetteer import Gazetteer
from directory.geo.geocoders import OfflineGeocoder
from directory.imports import engine as importer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture(scope="session")
def gazetteer():
    """The real gazetteer of data/communes.csv."""
    return Gazetteer.from_csv(DATA / "communes.csv")


@pytest.fixture(scope="session")
def besoins():
    """Choices over the 16 needs of data/besoins.csv."""
    return besoins_choices(load_besoins(DATA / "besoins.csv"))


@pytest.fixture(scope="session")
def reference_db_path(tmp_path_factory):
    """Template database: schema, communes and needs, no service."""
    path = tmp_path_factory.mktemp("template") / "reference.db"
    db = connect(path)
    schema.apply(db)
    seed.load_reference_data(db, DATA)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture(scope="session")
def seeded_db_path(tmp_path_factory, reference_db_path):
    """Template database with data/services.csv imported (as `init-db` does)."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    shutil.copy(reference_db_path, path)
    app = create_app({"TESTING": True, "DATABASE": str(path)})
    with app.app_context():
        from directory.cli import init_db
        from directory.db import get_db

        _, report = init_db(get_db())
        assert report.ok, report.errors
        get_db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def copy_db(template, tmp_path, name="t.db"):
    """A private copy of a template database for one test."""
    path = tmp_path / name
    shutil.copy(template, path)
    return path


@pytest.fixture
def db_path(reference_db_path, tmp_path):
    """Path of a fresh database with reference data and no service."""
    return copy_db(reference_db_path, tmp_path)


@pytest.fixture
def db(db_path):
    """A sqlite_utils.Database on a fresh copy (reference data, no service)."""
    database = connect(db_path)
    yield database
    database.close()


def browser_like(app):
    """CSRF stays on: the test client fetches and sends the token as a browser
    does (tests/csrf_client.py); `client.post(…, csrf=False)` sends none."""
    app.test_client_class = CsrfClient
    return app


@pytest.fixture
def app(seeded_db_path, tmp_path):
    """The app on a private copy of the seeded database."""
    path = copy_db(seeded_db_path, tmp_path)
    return browser_like(create_app({"TESTING": True, "DATABASE": str(path)}))


@pytest.fixture
def empty_app(db_path):
    """The app on a database with reference data but no service."""
    return browser_like(create_app({"TESTING": True, "DATABASE": str(db_path)}))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(app):
    """A partner of each of two structures and an admin (tests/partner_helpers.py)."""
    from partner_helpers import make_users

    return make_users(app)


@pytest.fixture
def auth(client, users):
    """Log in and out through the login form, flaskr style."""
    from partner_helpers import AuthActions

    return AuthActions(client)


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 keeping what it receives (tests/mail_server.py):
    `.host`, `.port`, `.messages` (EmailMessage + `.rcpt_tos`), `configure(app)`."""
    from mail_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def prepare(db, gazetteer, besoins):
    """prepare(bytes, **options) → ImportReport against the `db` fixture."""

    def run(data, filename="test.csv", **options):
        options.setdefault("max_bytes", 2 * 1024 * 1024)
        options.setdefault("max_rows", 5000)
        options.setdefault("today", TODAY)
        return importer.prepare(
            db,
            data,
            filename,
            geocoder=OfflineGeocoder(gazetteer),
            besoins=besoins,
            **options,
        )

    return run


@pytest.fixture
def import_bytes(db, prepare):
    """import_bytes(bytes) → applied ImportReport (asserts it was clean)."""

    def run(data, filename="test.csv", user="test", **options):
        report = prepare(data, filename, **options)
        assert report.ok, [i.text for i in report.errors]
        importer.apply(db, report, user=user)
        return report

    return run


def snapshot(db):
    """Full content of the data tables, for exact before/after comparisons."""
    return {
        table: sorted(
            (tuple(sorted(row.items())) for row in db.query(f"select * from {table}")),
            key=repr,
        )
        for table in ("services", "service_besoins", "structures")
    }
