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


def edges(lines):
    """The edges of these lines, as unordered pairs (a list: repeats show)."""
    return [
        frozenset(pair) for line in lines for pair in zip(line, line[1:], strict=False)
    ]


def test_boundaries_draw_each_edge_once_and_split_the_outline():
    inner, outer = basemap.boundaries([square(0, 0), square(1, 0)])
    assert edges(inner) == [frozenset({(1, 0), (1, 1)})]  # the shared side, once
    assert len(edges(outer)) == len(set(edges(outer))) == 6  # the 2×1 perimeter
    # A run crossing a ring's start point is one line: each square's outer
    # sides make one open line of three sides, not two pieces.
    assert [len(line) for line in outer] == [4, 4]


def test_cantal_limits_and_outline(app):
    path = os.path.join(app.config["DATA_DIR"], basemap.FILENAME)
    layers = basemap.territory_layers(path, "15")
    roles = [f["properties"]["role"] for f in layers["features"]]
    assert roles == ["communes", "contour"]
    inner, outer = (
        [[tuple(p) for p in line] for line in f["geometry"]["coordinates"]]
        for f in layers["features"]
    )
    inner_edges, outer_edges = edges(inner), edges(outer)
    assert len(set(inner_edges)) == len(inner_edges)  # each limit drawn once
    assert not set(inner_edges) & set(outer_edges)
    with open(path, encoding="utf-8") as f:
        source = {
            feature["properties"]["name"]: feature["geometry"]
            for feature in json.load(f)["features"]
        }
    # Aurillac lies inside the département: its limits are all inner ones;
    # Pleaux is on the Corrèze border.
    aurillac = edges(
        [[tuple(p) for p in ring] for ring in source["Aurillac"]["coordinates"]]
    )
    assert set(aurillac) <= set(inner_edges)
    pleaux = edges(
        [
            [tuple(p) for p in ring]
            for polygon in source["Pleaux"]["coordinates"]
            for ring in polygon
        ]
    )
    assert set(pleaux) & set(outer_edges)
    # The outline spans the whole département: same extent as every limit.
    every = {p for line in inner + outer for p in line}
    rim = {p for line in outer for p in line}
    for axis in (0, 1):
        assert min(p[axis] for p in rim) == min(p[axis] for p in every)
        assert max(p[axis] for p in rim) == max(p[axis] for p in every)
    assert not re.search(r"\d\.\d{6,}", json.dumps(layers)), "5 décimales au plus"


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
    # The boundaries are not inlined in the page (they weigh ~230 kB raw).
    assert "3.01179" not in html
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.mimetype == "application/geo+json"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert len(response.data) < 120_000
    layers = json.loads(gzip.decompress(response.data))
    assert len(layers["features"]) == 2
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
