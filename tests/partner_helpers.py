"""Shared helpers of the partner-space tests: accounts, login, files, snapshots.

Imported by tests/test_auth.py, test_partners.py, test_admin.py, test_uploads.py
and tests/browser/test_partner_journey.py (which import the fixtures by name).
"""

import csv
import io
import re
from html import unescape
from pathlib import Path

from werkzeug.security import generate_password_hash

from directory.db import connect

DATA = Path(__file__).resolve().parents[1] / "data"
PASSWORD = "mot-de-passe-solide"
# A cheap hash: the tests log in often; production uses werkzeug's default.
FAST_HASH = "pbkdf2:sha256:1000"
MINE, OTHER = "anef-cantal", "udaf-cantal"
TOKEN = re.compile(r'name="jeton"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="jeton"')


def add_user(
    db_path,
    email,
    structures=(),
    *,
    admin=False,
    active=True,
    role=None,
    organisme=None,
):
    """Insert an account directly in the database; returns its id."""
    db = connect(db_path)
    try:
        with db.atomic():
            user_id = (
                db["users"]
                .insert(
                    {
                        "email": email,
                        "password_hash": generate_password_hash(
                            PASSWORD, method=FAST_HASH
                        ),
                        "is_admin": int(admin),
                        "actif": int(active),
                        "cree_le": "2026-01-01T00:00:00+00:00",
                        "role": role,
                        "organisme": organisme,
                    }
                )
                .last_pk
            )
            db["user_structures"].insert_all(
                {"user_id": user_id, "structure_id": s} for s in structures
            )
    finally:
        db.close()
    return user_id


def add_prescripteur(db_path, email, organisme="CCAS d'Aurillac", **kwargs):
    """A prescripteur's account (role 'prescripteur', no structure); its id."""
    return add_user(db_path, email, role="prescripteur", organisme=organisme, **kwargs)


class AuthActions:
    """Log a test client in and out (flaskr's AuthActions)."""

    def __init__(self, client):
        self.client = client

    def login(self, email="partenaire@exemple.fr", password=PASSWORD, **kwargs):
        return self.client.post(
            "/partenaires/connexion",
            data={"email": email, "mot_de_passe": password},
            **kwargs,
        )

    def logout(self):
        return self.client.post("/partenaires/deconnexion")


def make_users(app):
    """Two partners (structures MINE and OTHER) and an admin: {name: id}.

    Each test module wraps it in a `users` fixture, and AuthActions in `auth`.
    """
    path = app.config["DATABASE"]
    return {
        "partner": add_user(path, "partenaire@exemple.fr", [MINE]),
        "other": add_user(path, "autre@exemple.fr", [OTHER]),
        "admin": add_user(path, "admin@exemple.fr", admin=True),
    }


def text(response):
    """Response body as plain text (HTML entities decoded)."""
    return unescape(response.get_data(as_text=True))


def token_of(response):
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, "no confirmation token in the page"
    return unescape(match.group(1) or match.group(2))


def seed_rows(structure_id=None):
    """Rows of data/services.csv (of one structure)."""
    with open(DATA / "services.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if structure_id in (None, r["structure_id"])]


def csv_bytes(rows, *, delimiter=";", encoding="cp1252", columns=None):
    """Rows as a spreadsheet would save them (cp1252 and ';' by default)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(
        out, columns or list(rows[0]), delimiter=delimiter, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(client, data, filename="services.csv"):
    return client.post(
        "/partenaires/import",
        data={"fichier": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def content(db):
    """Full content of the data tables, for exact before/after comparisons
    (as conftest.snapshot, plus the needs index)."""
    return {
        table: sorted(
            (tuple(sorted(row.items())) for row in db.query(f"select * from {table}")),
            key=repr,
        )
        for table in ("services", "service_besoins", "structures")
    }


def open_db(app):
    return connect(app.config["DATABASE"])
