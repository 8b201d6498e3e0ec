"""The map clustered by the server: the grid (search/clusters.py), the JSON of
/carte/grappes.json (views, filters, hostile input) and /carte's first view,
which stays small whatever the number of services."""

import datetime
import json
import math
import re

import numpy as np
import pytest
import sqlite_utils
from conftest import copy_db

from directory import create_app
from directory.search import clusters
from directory.search.clusters import MAX_ITEMS, MAX_ZOOM, grid, mercator, view_for
from directory.search.hours import PARIS

DATA_BLOCK = re.compile(
    r'<script type="application/json" id="donnees-[^"]+">(.*?)</script>', re.S
)
WORLD = "-180,-90,180,90"
CANTAL = "2.0,44.5,3.5,45.5"


def payload_of(html):
    (block,) = DATA_BLOCK.findall(html)
    return json.loads(block)


def drawn(data):
    """Services a payload accounts for: lone ones plus the clusters' counts."""
    return len(data["services"]) + sum(cell[2] for cell in data["grappes"])


def column_row(lat, lon, zoom):
    """The cell of a point at `zoom`, computed here from Leaflet's formulas."""
    across = 256 * 2**zoom / clusters.CELL_PX
    x = (lon + 180) / 360
    y = (
        1
        - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat)))
        / math.pi
    ) / 2
    return math.floor(x * across), math.floor(y * across)


# -- the grid ------------------------------------------------------------------


def test_mercator_is_leaflets_projection():
    x, y = mercator(np.array([0.0, 85.0511287798, 45.0]), np.array([0.0, -180.0, 2.0]))
    assert x.tolist() == pytest.approx([0.5, 0.0, 182 / 360])
    assert y[0] == pytest.approx(0.5) and y[1] == pytest.approx(0.0, abs=1e-9)
    assert y[2] == pytest.approx(0.35972503691520497)


@pytest.mark.parametrize("zoom", [0, 3, 6, 9, 12, 15, 17, 18])
def test_counts_are_conserved_and_items_capped(zoom):
    rng = np.random.default_rng(zoom)
    n = 30_000
    lat, lon = rng.uniform(42, 51, n), rng.uniform(-4.5, 8, n)
    needs = rng.integers(0, 1 << 16, n)
    found = grid(lat, lon, needs, zoom=zoom, max_items=400)
    assert found.items <= 400
    assert sum(cell[2] for cell in found.cells) + len(found.points) == n
    assert all(cell[2] >= 2 for cell in found.cells)
    assert len(set(found.points.tolist())) == len(found.points)
    for cell in found.cells:  # centroid inside the extent of its services
        lat_c, lon_c, _, _, south, west, north, east = cell
        assert south <= lat_c <= north and west <= lon_c <= east


def test_more_items_as_the_zoom_grows_until_each_service_stands_alone():
    rng = np.random.default_rng(1)
    n = 1_500
    lat, lon = rng.uniform(44.6, 45.4, n), rng.uniform(2.1, 3.3, n)
    items = [grid(lat, lon, np.zeros(n), zoom=z).items for z in range(4, 19)]
    assert items == sorted(items)
    assert items[0] <= 4 and items[-1] == n  # a cell border may cross them


def test_cells_are_sized_by_the_zoom():
    # Two services 700 m apart in Aurillac: one cell at zoom 8, apart at 15.
    a, b = (44.9260, 2.4400), (44.9300, 2.4470)
    lat, lon = np.array([a[0], b[0]]), np.array([a[1], b[1]])
    for zoom in range(0, 19):
        same = column_row(*a, zoom) == column_row(*b, zoom)
        found = grid(lat, lon, np.array([1, 2]), zoom=zoom)
        if zoom == MAX_ZOOM or not same:
            assert found.cells == [] and sorted(found.points.tolist()) == [0, 1]
        else:
            (cell,) = found.cells
            assert cell[2] == 2 and len(found.points) == 0
            assert cell[0] == pytest.approx((a[0] + b[0]) / 2, abs=1e-5)
            assert cell[4:] == [a[0], a[1], b[0], b[1]]
    assert column_row(*a, 8) == column_row(*b, 8)
    assert column_row(*a, 15) != column_row(*b, 15)


def test_a_lone_service_is_a_point():
    lat = np.array([44.93, 45.03, 45.03])
    lon = np.array([2.44, 3.09, 3.09])
    found = grid(lat, lon, np.array([1, 1, 1]), zoom=10)
    assert found.points.tolist() == [0]
    (cell,) = found.cells
    assert cell[2] == 2


def test_services_at_one_place_are_points_at_the_largest_zoom():
    lat, lon = np.full(3, 45.03), np.full(3, 3.09)
    (cell,) = grid(lat, lon, np.zeros(3), zoom=MAX_ZOOM - 1).cells
    assert cell[2] == 3 and cell[4] == cell[6] and cell[5] == cell[7]
    found = grid(lat, lon, np.zeros(3), zoom=MAX_ZOOM)
    assert found.cells == [] and sorted(found.points.tolist()) == [0, 1, 2]
    # Unless they do not fit: the cap holds at every zoom.
    assert grid(lat, lon, np.zeros(3), zoom=MAX_ZOOM, max_items=2).items <= 2


def test_a_cluster_takes_its_most_frequent_need_ties_to_the_first():
    lat, lon = np.full(4, 45.0), np.full(4, 2.5)
    (cell,) = grid(lat, lon, np.array([0b001, 0b011, 0b010, 0b110]), zoom=5).cells
    assert cell[3] == 1  # bit 1: three services of four
    (cell,) = grid(lat[:2], lon[:2], np.array([0b100, 0b010]), zoom=5).cells
    assert cell[3] == 1  # a tie: the need listed first
    (cell,) = grid(lat[:2], lon[:2], np.array([0, 0]), zoom=5).cells
    assert cell[3] == -1


def test_no_service_no_item():
    found = grid(np.zeros(0), np.zeros(0), np.zeros(0), zoom=9)
    assert found.items == 0


def test_first_view_frames_the_services_as_fit_bounds_would():
    lat, lon = np.array([44.7, 45.4]), np.array([2.1, 3.3])
    bbox, zoom = view_for(lat, lon, width_px=1000, height_px=600, max_zoom=13)
    assert bbox == (2.1, 44.7, 3.3, 45.4)
    x, y = mercator(lat, lon)
    for z, fits in ((zoom, True), (zoom + 1, False)):
        scale = 256 * 2**z
        inside = (x[1] - x[0]) * scale <= 1000 and (y[0] - y[1]) * scale <= 600
        assert bool(inside) is fits
    one = view_for(lat[:1], lon[:1], width_px=1000, height_px=600, max_zoom=13)
    assert one[1] == 13


# -- /carte/grappes.json ---------------------------------------------------------


def grappes(client, **params):
    return client.get("/carte/grappes.json", query_string=params)


@pytest.mark.parametrize(
    "params, parametre, words",
    [
        ({"zoom": "9"}, "bbox", "manque"),
        ({"bbox": "2,44,3", "zoom": "9"}, "bbox", "ouest,sud,est,nord"),
        ({"bbox": "a,b,c,d", "zoom": "9"}, "bbox", "quatre nombres"),
        ({"bbox": "3,44,2,45", "zoom": "9"}, "bbox", "l'ouest avant l'est"),
        ({"bbox": "2,46,3,45", "zoom": "9"}, "bbox", "le sud avant le nord"),
        ({"bbox": "2,-95,3,45", "zoom": "9"}, "bbox", "de -90 à 90"),
        ({"bbox": "-200,44,3,45", "zoom": "9"}, "bbox", "de -180 à 180"),
        ({"bbox": CANTAL}, "zoom", "nombre entier"),
        ({"bbox": CANTAL, "zoom": "19"}, "zoom", "entre 0 et 18"),
        ({"bbox": CANTAL, "zoom": "2.5"}, "zoom", "nombre entier"),
        ({"bbox": CANTAL, "zoom": "9", "besoin": "zzz"}, "besoin", "inconnue"),
        ({"bbox": CANTAL, "zoom": "9", "commune": "Zzzzville"}, "commune", ""),
    ],
)
def test_bad_view_or_filter_is_a_french_400(client, params, parametre, words):
    response = grappes(client, **params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["parametre"] == parametre and words in body["erreur"]


HOSTILE_BBOX = [
    "",
    " ",
    ",,,",
    "1,,2,3",
    "1;2;3;4",
    "1,2,3,4,5",
    "1e999,0,1,1",
    "1e2,0,1,1",
    "nan,0,1,1",
    "inf,0,1,1",
    "-inf,0,1,1",
    "٣,1,2,3",
    "１,1,2,3",
    "0x1,1,2,3",
    "1_0,1,2,3",
    "9" * 5000 + ",1,2,3",
    "1." + "0" * 5000 + ",1,2,3",
    "\x00,1,2,3",
    "1,2,3,4\n",
    "-0,-0,-0,-0",
    "<script>,1,2,3",
]
HOSTILE_ZOOM = ["", "-1", "19", "1.5", "٣", "9" * 5000, "0x1", "+3", "1e1", "\x00"]


@pytest.mark.parametrize("bbox", HOSTILE_BBOX)
@pytest.mark.parametrize("zoom", ["9", *HOSTILE_ZOOM])
def test_hostile_views_are_never_a_500(client, bbox, zoom):
    response = grappes(client, bbox=bbox, zoom=zoom)
    assert response.status_code in (200, 400), (bbox[:20], zoom[:20])
    body = response.get_json()
    if response.status_code == 400:
        assert body["erreur"] and body["parametre"] in ("bbox", "zoom")
    else:
        assert drawn(body) >= 0


FILTERS = [
    {},
    {"besoin": "alimentation"},
    {"besoin": ["logement", "sante"]},
    {"public": "jeunes"},
    {"frais": "gratuit"},
    {"modalite": "sur-rendez-vous"},
    {"commune": "Aurillac", "rayon": "10"},
    {"commune": "Saint-Flour", "rayon": "30", "besoin": "acces-aux-droits"},
    {"lat": "44.93", "lon": "2.44", "rayon": "5"},
    {"q": "restos"},
    {"q": "épicerie solidaire"},
    {"ouvert": "1"},
    {"ouvert": "1", "besoin": "alimentation"},
]


def placed_ids(client, params):
    """Ids of the placed services the API finds with these filters, and total."""
    found, total, page = [], None, 1
    while total is None or len(found) < total:
        body = client.get(
            "/api/services", query_string={**params, "par_page": 100, "page": page}
        ).get_json()
        total = body["total"]
        found += body["services"]
        page += 1
    return {s["id"] for s in found if s["latitude"] is not None}, total


@pytest.fixture
def frozen(app):
    moment = datetime.datetime(2026, 3, 10, 10, 30, tzinfo=PARIS)  # a Tuesday
    app.config["CLOCK"] = lambda: moment
    return app


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: "&".join(p) or "aucun")
def test_filters_apply_to_the_clusters_as_to_the_list(frozen, client, params):
    expected, total = placed_ids(client, params)
    # At the largest zoom every service of the world is a lone point.
    body = grappes(client, bbox=WORLD, zoom=str(MAX_ZOOM), **params).get_json()
    assert body["total"] == total
    assert body["grappes"] == []
    assert {row[2] for row in body["services"]} == expected
    # At the département's zoom, clusters and points hold the same services.
    body = grappes(client, bbox=WORLD, zoom="9", **params).get_json()
    assert drawn(body) == len(expected)
    if params == {}:
        assert body["grappes"], "le Cantal entier à ce zoom : des grappes attendues"
    # And the page's first view shows them all.
    html = client.get("/carte", query_string=params).get_data(as_text=True)
    data = payload_of(html)
    assert drawn(data) == len(expected)
    assert {row[2] for row in data["services"]} <= expected


def test_only_the_view_is_answered(client):
    everything = grappes(client, bbox=WORLD, zoom="18").get_json()
    aurillac = grappes(client, bbox="2.40,44.90,2.48,44.95", zoom="18").get_json()
    assert 0 < len(aurillac["services"]) < len(everything["services"])
    for lat, lon, *_ in aurillac["services"]:
        assert 44.90 <= lat <= 44.95 and 2.40 <= lon <= 2.48
    assert aurillac["total"] == everything["total"]  # matches anywhere


def test_cluster_colours_use_the_pages_need_order(client):
    data = payload_of(client.get("/carte?besoin=alimentation").get_data(as_text=True))
    food = data["slugs"].index("alimentation")
    body = grappes(client, bbox=WORLD, zoom="7", besoin="alimentation").get_json()
    assert body["grappes"]
    # Every service found has the need: it is each cluster's most frequent.
    assert {cell[3] for cell in body["grappes"]} == {food}


def test_page_links_the_clusters_with_its_filters(client):
    data = payload_of(
        client.get("/carte?besoin=alimentation&page=2&par_page=5").get_data(
            as_text=True
        )
    )
    assert data["source"] == "/carte/grappes.json?besoin=alimentation"
    assert len(data["vue"]) == 4 and 0 <= data["zoomVue"] <= 13


def test_the_list_below_the_map_paginates_without_script(client):
    first = client.get("/carte?par_page=5").get_data(as_text=True)
    ids = re.findall(r'href="/services/([^"#?]+)"', first)
    assert len(set(ids)) == 5
    assert 'href="/carte?par_page=5&amp;page=2"' in first
    assert "page 1 sur" in first
    second = client.get("/carte?par_page=5&page=2").get_data(as_text=True)
    again = set(re.findall(r'href="/services/([^"#?]+)"', second))
    assert len(again) == 5 and not again & set(ids)
    assert 'rel="prev"' in second
    # The map does not depend on the page of the list.
    assert payload_of(first)["grappes"] == payload_of(second)["grappes"]
    response = client.get("/carte?page=0")
    assert response.status_code == 400 and "page" in response.get_data(as_text=True)


# -- many services ------------------------------------------------------------------


def many_services_app(seeded_db_path, tmp_path, count, seed=3):
    """An app whose database holds `count` extra services scattered over France."""
    path = copy_db(seeded_db_path, tmp_path)
    db = sqlite_utils.Database(path)
    rng = np.random.default_rng(seed)
    needs = ["alimentation", "logement", "sante", "acces-aux-droits"]
    lat, lon = rng.uniform(42.5, 50.9, count), rng.uniform(-4.6, 7.9, count)
    with db.conn:
        db["services"].insert_all(
            (
                {
                    "id": f"genere-{i}",
                    "statut": "actif",
                    "nom": f"Service généré {i}",
                    "structure_id": "genere",
                    "besoins": needs[i % len(needs)],
                    "commune": "Quelque part",
                    "latitude": round(float(lat[i]), 5),
                    "longitude": round(float(lon[i]), 5),
                }
                for i in range(count)
            ),
            batch_size=5_000,
        )
    db.close()
    return create_app({"TESTING": True, "DATABASE": str(path)})


def test_inline_payload_never_exceeds_the_cap(seeded_db_path, tmp_path, monkeypatch):
    app = many_services_app(seeded_db_path, tmp_path, 3_000)
    client = app.test_client()
    monkeypatch.setattr(clusters, "MAX_ITEMS", 40)
    data = payload_of(client.get("/carte").get_data(as_text=True))
    assert len(data["grappes"]) + len(data["services"]) <= 40
    assert drawn(data) >= 3_000 * 0.99  # the first view leaves out 0.1 % strays
    body = grappes(client, bbox=WORLD, zoom="18").get_json()
    assert len(body["grappes"]) + len(body["services"]) <= 40
    assert drawn(body) == body["total"] >= 3_000


def test_a_big_directory_keeps_the_map_page_small(seeded_db_path, tmp_path):
    count = 60_000
    app = many_services_app(seeded_db_path, tmp_path, count)
    client = app.test_client()
    response = client.get("/carte")
    html = response.get_data(as_text=True)
    data = payload_of(html)
    assert len(data["grappes"]) + len(data["services"]) <= MAX_ITEMS
    assert drawn(data) >= count * 0.99
    assert len(response.data) < 1_500_000
    # The list below the map is one page, not the whole directory.
    assert len(re.findall(r'<li class="resultat', html)) <= 100
    # Zoomed in on a part of France where every service would stand alone.
    for zoom in ("12", "16", "18"):
        response = grappes(client, bbox="-4.6,42.5,7.9,50.9", zoom=zoom)
        body = response.get_json()
        assert len(body["grappes"]) + len(body["services"]) <= MAX_ITEMS
        assert drawn(body) >= count
        assert len(response.data) < 1_500_000
