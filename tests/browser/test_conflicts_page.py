"""The admin's « Conflits » page in a real browser: readable (axe), and
« Prendre la valeur de la source » works with the page's own form."""

import pytest
from partner_helpers import PASSWORD, add_user
from playwright.sync_api import expect

from directory.db import connect

pytestmark = pytest.mark.browser


@pytest.fixture
def server(start_server, seeded_db_path):
    """A private server whose database holds one open conflict on a seed service."""
    server = start_server(seeded_db_path)
    path = server.app.config["DATABASE"]
    add_user(path, "admin@exemple.fr", admin=True)
    db = connect(path)
    service = next(db.query("select id, nom from services order by id limit 1"))
    with db.conn:
        import_id = (
            db["imports"]
            .insert(
                {
                    "utilisateur": "import",
                    "fichier": "API data·inclusion",
                    "cree_le": "2026-11-26T10:00:00+00:00",
                    "lignes": 1,
                    "nouveaux": 0,
                    "modifies": 0,
                    "inchanges": 1,
                    "fermes": 0,
                    "statut": "applique",
                    "genre": "datainclusion",
                }
            )
            .last_pk
        )
        db["conflits"].insert(
            {
                "import_id": import_id,
                "service_id": service["id"],
                "champ": "nom",
                "valeur_source": '"Nom donné par la source"',
                "valeur_locale": f'"{service["nom"]}"',
                "statut": "ouvert",
                "cree_le": "2026-11-26T10:00:00+00:00",
            }
        )
    db.close()
    server.service = service
    return server


def test_admin_takes_the_source_value(page, server, axe):
    page.goto(server.url("/partenaires/connexion"))
    page.get_by_label("Adresse e-mail").fill("admin@exemple.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="1 conflit(s) à arbitrer").click()
    page.wait_for_url("**/admin/conflits")
    expect(page.locator("td.valeur-source")).to_have_text("Nom donné par la source")
    expect(page.locator("td.valeur-locale")).to_have_text(server.service["nom"])
    axe(page)
    page.get_by_role("button", name="Prendre la valeur de la source").click()
    page.wait_for_url("**/admin/conflits")
    expect(page.get_by_role("status").first).to_contain_text(
        "la valeur de la source est enregistrée"
    )
    expect(page.get_by_text("Aucun conflit à arbitrer.")).to_be_visible()
    axe(page)
    page.goto(server.url(f"/services/{server.service['id']}"))
    expect(page.locator("h1")).to_have_text("Nom donné par la source")
