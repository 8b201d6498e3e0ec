"""Orientations in a real browser at 1280 and 375 px (issue 14, acceptance 4
and 5): a prescripteur orients a person from a fiche, the partner refuses in
its space, a service without account answers through its signed link, the
admin reads the counts. Every page: axe finds no serious or critical
violation, nothing scrolls sideways at 375 px, hostile text stays inert."""

import re

import pytest
from partner_helpers import MINE, PASSWORD, add_prescripteur, add_user
from playwright.sync_api import expect

from .test_closures import OVERFLOW, WIDTHS
from .test_xss import INJECTED, NOM, PAYLOAD

pytestmark = pytest.mark.browser

HALTE = f"{MINE}--halte-de-nuit-aurillac"
ALLANCHE = "france-services-allanche--accueil"
PMI = "departement-cantal--pmi-prevention-prenatale-postnatale"
PRESCRIPTEUR = "prescripteur@ccas-aurillac.fr"
MOTIF = PAYLOAD["description"]
MESSAGE = PAYLOAD["mobilisation_precisions"]


@pytest.fixture
def server(start_server, seeded_db_path, smtp_server):
    """A private server (the journey writes) sending its e-mail to the test's
    SMTP server, with a prescripteur, a partner of MINE and an admin."""
    server = start_server(seeded_db_path)
    path = server.app.config["DATABASE"]
    add_user(path, "partenaire@exemple.fr", [MINE])
    add_user(path, "admin@exemple.fr", admin=True)
    add_prescripteur(path, PRESCRIPTEUR, organisme=PAYLOAD["conditions_acces"])
    smtp_server.configure(server.app)
    return server


def log_in(page, server, email, landing):
    page.goto(server.url("/partenaires/connexion"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**" + landing)


def check_page(page, axe):
    scroll, culprits = page.evaluate(OVERFLOW)
    assert scroll <= 0, f"{page.url} défile horizontalement : {culprits}"
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator(INJECTED).count() == 0
    axe(page)


def fill_form(page, *, prenom=NOM, contact="06 12 34 56 78", consent=True):
    page.get_by_label("Prénom de la personne").fill(prenom)
    page.get_by_label("Initiale de son nom").fill("D")
    page.get_by_label("Contact de la personne (facultatif)").fill(contact)
    box = page.get_by_label("La personne accepte que ses coordonnées soient transmises")
    box.check() if consent else box.uncheck()
    page.get_by_label("Motif de l'orientation").fill(MOTIF)
    page.get_by_role("button", name="Envoyer l'orientation").click()


@pytest.mark.parametrize("size", WIDTHS)
def test_orientation_journey(page, server, smtp_server, axe, size):
    page.set_viewport_size(WIDTHS[size])
    log_in(page, server, PRESCRIPTEUR, "/orientations")
    expect(page.locator("h1")).to_have_text("Mes orientations")
    check_page(page, axe)

    page.goto(server.url(f"/services/{HALTE}"))
    page.locator(".carte .leaflet-marker-icon").first.wait_for()
    check_page(page, axe)
    page.get_by_role("link", name="Orienter une personne vers ce service").click()
    page.wait_for_url(f"**/services/{HALTE}/orienter")
    check_page(page, axe)
    fill_form(page, consent=False)
    expect(page.get_by_role("alert")).to_contain_text("n'a pas été envoyée")
    expect(page.locator("#contact-erreur")).to_contain_text("l'accord de la personne")
    check_page(page, axe)
    fill_form(page)
    page.wait_for_url(re.compile(r".*/orientations/\d+$"))
    expect(page.get_by_role("status").first).to_contain_text("Orientation envoyée")
    expect(page.locator("main")).to_contain_text(MOTIF)
    check_page(page, axe)

    page.goto(server.url(f"/services/{ALLANCHE}/orienter"))
    fill_form(page, prenom="Paul", contact="")
    page.wait_for_url(re.compile(r".*/orientations/\d+$"))
    page.goto(server.url("/orientations"))
    expect(page.locator("table.tableau tbody tr")).to_have_count(2)
    check_page(page, axe)
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, server, "partenaire@exemple.fr", "/partenaires/")
    expect(page.locator("#orientations-en-attente")).to_contain_text("1 orientation")
    page.get_by_role("link", name="lire et répondre").click()
    page.wait_for_url("**/partenaires/orientations")
    check_page(page, axe)
    page.locator("table.tableau tbody a").first.click()
    page.wait_for_url(re.compile(r".*/partenaires/orientations/\d+$"))
    expect(page.locator("main")).to_contain_text(MOTIF)
    check_page(page, axe)
    page.get_by_role("button", name="Refuser").click()
    expect(page.locator("#message-erreur")).to_contain_text("Expliquez le refus")
    check_page(page, axe)
    page.get_by_label("Message à la personne qui a orienté").fill(MESSAGE)
    page.get_by_role("button", name="Refuser").click()
    expect(page.get_by_role("status").first).to_contain_text("Orientation refusée.")
    expect(page.locator(".historique-orientation")).to_contain_text(MESSAGE)
    check_page(page, axe)
    page.get_by_role("button", name="Se déconnecter").click()

    body = smtp_server.messages[1].get_content()
    link = re.search(r"https?://\S+(/orientation/\S+)", body).group(1)
    page.goto(server.url(link))
    expect(page.locator("h1")).to_have_text(re.compile(r"Orientation n°\d+"))
    expect(page.locator("main")).to_contain_text("Paul D.")
    check_page(page, axe)
    page.get_by_role("button", name="Accepter").click()
    expect(page.get_by_role("status").first).to_contain_text("Orientation acceptée.")
    check_page(page, axe)
    page.goto(server.url("/orientation/lien-abime"))
    expect(page.locator("h1")).to_have_text("Lien d'orientation inutilisable")
    check_page(page, axe)

    log_in(page, server, PRESCRIPTEUR, "/orientations")
    expect(page.locator("main")).to_contain_text("refusée")
    expect(page.locator("main")).to_contain_text("acceptée")
    page.goto(server.url(f"/services/{PMI}/orienter"))
    expect(page.locator("#telephoner")).to_contain_text("Téléphonez-lui au")
    check_page(page, axe)
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, server, "admin@exemple.fr", "/admin/")
    page.get_by_role("link", name="Orientations").click()
    page.wait_for_url("**/admin/orientations")
    expect(page.locator("main")).not_to_contain_text("Paul")
    check_page(page, axe)
