"""A partner declares a temporary closure in a real browser (1280 and 375 px):
a mistake is explained next to its field, the saved closure is listed and shown
on the public fiche's banner, a hostile reason stays text, « Retirer » ends it;
axe finds no serious violation on any of these pages (issue 13, acceptance
2, 4 and 5)."""

import datetime

import pytest
from partner_helpers import MINE, PASSWORD, add_user
from playwright.sync_api import expect

from directory.search.hours import PARIS

pytestmark = pytest.mark.browser

HALTE = f"{MINE}--halte-de-nuit-aurillac"
NAME = "Halte de nuit d'Aurillac"
MOTIF = "<img src=x onerror=window.__pwned=1> `${window.__pwned=2}` travaux"
WIDTHS = {
    "bureau": {"width": 1280, "height": 800},
    "mobile": {"width": 375, "height": 667},
}
# How far the page scrolls sideways, and the elements sticking out on the right.
OVERFLOW = """
() => [
  document.documentElement.scrollWidth - window.innerWidth,
  [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5).map((el) => el.outerHTML.slice(0, 120)),
]
"""


@pytest.fixture
def partner_server(start_server, seeded_db_path):
    """A private server (the journey writes) with a partner and an admin."""
    server = start_server(seeded_db_path)
    add_user(server.app.config["DATABASE"], "partenaire@exemple.fr", [MINE])
    add_user(server.app.config["DATABASE"], "admin@exemple.fr", admin=True)
    return server


def log_in(page, server, email):
    page.goto(server.url("/partenaires/connexion"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/" + ("admin/" if "admin" in email else "partenaires/"))


def check_page(page, axe):
    scroll, culprits = page.evaluate(OVERFLOW)
    assert scroll <= 0, f"{page.url} défile horizontalement : {culprits}"
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator("img[src=x], [onerror]").count() == 0
    axe(page)


@pytest.mark.parametrize("size", WIDTHS)
def test_partner_declares_then_withdraws_a_closure(page, partner_server, axe, size):
    page.set_viewport_size(WIDTHS[size])
    today = datetime.datetime.now(PARIS).date()
    end = today + datetime.timedelta(days=10)
    log_in(page, partner_server, "partenaire@exemple.fr")
    page.get_by_role(
        "link", name=f"Fermetures et horaires exceptionnels : {NAME}", exact=True
    ).click()
    page.wait_for_url(f"**/services/{HALTE}/fermetures")
    expect(page.locator("h1")).to_have_text("Fermetures et horaires exceptionnels")
    check_page(page, axe)

    page.get_by_label("Premier jour").fill(end.isoformat())
    page.get_by_label("Dernier jour (inclus)").fill(today.isoformat())
    page.get_by_role("button", name="Enregistrer la période").click()
    expect(page.get_by_role("alert")).to_contain_text("n'a pas été enregistrée")
    expect(page.locator("#fin-erreur")).to_contain_text("le jour du début ou après")
    expect(page.get_by_label("Dernier jour (inclus)")).to_have_attribute(
        "aria-invalid", "true"
    )
    check_page(page, axe)

    page.get_by_label("Premier jour").fill(today.isoformat())
    page.get_by_label("Dernier jour (inclus)").fill(end.isoformat())
    page.get_by_label("Motif affiché au public (facultatif)").fill(MOTIF)
    page.get_by_role("button", name="Enregistrer la période").click()
    expect(page.get_by_role("status").first).to_contain_text("Enregistré : Fermé")
    row = page.locator("ul.periodes > li")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(MOTIF)
    expect(row).to_contain_text("en cours")
    check_page(page, axe)

    page.get_by_role("link", name="voir la fiche publique").click()
    page.wait_for_url(f"**/services/{HALTE}")
    banner = page.locator("#fermetures")
    expect(banner).to_contain_text("Fermé ")
    expect(banner).to_contain_text(MOTIF)
    expect(page.locator(".etat-ferme")).to_contain_text("Fermé")
    page.locator(".carte .leaflet-marker-icon").first.wait_for()
    check_page(page, axe)

    page.go_back()
    page.get_by_role("button", name="Retirer").click()
    expect(page.get_by_role("status").first).to_contain_text("Retiré")
    expect(page.locator("ul.periodes")).to_have_count(0)
    check_page(page, axe)
    page.goto(partner_server.url(f"/services/{HALTE}"))
    expect(page.locator("#fermetures")).to_have_count(0)


@pytest.mark.parametrize("size", WIDTHS)
def test_admin_overview_of_closures(page, partner_server, axe, size):
    page.set_viewport_size(WIDTHS[size])
    log_in(page, partner_server, "admin@exemple.fr")
    page.goto(partner_server.url(f"/partenaires/services/{HALTE}/fermetures"))
    today = datetime.datetime.now(PARIS).date()
    page.get_by_label("Complet / liste d'attente").check()
    page.get_by_label("Premier jour").fill(today.isoformat())
    page.get_by_label("Dernier jour (inclus)").fill(today.isoformat())
    page.get_by_role("button", name="Enregistrer la période").click()
    expect(page.get_by_role("status").first).to_contain_text("Complet")
    page.goto(partner_server.url("/admin/fermetures"))
    expect(page.locator("table.tableau tbody tr")).to_contain_text(NAME)
    check_page(page, axe)
    page.get_by_label("Déclarer pour un service : son identifiant").fill("inconnu")
    page.get_by_role("button", name="Ouvrir").click()
    expect(page.locator("#service-erreur")).to_contain_text("inconnu")
    check_page(page, axe)
    page.get_by_label("Déclarer pour un service : son identifiant").fill(HALTE)
    page.get_by_role("button", name="Ouvrir").click()
    page.wait_for_url(f"**/services/{HALTE}/fermetures")
    check_page(page, axe)
