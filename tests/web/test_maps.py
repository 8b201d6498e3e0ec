"""The maps' base layer (communes and outline), its cached route, and what the
page gives the map script: need colours in legend order, the layer's URL."""

import gzip
import json
import os
import re

from conftest import copy_db

from directory import create_app
from directory.web import basemap
from directory.web.maps import VENDOR_CSS, VENDOR_JS, build_map
from directory.web.security import tile_source

IGN_TILES = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&FORMAT=image/png"
)
DATA_BLOCK = re.compile(
    r'<script type="application/json" id="donnees-[^"]+">(.*?)</script>', re.S
)


def square(x, y):
    """A closed unit square ring with its lower-left corner at (x, y)."""
    return [(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1), (x, y)]


def test_outline_keeps_only_the_edges_no_neighbour_shares():
    lines = basemap.outline([square(0, 0), square(1, 0)])
    edges = {
        frozenset(pair) for line in lines for pair in zip(line, line[1:], strict=False)
    }
    shared = frozenset({(1, 0), (1, 1)})
    assert shared not in edges
    assert len(edges) == 6  # the 2×1 rectangle's perimeter
    # A run crossing a ring's start point is joined into one line: each square
    # gives one open line of three edges.
    assert sorted(len(line) for line in lines) == [4, 4]


def test_cantal_layers_communes_and_outline(app):
    path = os.path.join(app.config["DATA_DIR"], basemap.FILENAME)
    layers = basemap.territory_layers(path, "15")
    roles = [f["properties"]["role"] for f in layers["features"]]
    assert roles.count("commune") == 250 and roles[-1] == "contour"
    communes = {
        f["properties"]["nom"]: f["geometry"]
        for f in layers["features"]
        if f["properties"]["role"] == "commune"
    }
    contour = layers["features"][-1]["geometry"]
    assert contour["type"] == "MultiLineString"
    on_outline = {tuple(p) for line in contour["coordinates"] for p in line}
    # Aurillac lies inside the département: none of its edges is the outline;
    # Pleaux (on the Corrèze border, with an enclave) has some.
    aurillac = [tuple(p) for ring in communes["Aurillac"]["coordinates"] for p in ring]
    assert not any(
        a in on_outline and b in on_outline and _consecutive(contour, a, b)
        for a, b in zip(aurillac, aurillac[1:], strict=False)
    )
    pleaux = communes["Pleaux"]
    assert pleaux["type"] == "MultiPolygon"
    assert any(
        tuple(p) in on_outline
        for polygon in pleaux["coordinates"]
        for ring in polygon
        for p in ring
    )
    # The outline spans the whole département: same extent as the communes.
    every = [p for geometry in communes.values() for p in _points(geometry)]
    outline_points = list(on_outline)
    for axis in (0, 1):
        assert min(p[axis] for p in outline_points) == min(p[axis] for p in every)
        assert max(p[axis] for p in outline_points) == max(p[axis] for p in every)
    text = json.dumps(layers)
    assert not re.search(r"\d\.\d{6,}", text), "5 décimales au plus"


def _points(geometry):
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else geometry["coordinates"]
    )
    return [tuple(p) for polygon in polygons for ring in polygon for p in ring]


def _consecutive(contour, a, b):
    for line in contour["coordinates"]:
        points = [tuple(p) for p in line]
        for p, q in zip(points, points[1:], strict=False):
            if {p, q} == {a, b}:
                return True
    return False


def test_other_territory_gets_no_boundary(app):
    path = os.path.join(app.config["DATA_DIR"], basemap.FILENAME)
    assert basemap.territory_layers(path, "63")["features"] == []


def payload_of(html):
    (block,) = DATA_BLOCK.findall(html)
    return json.loads(block)


def test_basemap_served_once_gzipped_and_cached(client):
    html = client.get("/carte").get_data(as_text=True)
    url = payload_of(html)["fond"]
    assert url.startswith("/carte/fond.geojson?v=")
    # The boundaries are not inlined in the page (they weigh ~450 kB raw).
    assert "Allanche" not in html.split("<footer")[0] or len(html) < 300_000
    assert "3.01179" not in html
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.mimetype == "application/geo+json"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert len(response.data) < 200_000
    layers = json.loads(gzip.decompress(response.data))
    assert len(layers["features"]) == 251
    again = client.get(
        url,
        headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.data) == layers
    stale = client.get("/carte/fond.geojson?v=ancien")
    assert "immutable" not in stale.headers["Cache-Control"]


def test_no_boundary_file_no_layer(seeded_db_path, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(copy_db(seeded_db_path, tmp_path)),
            "DATA_DIR": str(tmp_path / "vide"),
        }
    )
    client = app.test_client()
    assert payload_of(client.get("/carte").get_data(as_text=True))["fond"] is None
    assert client.get("/carte/fond.geojson").status_code == 404


def test_map_script_and_styles_are_ours():
    assert VENDOR_JS[-1] == "js/carte.js" and VENDOR_CSS[-1] == "css/carte.css"
    parts = build_map(
        [],
        config={"MAP_CENTER": (45.03, 2.67), "MAP_TILES_URL": ""},
        nonce="n",
        besoins=[],
        fiche_prefix="/services/",
    )
    # folium's scale control (miles and feet too) is off: carte.js adds a
    # metric one; the page's data gives no layer URL outside a request.
    assert "control.scale" not in parts.script and "imperial" not in parts.script
    assert "annuaireCarte.show" in parts.script
    assert payload_of(str(parts.html))["fond"] is None


def test_payload_colours_follow_the_needs_and_legend_order():
    besoins = [
        {"slug": "logement", "libelle": "Se loger", "couleur": "#b91c1c"},
        {"slug": "alimentation", "libelle": "Se nourrir", "couleur": "#15803d"},
        {"slug": "sante", "libelle": "Santé", "couleur": "#be123c"},
    ]
    services = [
        {
            "id": f"s-{i}",
            "nom": "S",
            "commune": "Aurillac",
            "besoins": needs,
            "latitude": 44.9,
            "longitude": 2.4,
        }
        for i, needs in enumerate(["sante, logement", "alimentation", "sante"])
    ]
    parts = build_map(
        services,
        config={"MAP_CENTER": (45.03, 2.67), "MAP_TILES_URL": ""},
        nonce="n",
        besoins=besoins,
        fiche_prefix="/services/",
    )
    data = payload_of(str(parts.html))
    assert data["slugs"] == ["logement", "alimentation", "sante"]
    assert data["couleurs"] == ["#b91c1c", "#15803d", "#be123c"]
    # Each marker carries the index of its first need: the clusters' colour
    # is the most frequent one, ties going to the need listed first — the
    # legend's order.
    assert [row[5] for row in data["services"]] == [2, 1, 2]
    assert [slug for slug, _, _ in parts.legend] == ["alimentation", "sante"]


def test_legend_says_how_clusters_are_coloured(client):
    html = client.get("/carte").get_data(as_text=True)
    assert "prend la couleur du besoin le plus fréquent parmi ses services" in html
    html = client.get("/recherche?commune=Aurillac").get_data(as_text=True)
    assert "le plus fréquent" in html


def test_ign_tiles_are_allowed_by_the_csp(seeded_db_path, tmp_path):
    assert tile_source(IGN_TILES) == "https://data.geopf.fr"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(copy_db(seeded_db_path, tmp_path)),
            "MAP_TILES_URL": IGN_TILES,
        }
    )
    response = app.test_client().get("/carte")
    assert (
        "img-src 'self' data: https://data.geopf.fr"
        in (response.headers["Content-Security-Policy"])
    )
    assert "PLANIGNV2" in response.get_data(as_text=True)
