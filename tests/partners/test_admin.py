"""Admin pages: accounts, structures, imports, public reports, data quality."""

import datetime
import re

import pytest
from partner_helpers import (
    MINE,
    OTHER,
    PASSWORD,
    AuthActions,
    csv_bytes,
    open_db,
    seed_rows,
    text,
    token_of,
    upload,
)

from directory.search.hours import PARIS


@pytest.fixture
def admin(app, auth):
    app.config["CLOCK"] = lambda: datetime.datetime(2026, 11, 26, 10, tzinfo=PARIS)
    auth.login("admin@exemple.fr")
    return auth.client


def test_overview_counts(admin):
    page = text(admin.get("/admin/"))
    assert "<strong>3</strong> compte(s)" in page
    assert re.search(r"<strong>\d+</strong> fiche\(s\) à vérifier", page)


def test_admin_creates_a_partner_who_can_log_in(app, admin):
    response = admin.post(
        "/admin/partenaires",
        data={
            "email": "Nouveau@Exemple.fr ",
            "mot_de_passe": "un-mot-de-passe",
            "structures": f"{MINE}, {OTHER}",
        },
    )
    assert response.status_code == 302
    assert "Compte créé pour nouveau@exemple.fr." in text(
        admin.get("/admin/partenaires")
    )
    with open_db(app) as db:
        user = next(db["users"].rows_where("email = 'nouveau@exemple.fr'"))
        assert user["password_hash"].startswith(("scrypt:", "pbkdf2:"))
        assert "un-mot-de-passe" not in user["password_hash"]
        owned = {
            r["structure_id"]
            for r in db["user_structures"].rows_where("user_id = ?", [user["id"]])
        }
    assert owned == {MINE, OTHER}
    partner = AuthActions(app.test_client())
    assert partner.login("nouveau@exemple.fr", "un-mot-de-passe").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "partenaire@exemple.fr", "structures": MINE}, "existe déjà"),
        ({"email": "x@exemple.fr", "structures": "inconnue"}, "Structure inconnue"),
        ({"email": "x@exemple.fr", "structures": ""}, "au moins une structure"),
        (
            {"email": "x@exemple.fr", "structures": MINE, "mot_de_passe": "court"},
            "au moins 10 caractères",
        ),
        ({"email": "pas-une-adresse", "structures": MINE}, "Adresse e-mail invalide"),
    ],
)
def test_bad_account_creation_is_refused_in_french(app, admin, data, message):
    data = {"mot_de_passe": PASSWORD, **data}
    response = admin.post("/admin/partenaires", data=data)
    assert response.status_code == 400
    assert message in text(response)
    with open_db(app) as db:
        assert db["users"].count == 3


def test_attach_detach_and_disable_a_partner(app, admin, users):
    partner = AuthActions(app.test_client())
    partner.login()
    assert f"{OTHER}--aurillac" not in text(partner.client.get("/partenaires/"))
    admin.post(
        f"/admin/partenaires/{users['partner']}/structures",
        data={"structure_id": OTHER},
    )
    assert f"{OTHER}--aurillac" in text(partner.client.get("/partenaires/"))
    admin.post(f"/admin/partenaires/{users['partner']}/structures/{OTHER}/retirer")
    assert f"{OTHER}--aurillac" not in text(partner.client.get("/partenaires/"))
    admin.post(f"/admin/partenaires/{users['partner']}/desactiver")
    assert partner.client.get("/partenaires/").status_code == 302
    assert "désactivé" in text(partner.login())
    admin.post(f"/admin/partenaires/{users['partner']}/reactiver")
    assert partner.login().status_code == 302


def test_admin_cannot_disable_itself(app, admin, users):
    admin.post(f"/admin/partenaires/{users['admin']}/desactiver")
    assert admin.get("/admin/").status_code == 200


def test_create_and_disable_a_structure(app, admin, users):
    response = admin.post(
        "/admin/structures", data={"id": "epicerie-murat", "nom": "Épicerie de Murat"}
    )
    assert response.status_code == 302
    page = text(admin.get("/admin/structures"))
    assert "Structure « epicerie-murat » créée." in page
    bad = admin.post("/admin/structures", data={"id": "Épicerie!", "nom": "Épicerie"})
    assert bad.status_code == 400
    assert "Identifiant de structure invalide" in text(bad)
    # A disabled structure: its partner can no longer change its services.
    partner = AuthActions(app.test_client())
    partner.login()
    admin.post(f"/admin/structures/{MINE}/desactiver")
    response = partner.client.post(
        f"/partenaires/services/{MINE}--halte-de-nuit-aurillac/a-jour"
    )
    assert response.status_code == 403
    assert "Aucune structure active" in text(partner.client.get("/partenaires/"))
    admin.post(f"/admin/structures/{MINE}/reactiver")
    assert "Halte de nuit" in text(partner.client.get("/partenaires/"))


def test_all_imports_are_listed(app, admin):
    page = text(admin.get("/admin/imports"))
    assert "init-db" in page
    assert 'href="/partenaires/historique/1"' in page


def test_public_reports_can_be_handled(app, admin):
    with open_db(app) as db:
        db["signalements"].insert_all(
            [
                {
                    "service_id": f"{MINE}--halte-de-nuit-aurillac",
                    "message": "Le numéro affiché ne répond plus.",
                    "courriel": "usager@exemple.fr",
                    "statut": "nouveau",
                    "cree_le": "2026-11-20T09:00:00Z",
                    "adresse_ip_hash": "abc",
                },
                {
                    "service_id": f"{OTHER}--aurillac",
                    "message": "Les horaires ont changé en septembre.",
                    "statut": "traite",
                    "cree_le": "2026-10-01T09:00:00Z",
                    "adresse_ip_hash": "def",
                },
            ]
        )
    page = text(admin.get("/admin/signalements"))
    assert "Le numéro affiché ne répond plus." in page
    assert "Les horaires ont changé" not in page
    assert "Les horaires ont changé" in text(
        admin.get("/admin/signalements?statut=traite")
    )
    response = admin.post("/admin/signalements/1/traiter?statut=nouveau")
    assert response.status_code == 302
    assert "Aucun signalement." in text(admin.get(response.location))
    with open_db(app) as db:
        assert db["signalements"].get(1)["statut"] == "traite"
    admin.post("/admin/signalements/1/rouvrir")
    with open_db(app) as db:
        assert db["signalements"].get(1)["statut"] == "nouveau"
    assert admin.post("/admin/signalements/99/traiter").status_code == 404


def test_stale_entries_list(admin):
    page = text(admin.get("/admin/a-verifier"))
    listed = set(re.findall(r'href="/services/([^"]+)"', page))
    cutoff = "2026-05-26"
    expected = {
        r["id"]
        for r in seed_rows()
        if r["statut"] != "ferme" and r["date_maj"] < cutoff
    }
    assert listed == expected
    assert f"{len(expected)} fiche(s)" in page


def test_services_without_exact_address_list(app, admin):
    exact, no_street = f"{MINE}--halte-de-nuit-aurillac", f"{OTHER}--aurillac"
    with open_db(app) as db:
        db["services"].update(exact, {"precision_geo": "adresse"})
        db["services"].update(no_street, {"precision_geo": "adresse", "adresse": ""})
        closed = f"{MINE}--ecoute-itinerante-salers"
        db["services"].update(closed, {"statut": "ferme"})
        open_ids = {r["id"] for r in db.query("select id from services")} - {closed}
    # The seed's street addresses with coordinates are precise (entered by hand).
    placed = {r["id"] for r in seed_rows() if r["adresse"] and r["latitude"]}
    page = text(admin.get("/admin/sans-adresse"))
    listed = set(re.findall(r'href="/services/([^"]+)"', page))
    assert no_street in listed
    assert listed == open_ids - {exact} - placed
    assert f"{len(listed)} fiche(s)" in page


def test_seeded_services_with_address_and_coordinates_are_precise(admin):
    """After init-db, only the services at their commune's centre are listed."""
    rows = seed_rows()
    placed = {r["id"] for r in rows if r["adresse"] and r["latitude"]}
    at_centre = {r["id"] for r in rows if not (r["adresse"] and r["latitude"])}
    assert placed and at_centre
    page = text(admin.get("/admin/sans-adresse"))
    listed = set(re.findall(r'href="/services/([^"]+)"', page))
    assert listed == at_centre
    assert f"<strong>{len(at_centre)}</strong> fiche(s) sans adresse" in text(
        admin.get("/admin/")
    )
    assert "centre de la commune" in page


def test_hand_coordinates_at_the_chef_lieu_are_not_precise(app, admin):
    """A point equal to the commune's own centre (a re-imported export) stays
    imprecise; a real street point entered by hand is precise."""
    with open_db(app) as db:
        aurillac = next(db["communes"].rows_where("code_insee = ?", ["15014"]))
        row = next(r for r in seed_rows(OTHER) if r["id"] == f"{OTHER}--aurillac")
        centre = dict(row, id=f"{OTHER}--au-centre", adresse="10 rue de la Paix")
        centre.update(latitude=str(aurillac["latitude"]))
        centre.update(longitude=str(aurillac["longitude"]))
        street = dict(
            centre, id=f"{OTHER}--rue", latitude="44.9260", longitude="2.4400"
        )
    partner_file = csv_bytes([centre, street])
    auth = AuthActions(app.test_client())
    auth.login("autre@exemple.fr")
    preview = upload(auth.client, partner_file)
    assert preview.status_code == 200, text(preview)
    auth.client.post("/partenaires/import/confirmer", data={"jeton": token_of(preview)})
    with open_db(app) as db:
        precision = {
            r["id"]: r["precision_geo"]
            for r in db.query(
                "select id, precision_geo from services where id in (?, ?)",
                [centre["id"], street["id"]],
            )
        }
    assert precision == {centre["id"]: "commune", street["id"]: "manuel"}
    listed = set(
        re.findall(r'href="/services/([^"]+)"', text(admin.get("/admin/sans-adresse")))
    )
    assert centre["id"] in listed
    assert street["id"] not in listed
