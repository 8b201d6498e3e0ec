"""A partner in a real browser: log in, upload a file with errors, read them,
upload the corrected file, confirm, and see the change on the public fiche."""

import pytest
from partner_helpers import MINE, PASSWORD, add_user, csv_bytes, seed_rows
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HALTE = f"{MINE}--halte-de-nuit-aurillac"
NEW_NAME = "Halte de nuit d'Aurillac — ouverte 7 jours sur 7"


@pytest.fixture
def partner_server(start_server, seeded_db_path):
    """A private server (the journey writes) with one partner account."""
    server = start_server(seeded_db_path)
    add_user(server.app.config["DATABASE"], "partenaire@exemple.fr", [MINE])
    return server


def partner_file(*, typo):
    rows = seed_rows(MINE)
    for row in rows:
        if row["id"] == HALTE:
            row["nom"] = NEW_NAME
            if typo:
                row["besoins"] = "logment"
    return csv_bytes(rows)


def choose_file(page, name, data):
    page.get_by_label("Fichier de vos services (CSV ou XLSX)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Vérifier le fichier").click()


def test_partner_fixes_a_file_and_sees_the_change(page, partner_server, axe):
    page.goto(partner_server.url("/"))
    page.get_by_role("link", name="Espace partenaires").first.click()
    page.wait_for_url("**/partenaires/connexion**")
    axe(page)
    page.get_by_label("Adresse e-mail").fill("partenaire@exemple.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/partenaires/")
    expect(page.locator("h1")).to_have_text("Mes services")
    expect(page.get_by_text("À vérifier").first).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Déposer un fichier modifié").click()
    page.wait_for_url("**/partenaires/import")
    axe(page)
    choose_file(page, "mes-services.csv", partner_file(typo=True))
    errors = page.locator(".erreurs-import")
    expect(errors).to_contain_text("Erreurs à corriger (1)")
    expect(errors).to_contain_text("colonne besoins")
    expect(errors).to_contain_text("vouliez-vous dire « logement » ?")
    expect(page.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
    axe(page)

    choose_file(page, "mes-services-corrige.csv", partner_file(typo=False))
    expect(page.locator("h1")).to_have_text("Aperçu de l'import")
    expect(page.locator(".bilan")).to_contain_text("1 modifié(s)")
    expect(page.locator("td.apres", has_text=NEW_NAME)).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_url("**/partenaires/historique/*")
    expect(page.get_by_role("status").first).to_contain_text("enregistré")
    axe(page)

    page.get_by_role("link", name=NEW_NAME).click()
    page.wait_for_url(f"**/services/{HALTE}")
    expect(page.locator("h1")).to_have_text(NEW_NAME)


ADMIN_PAGES = [
    "/admin/",
    "/admin/partenaires",
    "/admin/structures",
    "/admin/imports",
    "/admin/signalements",
    "/admin/a-verifier",
    "/admin/sans-adresse",
    "/partenaires/historique",
    "/partenaires/historique/1",
]


def test_admin_pages_pass_axe(page, partner_server, axe):
    add_user(partner_server.app.config["DATABASE"], "admin@exemple.fr", admin=True)
    page.goto(partner_server.url("/partenaires/connexion"))
    page.get_by_label("Adresse e-mail").fill("admin@exemple.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/")
    for path in ADMIN_PAGES:
        page.goto(partner_server.url(path))
        expect(page.locator("h1")).to_be_visible()
        axe(page)
