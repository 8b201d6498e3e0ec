"""Every public page: axe-core finds no critical or serious violation, and
nothing scrolls horizontally on a 375×667 phone (RGAA 10.11, WCAG 1.4.10)."""

import pytest
from playwright.sync_api import expect

from directory.db import connect

pytestmark = pytest.mark.browser

MOBILE = {"width": 375, "height": 667}

# name → (path, expected HTTP status); {fiche} is a real service id.
PAGES = {
    "accueil": ("/", 200),
    "resultats": ("/recherche?q=aide+alimentaire&commune=Saint-Flour&rayon=20", 200),
    "resultats-vides": ("/recherche?q=zzzqqqxxx", 200),
    "recherche-invalide": ("/recherche?rayon=abc", 400),
    "besoin-sans-service": ("/recherche?besoin=mobilite&commune=Aurillac", 200),
    "communes-au-choix": ("/recherche?commune=mau", 400),
    "fiche": ("/services/{fiche}", 200),
    "carte": ("/carte", 200),
    "carte-filtree": (
        "/carte?commune=Saint-Flour&rayon=30&besoin=acces-aux-droits",
        200,
    ),
    "donnees": ("/donnees", 200),
    "donnees-personnelles": ("/donnees-personnelles", 200),
    "couverture": ("/couverture", 200),
    "couverture-besoin-inconnu": ("/couverture?besoin=inconnu&tri=population", 400),
    "couverture-matrice": ("/couverture/matrice", 200),
    "proposer": ("/proposer?besoin=energie&commune=Murat", 200),
    "selection": (
        "/selection?ids={fiche},france-services-murat--accueil,service-disparu"
        "&commune=Saint-Flour",
        200,
    ),
    "selection-vide": ("/selection?ids=", 200),
    "404": ("/page-inconnue", 404),
}

# Page and viewport widths, plus the elements sticking out on the right.
OVERFLOW = """
() => {
  const inner = window.innerWidth;
  const culprits = [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > inner + 0.5)
    .slice(0, 5)
    .map((el) => el.outerHTML.slice(0, 120));
  return {scroll: document.documentElement.scrollWidth, inner, culprits};
}
"""


@pytest.fixture(scope="module")
def fiche(seeded_db_path):
    """The id of the most complete service of the seed (most rows on its fiche)."""
    db = connect(seeded_db_path)
    try:
        row = next(
            db.query(
                "select id from services where statut != 'ferme' order by"
                " (site_web is not null) + (horaires is not null)"
                " + (telephone is not null) + (courriel is not null)"
                " + (conditions_acces is not null) desc, id limit 1"
            )
        )
    finally:
        db.close()
    return row["id"]


def visit(page, live_server, name, fiche):
    path, status = PAGES[name]
    response = page.goto(live_server.url(path.format(fiche=fiche)))
    assert response.status == status, f"{path} : HTTP {response.status}"
    if page.locator(".carte").count():  # results, fiche and /carte have a map
        page.locator(".carte .leaflet-marker-icon").first.wait_for()


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_violation(page, live_server, axe, fiche, name):
    visit(page, live_server, name, fiche)
    axe(page)


def test_axe_on_a_report_form_with_errors(page, live_server, axe, fiche):
    page.goto(live_server.url(f"/services/{fiche}"))
    form = page.locator("form#signaler")
    form.evaluate("f => { f.noValidate = true; }")  # let the server say it
    with page.expect_navigation():
        form.get_by_role("button").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("form#signaler [aria-invalid=true]").first).to_be_visible()
    axe(page)


@pytest.mark.parametrize("name", PAGES)
def test_phone_no_horizontal_scroll_and_axe(page, live_server, axe, fiche, name):
    page.set_viewport_size(MOBILE)
    visit(page, live_server, name, fiche)
    widths = page.evaluate(OVERFLOW)
    assert widths["scroll"] <= widths["inner"], (
        f"{name} défile horizontalement à 375 px : {widths}"
    )
    axe(page)  # the phone layout has its own menu, map size, etc.
