"""User journeys in a real browser: search → fiche → back, keyboard only, map."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RESULTS = "#resultats li.resultat"
RESULT_LINK = "#resultats li.resultat a[href*='/services/']"
FICHE_URL = re.compile(r"/services/[^/?#]+$")
MAP_FILTER = "commune=Saint-Flour&rayon=30&besoin=acces-aux-droits"

# Installed before any page script: remembers every Leaflet map created, so the
# test can read the markers whatever variable (or closure) the page keeps it in.
# Leaflet ends its bundle with `window.L = exports`, when every class exists.
CATCH_MAPS = """
(() => {
  window.__cartes = [];
  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return leaflet; },
    set(value) {
      leaflet = value;
      if (value && value.Map && !value.Map.__watched) {
        value.Map.__watched = true;
        value.Map.addInitHook(function () { window.__cartes.push(this); });
      }
    },
  });
})();
"""

# Takes every marker out of its cluster group and puts it straight on its map,
# so that each one gets its element and its data-id; returns the map count.
UNCLUSTER = """
() => {
  window.__cartes.forEach((map) => {
    const groups = [];
    map.eachLayer((layer) => {
      if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) {
        groups.push(layer);
      }
    });
    groups.forEach((group) => {
      const markers = group.getLayers();
      map.removeLayer(group);
      markers.forEach((marker) => marker.addTo(map));
    });
  });
  return window.__cartes.length;
}
"""

# What the map draws once it has settled (no zoom or cluster animation, and the
# same count for 15 frames): single markers plus the counts on cluster icons.
DRAWN_MARKERS = """
(root) => new Promise((resolve) => {
  const count = () => {
    let drawn = 0;
    root.querySelectorAll(".leaflet-marker-icon").forEach((icon) => {
      drawn += icon.classList.contains("marker-cluster")
        ? parseInt(icon.textContent.trim(), 10) || 0
        : 1;
    });
    return drawn;
  };
  let last = -1, stable = 0;
  const tick = () => {
    const drawn = count();
    const busy = root.querySelector(".leaflet-cluster-anim, .leaflet-zoom-anim");
    stable = !busy && drawn === last ? stable + 1 : 0;
    last = drawn;
    if (stable >= 15) resolve(drawn); else requestAnimationFrame(tick);
  };
  tick();
})
"""

# Service ids in the map's JSON data: {"services": [[lat, lon, id, …], …]}.
JSON_IDS = """
() => [...document.querySelectorAll('script[type="application/json"]')]
  .map((s) => { try { return JSON.parse(s.textContent); } catch (e) { return {}; } })
  .filter((data) => data && Array.isArray(data.services))
  .flatMap((data) => data.services.map((r) => (Array.isArray(r) ? r[2] : r.id)))
"""


def result_ids(page):
    """Service ids of the result list, in order (from the /services/<id> links)."""
    hrefs = page.locator(RESULT_LINK).evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    ids = []
    for href in hrefs:
        service_id = urlsplit(href).path.rsplit("/", 1)[-1]
        if service_id not in ids:
            ids.append(service_id)
    return ids


def tab_to(page, selector, limit=80):
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)",
            selector,
        ):
            return
    pytest.fail(f"{selector} jamais atteint au clavier en {limit} tabulations")


def assert_focus_visible(page):
    """The focused element shows an outline or a shadow (RGAA 10.7)."""
    style = page.evaluate(
        """() => {
          const s = getComputedStyle(document.activeElement);
          return {outline: s.outlineStyle, width: s.outlineWidth,
                  shadow: s.boxShadow};
        }"""
    )
    visible_outline = style["outline"] != "none" and style["width"] != "0px"
    assert visible_outline or style["shadow"] != "none", (
        f"focus invisible sur {page.evaluate('document.activeElement.outerHTML')}"
        f" : {style}"
    )


def test_search_open_fiche_and_come_back(page, live_server):
    page.goto(live_server.url("/"))
    page.locator("[name=q]").fill("aide alimentaire")
    page.locator("[name=commune]").fill("Saint-Flour")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**/recherche?**")
    expect(page.locator(RESULTS).first).to_be_visible()
    ids = result_ids(page)
    assert len(ids) >= 1
    assert page.locator(RESULTS).count() == len(ids)
    assert "q=aide+alimentaire" in page.url and "commune=Saint-Flour" in page.url
    expect(page.locator(RESULTS).filter(has_text="Saint-Flour").first).to_be_visible()

    first = page.locator(RESULT_LINK).first
    name = first.inner_text().strip()
    first.click()
    page.wait_for_url(FICHE_URL)
    assert page.url.endswith(f"/services/{ids[0]}")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("form#signaler")).to_have_count(1)

    page.go_back()
    page.wait_for_url("**/recherche?**")
    expect(page.locator(RESULTS).first).to_be_visible()
    assert result_ids(page) == ids
    expect(page.locator("[name=q]")).to_have_value("aide alimentaire")


def test_keyboard_only_reaches_a_fiche(page, live_server):
    page.goto(live_server.url("/"))
    tab_to(page, "[name=q]")
    assert_focus_visible(page)
    page.keyboard.type("aide alimentaire")
    tab_to(page, "[name=commune]", limit=5)
    page.keyboard.type("Saint-Flour")
    page.keyboard.press("Enter")
    page.wait_for_url("**/recherche?**")
    expect(page.locator(RESULTS).first).to_be_visible()

    tab_to(page, RESULT_LINK)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(FICHE_URL)
    expect(page.locator("h1")).to_be_visible()


def check_map_against_list(page, listed):
    """The page's map shows exactly the services `listed` (ids)."""
    carte = page.locator(".carte").first
    expect(carte).to_be_visible()
    expect(carte.locator(".leaflet-marker-icon").first).to_be_visible()

    # What is drawn (markers + cluster counts) accounts for every service.
    assert carte.evaluate(DRAWN_MARKERS) == len(listed)

    # The map's JSON data holds exactly these services.
    assert sorted(page.evaluate(JSON_IDS)) == sorted(listed)

    # Out of its cluster, each marker carries the id of one of these services.
    assert page.evaluate(UNCLUSTER) == 1, "une seule carte Leaflet attendue"
    icons = carte.locator(".leaflet-marker-icon")
    expect(icons).to_have_count(len(listed))
    marker_ids = icons.evaluate_all("els => els.map(e => e.dataset.id || e.title)")
    assert sorted(marker_ids) == sorted(listed)


def test_map_shows_exactly_the_listed_services(page, live_server):
    page.add_init_script(CATCH_MAPS)
    page.goto(live_server.url(f"/recherche?{MAP_FILTER}"))
    listed = result_ids(page)
    assert len(listed) >= 2, "la recherche de référence doit trouver des services"
    # The whole list fits on one page, so it can be compared with a map.
    expect(page.locator("a[href*='page=2']")).to_have_count(0)
    check_map_against_list(page, listed)  # the map beside the results

    page.goto(live_server.url(f"/carte?{MAP_FILTER}"))
    assert sorted(result_ids(page)) == sorted(listed)  # its text alternative
    # /carte is clustered by the server: the discs' counts and the lone markers
    # account for every service; each lone marker is one of them.
    carte = page.locator(".carte").first
    expect(carte.locator(".leaflet-marker-icon").first).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.carte [data-chargement=fini]')"
    )
    assert carte.evaluate(DRAWN_MARKERS) == len(listed)
    assert set(page.evaluate(JSON_IDS)) <= set(listed)
    lone = carte.locator(".leaflet-marker-icon[data-id]")
    assert set(lone.evaluate_all("els => els.map(e => e.dataset.id)")) <= set(listed)


def test_outside_requests_are_blocked_and_tiles_ignored(page, watch, live_server):
    page.goto(live_server.url("/carte"))
    page.locator(".carte .leaflet-marker-icon").first.wait_for()
    page.wait_for_function("() => document.querySelector('.leaflet-tile')")
    assert watch.tiles, "aucune tuile demandée : le fond de carte est-il configuré ?"
    assert not watch.blocked

    with pytest.raises(PlaywrightError):
        page.goto("https://example.org/")
    assert watch.blocked == ["https://example.org/"]
    watch.blocked.clear()  # the fence works; this test's own request is expected
