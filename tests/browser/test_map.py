"""The map as a person sees it, at 1280 px and on a 375 px phone, with every
tile request aborted (the conftest fences the browser to localhost): the
commune base layer, clusters in their dominant need's colour, a popup and
controls that fit, and a framing that keeps Aurillac in sight."""

import json
from collections import Counter

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "bureau": {"width": 1280, "height": 900},
    "telephone": {"width": 375, "height": 667},
}
AURILLAC = "/carte?commune=Aurillac"
# folium names the map's global variable after its container's id.
MAP = "window[document.querySelector('.carte .folium-map').id]"

# Resolves once the map has settled: no zoom/cluster animation, no pan, and the
# same icons for 15 frames.
SETTLED = """
() => new Promise((resolve) => {
  const root = document.querySelector('.carte');
  let last = '', stable = 0;
  const tick = () => {
    const icons = [...root.querySelectorAll('.leaflet-marker-icon, .leaflet-popup')]
      .map((e) => JSON.stringify(e.getBoundingClientRect())).join();
    const busy = root.querySelector(
      '.leaflet-cluster-anim, .leaflet-zoom-anim, .leaflet-pan-anim');
    stable = !busy && icons === last ? stable + 1 : 0;
    last = icons;
    if (stable >= 15) resolve(true); else requestAnimationFrame(tick);
  };
  tick();
})
"""

# Every cluster drawn: its disc colour and the positions of its services.
CLUSTERS = """
() => {
  const map = THE_MAP;
  const found = [];
  map.eachLayer((layer) => {
    if (layer instanceof L.MarkerCluster && layer._icon) {
      found.push({
        colour: getComputedStyle(layer._icon.firstElementChild).backgroundColor,
        points: layer.getAllChildMarkers().map((m) => {
          const p = m.getLatLng();
          return [p.lat, p.lng];
        }),
      });
    }
  });
  return found;
}
""".replace("THE_MAP", MAP)

# Opens the popup of the service with the longest name, as a person would
# reach it (the cluster group zooms until the marker stands alone).
OPEN_LONGEST_POPUP = """
() => new Promise((resolve) => {
  const map = THE_MAP;
  let group = null;
  map.eachLayer((layer) => {
    if (layer instanceof L.MarkerClusterGroup) { group = layer; }
  });
  const markers = group.getLayers();
  markers.sort((a, b) => b.options.title.length - a.options.title.length);
  const marker = markers[0];
  marker.once('popupopen', () => resolve(marker.options.title));
  group.zoomToShowLayer(marker, () => marker.openPopup());
})
""".replace("THE_MAP", MAP)


def rect(page, selector):
    """The bounding box of the first element matching `selector`."""
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
    )


def rgb(hex_colour):
    """'#1d4ed8' → 'rgb(29, 78, 216)', as getComputedStyle writes it."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def payload(page):
    """The map's JSON data block."""
    block = page.locator('script[type="application/json"][id^="donnees-"]').first
    return json.loads(block.text_content())


def open_map(page, live_server, path, size):
    page.set_viewport_size(VIEWPORTS[size])
    page.goto(live_server.url(path))
    page.locator(".carte .leaflet-marker-icon").first.wait_for()
    page.wait_for_load_state("load")
    page.evaluate(SETTLED)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_commune_boundaries_drawn_under_the_aborted_tiles(
    page, watch, live_server, size
):
    open_map(page, live_server, "/carte", size)
    page.wait_for_function(
        "() => document.querySelectorAll('.carte .leaflet-fond-pane path').length == 2"
    )
    assert watch.tiles, "aucune tuile demandée : le test ne couperait rien"
    assert page.locator(".carte .leaflet-tile-loaded").count() == 0
    layer = page.evaluate(
        """() => {
          const paths = [...document.querySelectorAll('.leaflet-fond-pane path')];
          const pane = (n) => Number(getComputedStyle(
            document.querySelector('.carte .leaflet-' + n + '-pane')).zIndex);
          return {
            count: paths.length,
            widths: paths.map((p) => parseFloat(p.getAttribute('stroke-width'))),
            drawn: paths.filter((p) => p.getBBox().width > 0).length,
            fond: pane('fond'), tiles: pane('tile'), markers: pane('marker'),
          };
        }"""
    )
    # The limits between communes, and the département outline drawn thicker.
    assert layer["count"] == 2 and layer["drawn"] == 2
    assert layer["widths"][1] > 2 * layer["widths"][0]
    # Under the tiles (they cover it when they load), under the markers.
    assert layer["fond"] < layer["tiles"] < layer["markers"]
    attribution = page.locator(".carte .leaflet-control-attribution").text_content()
    assert "IGN" in attribution


def test_popup_and_its_close_button_fit_a_phone(page, live_server):
    open_map(page, live_server, AURILLAC, "telephone")
    title = page.evaluate(OPEN_LONGEST_POPUP)
    page.evaluate(SETTLED)
    popup = page.locator(".carte .leaflet-popup-content")
    assert title in popup.text_content()
    width = page.evaluate("() => document.documentElement.clientWidth")
    carte = rect(page, ".carte")
    for part in (".leaflet-popup-content-wrapper", ".leaflet-popup-close-button"):
        box = rect(page, f".carte {part}")
        assert 0 <= box["left"] and box["right"] <= width, (part, box, width)
        assert carte["left"] <= box["left"] and box["right"] <= carte["right"]
        assert carte["top"] <= box["top"] and box["bottom"] <= carte["bottom"]
    page.locator(".carte .leaflet-popup-close-button").click()
    expect(page.locator(".carte .leaflet-popup")).to_have_count(0)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_scale_is_metric_and_clear_of_the_attribution(page, live_server, size):
    open_map(page, live_server, "/carte", size)
    lines = page.locator(".carte .leaflet-control-scale-line").all_text_contents()
    assert len(lines) == 1 and lines[0].split()[-1] in ("km", "m"), lines
    assert "mi" not in lines[0].split() and "ft" not in lines[0].split()
    scale = rect(page, ".carte .leaflet-control-scale")
    attribution = rect(page, ".carte .leaflet-control-attribution")
    apart = (
        scale["right"] <= attribution["left"]
        or attribution["right"] <= scale["left"]
        or scale["bottom"] <= attribution["top"]
        or attribution["bottom"] <= scale["top"]
    )
    assert apart, f"l'attribution recouvre l'échelle : {scale} / {attribution}"


def expected_colour(data, points):
    """The colour of the need most of these services have first (ties: the
    need listed first), computed here from the page's data, not its script.
    Services at one position always share a cluster: positions identify them."""
    at = {}
    for row in data["services"]:
        at.setdefault((row[0], row[1]), []).append(row[5])
    held = Counter(tuple(p) for p in points)
    assert all(len(at[p]) == n for p, n in held.items()), "marqueurs inconnus"
    counts = Counter(need for p in held for need in at[p] if need >= 0)
    if not counts:
        return rgb(data["defaut"])
    best = min(counts, key=lambda need: (-counts[need], need))
    return rgb(data["couleurs"][best])


@pytest.mark.parametrize("size", VIEWPORTS)
def test_clusters_take_the_colour_of_their_dominant_need(page, live_server, size):
    # The results' map clusters in the browser (/carte's server clusters are
    # checked in test_map_clusters.py).
    seen = []
    for path in ("/recherche?commune=Aurillac", "/recherche?besoin=alimentation"):
        open_map(page, live_server, path, size)
        data = payload(page)
        for zoom in (None, 12, 14):
            if zoom:  # closer to Aurillac, where needs mix
                page.evaluate(f"() => {MAP}.setView([44.926, 2.443], {zoom})")
                page.evaluate(SETTLED)
            for cluster in page.evaluate(CLUSTERS):
                expected = expected_colour(data, cluster["points"])
                assert cluster["colour"] == expected, (path, zoom, cluster)
                seen.append(cluster["colour"])
    assert len(seen) >= 3
    assert len(set(seen)) >= 2, "toutes les grappes ont la même couleur"
    legend = page.locator(".legende").text_content()
    assert "besoin le plus fréquent" in legend


@pytest.mark.parametrize("size", VIEWPORTS)
def test_aurillac_framed_inside_what_the_person_sees(page, live_server, size):
    open_map(page, live_server, AURILLAC, size)
    carte = rect(page, ".carte")
    height = page.evaluate("() => window.innerHeight")
    bottom = min(carte["bottom"], height)
    boxes = page.locator(".carte .leaflet-marker-icon").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom}; })"
    )
    assert boxes
    for box in boxes:
        assert box["bottom"] <= bottom - 16, (box, bottom)
        assert box["top"] >= carte["top"] + 16, (box, carte)
