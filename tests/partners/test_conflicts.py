"""Admin page « Conflits »: a source's value against a partner's correction,
both decisions audited and undoable."""

import json

import pytest
from conftest import TODAY
from flask import url_for
from partner_helpers import open_db, text

from directory.geo.geocoders import OfflineGeocoder
from directory.imports import engine as importer
from directory.imports.apply import apply_edits
from directory.imports.external import prepare_external

SERVICE = "dora--epicerie"


def source_row(**values):
    row = {
        "id": SERVICE,
        "statut": "actif",
        "nom": "Épicerie solidaire de la source",
        "description": "Aide alimentaire.",
        "structure_id": "dora-epicerie",
        "structure_nom": "Épicerie solidaire",
        "besoins": "alimentation",
        "publics": "tous-publics",
        "frais": "gratuit",
        "modalites_acces": "acces-libre",
        "code_postal": "15000",
        "commune": "Aurillac",
        "telephone": "04 71 00 00 01",
        "date_maj": "2026-10-01",
        "source": "dora",
        "lien_source": "https://dora.inclusion.beta.gouv.fr/services/x",
    }
    row.update(values)
    return row


def run_import(db, gazetteer, besoins, row):
    report = prepare_external(
        db,
        [(2, row)],
        origin="API data·inclusion",
        sources=["dora"],
        seen_ids=[],
        geocoder=OfflineGeocoder(gazetteer),
        besoins=besoins,
        today=TODAY,
    )
    assert report.ok
    importer.apply(db, report, user="import")
    return report


@pytest.fixture
def conflict(app, gazetteer, besoins):
    """A service imported, corrected on its fiche by a partner, imported again
    with another value: one open conflict on `nom` and one on `besoins`."""
    with open_db(app) as db:
        run_import(db, gazetteer, besoins, source_row())
        apply_edits(
            db,
            {
                SERVICE: {
                    "nom": "Épicerie du quartier",
                    "besoins": "alimentation, budget",
                    "besoins_libelles": "Se nourrir, Budget",
                }
            },
            user="partenaire@exemple.fr",
            label="fiche",
        )
        report = run_import(
            db,
            gazetteer,
            besoins,
            source_row(nom="Épicerie solidaire renommée", besoins="energie"),
        )
        assert [c["champ"] for c in report.conflicts] == ["nom", "besoins"]
        ids = {r["champ"]: r["id"] for r in db["conflits"].rows}
    return ids


@pytest.fixture
def admin(auth):
    auth.login("admin@exemple.fr")
    return auth.client


def state(app):
    with open_db(app) as db:
        service = db["services"].get(SERVICE)
        needs = sorted(
            r["besoin"]
            for r in db["service_besoins"].rows_where("service_id = ?", [SERVICE])
        )
        statuses = {r["champ"]: r["statut"] for r in db["conflits"].rows}
    return service["nom"], service["besoins"], needs, statuses


def last_import(app):
    with open_db(app) as db:
        return next(db.query("select max(id) as id from imports"))["id"]


def test_page_shows_both_values_side_by_side(app, admin, conflict):
    page = text(admin.get("/admin/conflits"))
    assert "La source dit" in page and "Le partenaire a corrigé" in page
    assert "Épicerie solidaire renommée" in page
    assert "Épicerie du quartier" in page
    with app.test_request_context():
        link = url_for("public.service", service_id=SERVICE)
    assert f'href="{link}"' in page
    assert "Garder la correction" in page
    assert "Prendre la valeur de la source" in page
    assert "<strong>2</strong> conflit(s) à arbitrer" in text(admin.get("/admin/"))


def test_keep_the_correction_is_audited_and_undoable(app, admin, conflict):
    response = admin.post(f"/admin/conflits/{conflict['nom']}/garder")
    assert response.status_code == 302
    page = text(admin.get("/admin/conflits"))
    assert "la correction locale est gardée" in page
    assert state(app)[0] == "Épicerie du quartier"
    assert state(app)[3]["nom"] == "garde-local"
    import_id = last_import(app)
    with open_db(app) as db:
        change = next(db["changes"].rows_where("import_id = ?", [import_id]))
    assert (change["action"], json.loads(change["apres"])) == (
        "conflit",
        "garde-local",
    )
    assert admin.post(f"/partenaires/historique/{import_id}/annuler").status_code == 302
    assert state(app)[3]["nom"] == "ouvert"


def test_take_the_source_value_is_audited_and_undoable(app, admin, conflict):
    before = state(app)
    assert before[:3] == (
        "Épicerie du quartier",
        "alimentation, budget",
        ["alimentation", "budget"],
    )
    admin.post(f"/admin/conflits/{conflict['nom']}/prendre")
    admin.post(f"/admin/conflits/{conflict['besoins']}/prendre")
    nom, needs, index, statuses = state(app)
    assert (nom, needs, index) == (
        "Épicerie solidaire renommée",
        "energie",
        ["energie"],
    )
    assert statuses == {"nom": "pris-source", "besoins": "pris-source"}
    assert "Aucun conflit à arbitrer." in text(admin.get("/admin/conflits"))
    with open_db(app) as db:
        assert db["services"].get(SERVICE)["besoins_libelles"] == "Énergie et factures"
    taken = last_import(app)
    admin.post(f"/partenaires/historique/{taken}/annuler")
    admin.post(f"/partenaires/historique/{taken - 1}/annuler")
    assert state(app) == before


def test_taken_field_follows_the_source_again(app, admin, conflict, gazetteer, besoins):
    admin.post(f"/admin/conflits/{conflict['nom']}/prendre")
    with open_db(app) as db:
        report = run_import(
            db,
            gazetteer,
            besoins,
            source_row(nom="Épicerie solidaire, nouveau nom", besoins="energie"),
        )
        assert not report.conflicts
        assert db["services"].get(SERVICE)["nom"] == "Épicerie solidaire, nouveau nom"


def test_a_kept_correction_is_not_noted_again(app, admin, conflict, gazetteer, besoins):
    admin.post(f"/admin/conflits/{conflict['nom']}/garder")
    with open_db(app) as db:
        again = source_row(nom="Épicerie solidaire renommée", besoins="energie")
        report = prepare_external(
            db,
            [(2, again)],
            origin="API data·inclusion",
            sources=["dora"],
            seen_ids=[],
            geocoder=OfflineGeocoder(gazetteer),
            besoins=besoins,
            today=TODAY,
        )
        assert not report.conflicts and not report.writes
        # A new value from the source is a new disagreement.
        report = run_import(
            db, gazetteer, besoins, source_row(nom="Autre nom", besoins="energie")
        )
        assert [c["champ"] for c in report.conflicts] == ["nom"]


def test_a_decided_conflict_cannot_be_decided_again(app, admin, conflict):
    admin.post(f"/admin/conflits/{conflict['nom']}/garder")
    admin.post(f"/admin/conflits/{conflict['nom']}/prendre")
    assert "a déjà été arbitré" in text(admin.get("/admin/conflits"))
    assert state(app)[0] == "Épicerie du quartier"


def test_guards(app, client, auth, conflict):
    url = f"/admin/conflits/{conflict['nom']}/prendre"
    assert client.get("/admin/conflits").status_code == 302  # login first
    auth.login("partenaire@exemple.fr")
    assert client.get("/admin/conflits").status_code == 403
    assert client.post(url).status_code == 403
    auth.logout()
    auth.login("admin@exemple.fr")
    assert client.post(url, csrf=False).status_code == 400
    assert client.post("/admin/conflits/9999/prendre").status_code == 404
    assert client.get("/admin/conflits?statut=<script>").status_code == 200
    assert state(app)[3]["nom"] == "ouvert"


def test_taking_the_source_place_writes_it_whole(app, admin, gazetteer, besoins):
    with open_db(app) as db:
        run_import(db, gazetteer, besoins, source_row())
        apply_edits(
            db,
            {
                SERVICE: {
                    "adresse": "3 rue des Carmes",
                    "latitude": 44.9264,
                    "longitude": 2.4422,
                    "precision_geo": "manuel",
                }
            },
            user="partenaire@exemple.fr",
            label="fiche",
        )
        run_import(
            db,
            gazetteer,
            besoins,
            source_row(code_postal="15100", commune="Saint-Flour"),
        )
        before = db["services"].get(SERVICE)
        (conflict,) = db["conflits"].rows
    page = text(admin.get("/admin/conflits"))
    assert "lieu (adresse, commune, point sur la carte)" in page
    assert "3 rue des Carmes, 15000 Aurillac (point 44.9264, 2.4422)" in page
    assert "15100 Saint-Flour (point " in page
    admin.post(f"/admin/conflits/{conflict['id']}/prendre")
    with open_db(app) as db:
        after = db["services"].get(SERVICE)
    assert (after["adresse"], after["commune"], after["code_insee"]) == (
        None,
        "Saint-Flour",
        "15187",
    )
    assert after["precision_geo"] != "manuel"
    assert (after["latitude"], after["longitude"]) != (44.9264, 2.4422)
    admin.post(f"/partenaires/historique/{last_import(app)}/annuler")
    with open_db(app) as db:
        assert db["services"].get(SERVICE) == before


def test_decision_shows_in_the_import_history(app, admin, conflict):
    admin.post(f"/admin/conflits/{conflict['nom']}/garder")
    page = text(admin.get(f"/partenaires/historique/{last_import(app)}"))
    assert f"Conflit n°{conflict['nom']}" in page
    assert "fiche supprimée" not in page
    assert "garde-local" in page
