"""/carte clustered by the server, in real Chromium: the first view's clusters,
a click on one that zooms in and splits it (clusters fetched from
/carte/grappes.json), a lone service's popup linking to its fiche, and axe."""

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MAP = "window[document.querySelector('.carte .folium-map').id]"
LOADED = (
    "() => { const m = document.querySelector('.carte [data-chargement]');"
    " return m && m.dataset.chargement === 'fini'; }"
)


def wait_loaded(page):
    page.wait_for_function(LOADED)


def state(page):
    """What the map holds: zoom, clusters and lone services drawn, services."""
    return page.evaluate(
        "() => { const m = document.querySelector('.carte [data-chargement]');"
        f" return {{zoom: {MAP}.getZoom(), grappes: Number(m.dataset.grappes),"
        " points: Number(m.dataset.points), total: Number(m.dataset.marqueurs)}; }"
    )


def listed_total(page):
    """The number of services the page's count line announces."""
    text = page.locator("p.compte").text_content()
    return int(re.search(r"(\d+) service", text.replace("\u202f", "")).group(1))


def clusters_json(live_server, **params):
    with urlopen(live_server.url("/carte/grappes.json?" + urlencode(params))) as r:
        return json.load(r)


def open_carte(page, live_server, path="/carte"):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url(path))
    page.locator(".carte .leaflet-marker-icon").first.wait_for()
    page.wait_for_load_state("load")
    wait_loaded(page)


def test_clusters_split_when_zooming_in(page, live_server, axe):
    fetched = []
    page.on(
        "request",
        lambda r: fetched.append(r.url) if "/carte/grappes.json" in r.url else None,
    )
    open_carte(page, live_server)
    first = state(page)
    assert first["grappes"] >= 1, "la vue d'ensemble doit montrer des grappes"
    # Clusters and lone services account for every service of the list.
    assert first["total"] == listed_total(page)
    axe(page)

    # A cluster whose services are not all at one spot: a click zooms in.
    extents = page.locator(".carte .grappe-serveur[data-etendue]").evaluate_all(
        "els => els.map(e => e.dataset.etendue)"
    )
    spread = [
        e
        for e in extents
        if (lambda s, w, n, ea: s != n or w != ea)(*map(float, e.split(",")))
    ]
    assert spread, extents
    target = page.locator(f'.carte .grappe-serveur[data-etendue="{spread[0]}"]')
    count = int(target.text_content().strip())
    target.click()
    page.wait_for_function(f"() => {MAP}.getZoom() > {first['zoom']}")
    wait_loaded(page)
    after = state(page)
    assert after["zoom"] > first["zoom"]
    assert fetched, "la carte n'a pas demandé les grappes de la nouvelle vue"
    asked = parse_qs(urlsplit(fetched[-1]).query)
    assert asked["zoom"] == [str(after["zoom"])]

    # The services of that cluster now stand as several items.
    south, west, north, east = spread[0].split(",")
    body = clusters_json(
        live_server, bbox=f"{west},{south},{east},{north}", zoom=after["zoom"]
    )
    items = len(body["grappes"]) + len(body["services"])
    assert items >= 2
    assert len(body["services"]) + sum(c[2] for c in body["grappes"]) == count
    for cell in body["grappes"]:
        extent = ",".join(str(v) for v in cell[4:8])
        expect(
            page.locator(f'.carte .grappe-serveur[data-etendue="{extent}"]')
        ).to_have_count(1)
    drawn_ids = page.locator(".carte .leaflet-marker-icon[data-id]").evaluate_all(
        "els => els.map(e => e.dataset.id)"
    )
    clustered_here = page.locator(".carte .marker-cluster:not(.grappe-serveur)").count()
    lone = {row[2] for row in body["services"]}
    # Lone services are drawn as markers (or, drawn on top of one another,
    # in a small group of the browser's own).
    assert lone <= set(drawn_ids) or clustered_here
    axe(page)


def test_a_lone_service_popup_links_to_its_fiche(page, live_server, axe):
    open_carte(page, live_server)
    marker = page.locator(".carte .leaflet-marker-icon[data-id]").first
    service_id = marker.get_attribute("data-id")
    popup = page.locator(".carte .leaflet-popup-content")
    marker.click()
    popup.wait_for()
    link = popup.get_by_role("link", name="Voir la fiche")
    assert link.get_attribute("href") == f"/services/{service_id}"
    # axe reads colours: once Leaflet's fade-in is over.
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.carte .leaflet-popup'))"
        ".opacity === '1'"
    )
    axe(page)
    link.click()
    page.wait_for_url(re.compile(rf"/services/{re.escape(service_id)}$"))
    expect(page.locator("h1")).to_be_visible()


def test_filters_follow_the_map_when_it_moves(page, live_server):
    fetched = []
    page.on(
        "request",
        lambda r: fetched.append(r.url) if "/carte/grappes.json" in r.url else None,
    )
    open_carte(page, live_server, "/carte?besoin=alimentation")
    before = state(page)
    # The view's request leaves after the zoom animation and a short pause:
    # wait for it, not only for the zoom (the map still says « fini » before).
    with page.expect_request(lambda r: "/carte/grappes.json" in r.url):
        page.evaluate(f"() => {MAP}.setView([44.926, 2.443], 12)")
    page.wait_for_function(f"() => {MAP}.getZoom() === 12")
    wait_loaded(page)
    assert fetched
    asked = parse_qs(urlsplit(fetched[-1]).query)
    assert asked["besoin"] == ["alimentation"] and asked["zoom"] == ["12"]
    assert state(page)["total"] <= before["total"]


def test_a_cluster_zooms_in_from_the_keyboard(page, live_server):
    open_carte(page, live_server)
    before = state(page)
    cluster = page.locator(".carte .grappe-serveur").first
    assert cluster.get_attribute("tabindex") == "0"
    assert "services ici" in cluster.get_attribute("title")
    cluster.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {MAP}.getZoom() > {before['zoom']}")
    wait_loaded(page)
