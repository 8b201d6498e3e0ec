"""« Où l'aide manque » in a real Chromium (issue 15, acceptance 3): the map draws
the territory's 250 commune polygons, each in the colour of its distance class;
the legend says km and minutes; the table under the map is the same data as
the map; axe finds nothing serious at 1280 and 375 px, nothing scrolls
sideways on a phone, nothing leaves localhost (not even a tile); the matrix
prints on one A4 landscape page."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from directory.coverage.analysis import Settings
from directory.coverage.load import load
from directory.db import connect
from directory.web.coverage_present import class_key, classes

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "bureau": {"width": 1280, "height": 900},
    "telephone": {"width": 375, "height": 667},
}
COLOURS = {c.cle: c.couleur for c in classes(Settings())}

# Every polygon of the map: its commune, class and fill, and its fill in
# Leaflet's own options (what the SVG path was drawn with).
POLYGONS = """
() => [...document.querySelectorAll('.carte-couverture path.leaflet-interactive')]
  .map((p) => ({
    insee: p.getAttribute('data-insee'),
    classe: p.getAttribute('data-classe'),
    fill: p.getAttribute('fill'),
    fillOpacity: p.getAttribute('fill-opacity'),
  }))
"""
TABLE = """
() => Object.fromEntries([...document.querySelectorAll('#tableau-couverture tbody tr')]
  .map((r) => [r.getAttribute('data-insee'), r.getAttribute('data-classe')]))
"""
OVERFLOW = """
() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})
"""


@pytest.fixture(scope="module")
def expected(seeded_db_path):
    """{need: {code_insee: class key}} of the analysis on the seed."""
    db = connect(seeded_db_path)
    try:
        coverage = load(db, "15")
    finally:
        db.close()
    return {
        need: {r["code_insee"]: class_key(r["classe"]) for r in coverage.rows(need)}
        for need in ("mobilite", "energie", "acces-aux-droits")
    }


def open_map(page, live_server, need, size="bureau"):
    page.set_viewport_size(VIEWPORTS[size])
    response = page.goto(live_server.url(f"/couverture?besoin={need}"))
    assert response.status == 200
    expect(page.locator(".carte-couverture .folium-map")).to_have_attribute(
        "data-chargement", "fini"
    )


@pytest.mark.parametrize("need", ["mobilite", "energie", "acces-aux-droits"])
def test_every_commune_is_drawn_in_its_class_colour(
    page, live_server, watch, expected, need
):
    open_map(page, live_server, need)
    polygons = page.evaluate(POLYGONS)
    assert len(polygons) == 250
    assert {p["insee"] for p in polygons} == set(expected[need])
    for polygon in polygons:
        assert polygon["classe"] == expected[need][polygon["insee"]], polygon
        assert polygon["fill"] == COLOURS[polygon["classe"]], polygon
        assert polygon["fillOpacity"] == "1"
    map_element = page.locator(".carte-couverture .folium-map")
    expect(map_element).to_have_attribute("data-polygones", "250")
    # The table under the map is the same data: one row per polygon, same class.
    assert page.evaluate(TABLE) == {p["insee"]: p["classe"] for p in polygons}
    # The need's services as points, and not one tile asked for.
    points = int(map_element.get_attribute("data-points"))
    assert page.locator(".carte-couverture .leaflet-marker-icon").count() == points
    assert not watch.tiles


def test_the_farthest_need_uses_every_colour_it_announces(page, live_server):
    open_map(page, live_server, "energie")
    shown = {p["classe"] for p in page.evaluate(POLYGONS)}
    assert "aucun" in shown and "0" in shown
    legend = page.locator(".legende-couverture")
    expect(legend.locator("li.classe-aucun")).to_contain_text(
        "aucun service accessible"
    )


@pytest.mark.parametrize("size", VIEWPORTS)
def test_legend_readable_in_km_and_minutes(page, live_server, size):
    open_map(page, live_server, "mobilite", size)
    legend = page.locator(".legende-couverture")
    expect(legend).to_be_visible()
    for label in (
        "≤ 10 km (≈ 12 min)",
        "10 à 20 km (≈ 12 à 24 min)",
        "20 à 30 km (≈ 24 à 36 min)",
        "plus de 30 km (plus de 36 min)",
        "aucun service accessible",
    ):
        expect(legend).to_contain_text(label)
    # Each class has its symbol beside the colour (not colour alone), and the
    # swatch's colour is the polygons'.
    swatches = legend.locator(".case-classe")
    expect(swatches).to_have_count(len(COLOURS))
    for key, colour in COLOURS.items():
        swatch = legend.locator(f"li.classe-{key} .case-classe")
        expect(swatch).to_be_visible()
        assert swatch.inner_text().strip()
        background = swatch.evaluate("e => getComputedStyle(e).backgroundColor")
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert background == f"rgb({red}, {green}, {blue})"
    expect(page.locator(".methode")).to_contain_text("à vol d'oiseau")
    expect(page.locator(".methode")).to_contain_text("approximation")


def test_a_commune_tooltip_says_its_distance(page, live_server):
    open_map(page, live_server, "mobilite")
    page.locator('path[data-insee="15048"]').scroll_into_view_if_needed()
    point = page.evaluate(
        """() => {
          const path = document.querySelector('path[data-insee="15048"]');
          const box = path.getBoundingClientRect();
          // a point of the path: the middle of its longest horizontal chord
          for (let dy = 0.5; dy > 0.05; dy -= 0.05) {
            const y = box.top + box.height * dy;
            for (let dx = 0.5; dx > 0.05; dx -= 0.05) {
              const x = box.left + box.width * dx;
              if (document.elementFromPoint(x, y) === path) { return [x, y]; }
            }
          }
          return [box.left + box.width / 2, box.top + box.height / 2];
        }"""
    )
    page.mouse.move(*point)
    tooltip = page.locator(".leaflet-tooltip .infobulle-commune")
    expect(tooltip).to_contain_text("Chazelles")
    expect(tooltip).to_contain_text("km, ≈")


@pytest.mark.parametrize("size", VIEWPORTS)
def test_axe_and_no_sideways_scroll(page, live_server, axe, size):
    open_map(page, live_server, "mobilite", size)
    axe(page)
    widths = page.evaluate(OVERFLOW)
    assert widths["scroll"] <= widths["inner"], widths


def test_sort_links_work_without_javascript(browser, live_server, watch):
    context = browser.new_context(java_script_enabled=False)
    context.route("**/*", watch.route)
    page = context.new_page()
    page.goto(live_server.url("/couverture?besoin=mobilite"))
    page.get_by_role("link", name="Population : trier").click()
    expect(page).to_have_url(
        live_server.url("/couverture?besoin=mobilite&tri=population")
    )
    first = page.locator("#tableau-couverture tbody tr").first
    expect(first.locator("th")).to_have_text("Aurillac")
    page.get_by_label("Besoin").select_option("energie")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(
        live_server.url("/couverture?besoin=energie&tri=population")
    )
    context.close()


def test_the_matrix_prints_on_one_a4_landscape_page(page, live_server, axe):
    response = page.goto(live_server.url("/couverture/matrice"))
    assert response.status == 200
    expect(page.locator("#matrice tbody tr")).to_have_count(250)
    axe(page)
    expect(page.locator(".matrice-explication")).to_contain_text(
        "une page A4 paysage : les 250 communes"
    )
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = reader.pages[0].extract_text()
    for name in ("Albepierre-Bredons", "Aurillac", "St-Flour", "Ytrac"):
        assert name in text
    assert text.count("Commune") >= 3  # the header, repeated in each column
