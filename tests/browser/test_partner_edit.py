"""A partner edits one fiche in a real browser (1280 and 375 px): the form shows
the current values, a mistake is explained next to its field, the saved change
shows on the public fiche, and « Annuler » in the history restores it."""

import pytest
from partner_helpers import MINE, PASSWORD, add_user
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HALTE = f"{MINE}--halte-de-nuit-aurillac"
OLD_NAME = "Halte de nuit d'Aurillac"
NEW_NAME = "Halte de nuit d'Aurillac (ouverte 7 j/7)"
WIDTHS = {
    "bureau": {"width": 1280, "height": 800},
    "mobile": {"width": 375, "height": 667},
}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def partner_server(start_server, seeded_db_path):
    """A private server (the journey writes) with one partner account."""
    server = start_server(seeded_db_path)
    add_user(server.app.config["DATABASE"], "partenaire@exemple.fr", [MINE])
    return server


@pytest.mark.parametrize("size", WIDTHS)
def test_partner_edits_a_fiche_then_undoes_it(page, partner_server, axe, size):
    page.set_viewport_size(WIDTHS[size])
    page.goto(partner_server.url("/partenaires/connexion"))
    page.get_by_label("Adresse e-mail").fill("partenaire@exemple.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/partenaires/")

    page.get_by_role("link", name=f"Modifier : {OLD_NAME}", exact=True).click()
    page.wait_for_url(f"**/services/{HALTE}/modifier")
    name = page.get_by_label("Nom du service")
    expect(name).to_have_value(OLD_NAME)
    expect(page.get_by_label("Logement et hébergement")).to_be_checked()
    assert page.evaluate(OVERFLOW) <= 0, "le formulaire défile horizontalement"
    axe(page)

    name.fill("AB")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.get_by_role("alert")).to_contain_text("n'a pas été enregistrée")
    expect(page.locator("#nom-erreur")).to_contain_text("trop court")
    expect(page.get_by_label("Nom du service")).to_have_attribute(
        "aria-invalid", "true"
    )
    axe(page)

    page.get_by_label("Nom du service").fill(NEW_NAME)
    page.get_by_label("Se nourrir").check()
    page.get_by_role("button", name="Enregistrer la fiche").click()
    page.wait_for_url("**/partenaires/historique/*")
    expect(page.get_by_role("status").first).to_contain_text("enregistrée")
    expect(page.locator("td.apres", has_text=NEW_NAME)).to_be_visible()
    axe(page)

    page.get_by_role("link", name=NEW_NAME).click()
    page.wait_for_url(f"**/services/{HALTE}")
    expect(page.locator("h1")).to_have_text(NEW_NAME)

    page.goto(partner_server.url("/partenaires/historique"))
    page.get_by_role("button", name="Annuler l'import").first.click()
    page.wait_for_url("**/partenaires/historique/*")
    expect(page.get_by_role("status").first).to_contain_text("annulé")
    page.goto(partner_server.url(f"/services/{HALTE}"))
    expect(page.locator("h1")).to_have_text(OLD_NAME)
