"""/carte with many services: what a request costs does not grow with the
directory, the clusters count exactly what SQL counts, the list paginates."""

import json
import re

import numpy as np
import pytest
import sqlite_utils
from conftest import copy_db

import directory.db
from directory import create_app
from directory.catalogue.services import MULTI
from directory.db import get_db
from directory.imports import engine as importer
from directory.search import clusters
from directory.search.clusters import grid
from directory.web import clusters as web_clusters

DATA_BLOCK = re.compile(
    r'<script type="application/json" id="donnees-[^"]+">(.*?)</script>', re.S
)
WORLD = "-180,-90,180,90"
NEEDS = ["alimentation", "logement", "sante", "acces-aux-droits"]


def payload_of(html):
    (block,) = DATA_BLOCK.findall(html)
    return json.loads(block)


def drawn(data):
    return len(data["services"]) + sum(cell[2] for cell in data["grappes"])


def add_services(path, count, seed=5):
    """`count` services scattered over France, with their needs in
    service_besoins as an import writes them; some closed, some duplicates,
    some without a position, fees and needs varied."""
    db = sqlite_utils.Database(path)
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(42.5, 50.9, count), rng.uniform(-4.6, 7.9, count)
    rows, needs = [], []
    for i in range(count):
        chosen = [NEEDS[i % 4]] + ([NEEDS[(i // 4) % 4]] if i % 3 == 0 else [])
        chosen = list(dict.fromkeys(chosen))
        placed = i % 17 != 0
        rows.append(
            {
                "id": f"genere-{i}",
                "statut": "ferme" if i % 23 == 0 else "actif",
                "doublon_de": "genere-1" if i % 29 == 0 and i > 1 else None,
                "nom": f"Service généré {i:06d}",
                "structure_id": "genere",
                "besoins": MULTI.join(chosen),
                "frais": "gratuit" if i % 2 else "payant",
                "commune": "Quelque part",
                "latitude": round(float(lat[i]), 5) if placed else None,
                "longitude": round(float(lon[i]), 5) if placed else None,
            }
        )
        needs += [{"service_id": f"genere-{i}", "besoin": b} for b in chosen]
    with db.conn:
        db["services"].insert_all(rows, batch_size=5_000)
        db["service_besoins"].insert_all(needs, batch_size=5_000)
    db.close()


def app_with(seeded_db_path, tmp_path, count, name="t.db"):
    path = copy_db(seeded_db_path, tmp_path, name)
    add_services(path, count)
    return create_app({"TESTING": True, "DATABASE": str(path)}), path


def sqlite_steps(monkeypatch, client, path):
    """SQLite virtual-machine steps (in thousands) of one request: a measure
    of the rows it reads, independent of the machine's speed."""
    steps = [0]
    connect = directory.db.connect

    def counting(*args, **kwargs):
        db = connect(*args, **kwargs)

        def step():
            steps[0] += 1
            return 0

        db.conn.set_progress_handler(step, 1_000)
        return db

    with monkeypatch.context() as patch:
        patch.setattr(directory.db, "connect", counting)
        assert client.get(path).status_code == 200
    return steps[0]


@pytest.mark.parametrize("path", ["/carte", "/carte?besoin=alimentation&page=3"])
def test_a_map_request_reads_no_more_rows_for_a_bigger_directory(
    seeded_db_path, tmp_path, monkeypatch, path
):
    monkeypatch.setattr(clusters, "MAX_ITEMS", 40)  # lone services read: bounded
    steps = []
    for count in (2_000, 20_000):
        app, _ = app_with(seeded_db_path, tmp_path, count, f"{count}.db")
        client = app.test_client()
        client.get(path)  # the worker's columns, built once per data version
        steps.append(sqlite_steps(monkeypatch, client, path))
    small, big = steps
    # Ten times the services: the same work, give or take the page's rows
    # (counting the services per need would read them all: ×10).
    assert big <= small * 1.2 + 20, steps


FILTERS = [
    {},
    {"besoin": "alimentation"},
    {"besoin": ["logement", "sante"]},
    {"frais": "gratuit"},
    {"besoin": "acces-aux-droits", "frais": "payant"},
]


def sql_count(path, params, bbox=None):
    """Placed, open, shown (not a duplicate) services matching these filters
    (and inside bbox = west, south, east, north), counted by SQL."""
    where = [
        "statut != 'ferme'",
        "doublon_de is null",
        "latitude is not null",
        "longitude is not null",
    ]
    values = []
    besoins = params.get("besoin", [])
    besoins = [besoins] if isinstance(besoins, str) else besoins
    if besoins:
        marks = ",".join("?" * len(besoins))
        where.append(
            f"id in (select service_id from service_besoins where besoin in ({marks}))"
        )
        values += besoins
    if "frais" in params:
        where.append("frais = ?")
        values.append(params["frais"])
    if bbox:
        west, south, east, north = bbox
        where.append("latitude between ? and ? and longitude between ? and ?")
        values += [south, north, west, east]
    db = sqlite_utils.Database(path)
    try:
        sql = f"select count(*) from services where {' and '.join(where)}"
        return db.execute(sql, values).fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: json.dumps(p))
def test_clusters_count_what_sql_counts(seeded_db_path, tmp_path, params):
    app, path = app_with(seeded_db_path, tmp_path, 6_000)
    client = app.test_client()
    expected = sql_count(path, params)
    assert expected > 100
    for zoom in ("3", "6", "9", "12"):
        body = client.get(
            "/carte/grappes.json", query_string={**params, "bbox": WORLD, "zoom": zoom}
        ).get_json()
        assert drawn(body) == body["dans_la_vue"] == expected, zoom
        assert len(body["grappes"]) + len(body["services"]) <= clusters.MAX_ITEMS
    # A view of the west of France holds what SQL counts inside it.
    west = (-4.6, 42.0, 1.65, 51.0)
    body = client.get(
        "/carte/grappes.json",
        query_string={**params, "bbox": ",".join(map(str, west)), "zoom": "7"},
    ).get_json()
    inside = sql_count(path, params, west)
    assert 0 < inside < expected
    assert drawn(body) == body["dans_la_vue"] == inside


def test_the_list_below_the_map_is_one_page_of_many(seeded_db_path, tmp_path):
    app, _ = app_with(seeded_db_path, tmp_path, 3_000)
    client = app.test_client()
    html = client.get("/carte?besoin=logement").get_data(as_text=True)
    total = int(re.search(r'<p class="compte" role="status">(\d+) services', html)[1])
    assert total > 500
    per_page = 20  # public.LIST_ON_MAP
    last = -(-total // per_page)
    assert f"page 1 sur {last}" in html
    first = re.findall(r'<li class="resultat[^"]*"', html)
    assert len(first) == per_page
    html = client.get(f"/carte?besoin=logement&page={last}").get_data(as_text=True)
    assert (
        len(re.findall(r'<li class="resultat[^"]*"', html))
        == total - (last - 1) * per_page
    )
    assert f"page {last} sur {last}" in html
    # The map still accounts for every placed match, whatever the page.
    assert drawn(payload_of(html)) <= total


# -- the grid in Z-order --------------------------------------------------------


@pytest.mark.parametrize("zoom", [2, 5, 8, 11, 14, 17])
def test_a_grid_read_in_z_order_is_the_same_grid(zoom):
    rng = np.random.default_rng(zoom)
    n = 20_000
    lat, lon = rng.uniform(42, 51, n), rng.uniform(-4.5, 8, n)
    lat[:50], lon[:50] = 45.0, 2.5  # services at one place
    needs = rng.integers(0, 1 << 16, n)
    plain = grid(lat, lon, needs, zoom=zoom, max_items=500)
    layout = clusters.layout_of(Columns(lat, lon))
    order = layout.order
    assert np.all(np.diff(layout.code[order].astype(np.float64)) >= 0)
    ordered = grid(
        lat[order],
        lon[order],
        needs[order],
        zoom=zoom,
        max_items=500,
        code=layout.code[order],
    )
    assert ordered.cell_px == plain.cell_px
    assert sorted(order[ordered.points].tolist()) == plain.points.tolist()
    assert sorted(ordered.cells) == sorted(plain.cells)
    assert sum(c[2] for c in plain.cells) + len(plain.points) == n


class Columns:
    def __init__(self, latitude, longitude):
        self.latitude, self.longitude = latitude, longitude


def test_each_version_of_the_columns_gets_its_own_layout():
    lat, lon = np.array([45.0, 44.0, 46.0]), np.array([2.0, 3.0, 1.0])
    first, second = Columns(lat, lon), Columns(lat[::-1].copy(), lon[::-1].copy())
    assert clusters.layout_of(first) is clusters.layout_of(first)
    assert clusters.layout_of(second) is not clusters.layout_of(first)
    assert (
        clusters.layout_of(second).code.tolist()
        == clusters.layout_of(first).code[::-1].tolist()
    )


def test_a_cell_size_is_a_power_of_two():
    with pytest.raises(ValueError):
        grid(np.zeros(3), np.zeros(3), np.zeros(3), zoom=5, cell_px=48)


# -- the map of every service, once per index version ----------------------------


def test_the_map_of_every_service_is_computed_once_per_data_version(
    app, client, monkeypatch
):
    calls = []
    real = web_clusters.grid

    def counting(*args, **kwargs):
        calls.append(kwargs["zoom"])
        return real(*args, **kwargs)

    monkeypatch.setattr(web_clusters, "grid", counting)
    first = payload_of(client.get("/carte").get_data(as_text=True))
    assert len(calls) == 1
    # The list's page and order do not change the map: not computed again.
    again = payload_of(client.get("/carte?page=2&tri=nom").get_data(as_text=True))
    assert len(calls) == 1 and again == first
    # A filter is computed for its request.
    client.get("/carte?besoin=alimentation")
    assert len(calls) == 2
    # A service moved far away (a new data version): the map follows.
    with app.app_context():
        importer.apply_edits(
            get_db(),
            {"anef-cantal--accueil-de-jour-aurillac": {"latitude": "48.85"}},
            user="test",
            label="fiche",
        )
    moved = payload_of(client.get("/carte").get_data(as_text=True))
    assert len(calls) == 3
    assert first["vue"][3] < 46 and moved["vue"][3] >= 48.85
    assert drawn(moved) == drawn(first)


def test_the_map_loads_the_communes_only_for_a_place(client, monkeypatch):
    """The gazetteer (34 902 communes) costs a fresh worker about a second:
    a map without a place never asks for it."""
    from directory.web import public

    asked = []
    for module in (public, web_clusters):
        real = module.get_gazetteer
        monkeypatch.setattr(
            module,
            "get_gazetteer",
            lambda db, real=real: asked.append(1) or real(db),
        )
    view = {"bbox": "2.0,44.5,3.5,45.5", "zoom": "9"}
    assert client.get("/carte?besoin=alimentation").status_code == 200
    assert client.get("/carte/grappes.json", query_string=view).status_code == 200
    assert asked == []
    assert client.get("/carte?commune=Aurillac").status_code == 200
    response = client.get(
        "/carte/grappes.json", query_string={**view, "commune": "Aurillac"}
    )
    assert response.status_code == 200 and len(asked) == 2
