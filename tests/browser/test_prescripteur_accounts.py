"""The admin creates a prescripteur's account in a real browser, at 1280 and
375 px: the refusal (no organisme) and the list pass axe, nothing scrolls
sideways, and the new account lands where a prescripteur should."""

import pytest
from partner_helpers import PASSWORD, add_user
from playwright.sync_api import expect

from .test_closures import OVERFLOW, WIDTHS

pytestmark = pytest.mark.browser

EMAIL = "assistante@ccas-aurillac.fr"


@pytest.fixture
def admin_server(start_server, seeded_db_path):
    """A private server (the test writes) with an admin account."""
    server = start_server(seeded_db_path)
    add_user(server.app.config["DATABASE"], "admin@exemple.fr", admin=True)
    return server


def log_in(page, server, email, password=PASSWORD):
    page.goto(server.url("/partenaires/connexion"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def check_page(page, axe):
    scroll, culprits = page.evaluate(OVERFLOW)
    assert scroll <= 0, f"{page.url} défile horizontalement : {culprits}"
    axe(page)


@pytest.mark.parametrize("size", WIDTHS)
def test_admin_creates_a_prescripteur(page, admin_server, axe, size):
    page.set_viewport_size(WIDTHS[size])
    log_in(page, admin_server, "admin@exemple.fr")
    page.wait_for_url("**/admin/")
    page.goto(admin_server.url("/admin/partenaires"))
    form = page.locator("form[aria-labelledby=titre-creer]")
    form.get_by_label("Adresse e-mail").fill(EMAIL)
    form.get_by_label("Mot de passe (au moins 10 caractères)").fill("un-mot-de-passe")
    form.get_by_label("Prescripteur (oriente des personnes vers les services)").check()
    form.get_by_role("button", name="Créer le compte").click()
    error = page.locator("#organisme-erreur")
    expect(error).to_contain_text("Indiquez l'organisme du prescripteur")
    expect(page.get_by_label("Organisme (pour un prescripteur)")).to_have_attribute(
        "aria-invalid", "true"
    )
    check_page(page, axe)

    form = page.locator("form[aria-labelledby=titre-creer]")
    form.get_by_label("Mot de passe (au moins 10 caractères)").fill("un-mot-de-passe")
    form.get_by_label("Organisme (pour un prescripteur)").fill("CCAS d'Aurillac")
    form.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Compte créé pour {EMAIL}"
    )
    row = page.get_by_role("row").filter(has_text=EMAIL)
    expect(row).to_contain_text("prescripteur")
    expect(row).to_contain_text("CCAS d'Aurillac")
    check_page(page, axe)

    page.context.clear_cookies()
    log_in(page, admin_server, EMAIL, "un-mot-de-passe")
    page.wait_for_load_state()
    expect(page.locator("footer a", has_text="Données personnelles")).to_be_visible()
    assert "/partenaires/connexion" not in page.url
    check_page(page, axe)
