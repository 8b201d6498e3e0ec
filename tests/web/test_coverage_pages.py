"""« Où l'aide manque » (issue 15, pages) through the Flask client: the table is
Coverage.rows of the need, its three orders, the CSV (formulas neutralised),
unknown needs answered in French and never with a 500, the admin page behind
its login with the searches without result, and no trace of the search log on
the public side."""

import csv
import gzip
import io
import json
import re
import unicodedata
from html.parser import HTMLParser

import pytest
from partner_helpers import text

from directory.coverage.load import load
from directory.db import connect, get_db
from directory.web import coverage_present

NEED = "mobilite"
HOSTILE_NAME = '=HYPERLINK("http://evil.example";"clic")'
ALLANCHE = (45.2292, 2.9336)  # 15001, north-east of the Cantal


class Tables(HTMLParser):
    """Rows of the <table> with a given id: [{attrs of <tr>, cells: [text]}]."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append({"attrs": attrs, "cells": []})
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1]["cells"].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


class Visible(HTMLParser):
    """The text a person reads: outside <script> and <style>, tags removed."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(response):
    parser = Visible()
    parser.feed(response.get_data(as_text=True))
    return re.sub(r"[ \t\n]+", " ", "".join(parser.parts))


def table(response, table_id="tableau-couverture"):
    """The body rows (those with a data-insee) of a table of the page."""
    parser = Tables(table_id)
    parser.feed(response.get_data(as_text=True))
    return [r for r in parser.rows if "data-insee" in r["attrs"]]


def number(text_value):
    """« 1 234 » → 1234, « 12,3 km » → 12.3, « — » → None."""
    digits = text_value.removesuffix(" km").replace(",", ".")
    digits = digits.replace("\u202f", "").replace(" ", "")
    return None if digits in ("—", "") else float(digits)


def coverage_of(app):
    with app.app_context():
        return load(get_db(), app.config["TERRITOIRE"])


def add_service(app, **values):
    """A service written straight into the database (tests only)."""
    row = {
        "id": "test-couverture",
        "statut": "actif",
        "structure_id": "anef-cantal",
        "nom": "Service de test",
        "besoins": "energie",
        "commune": "Allanche",
        "code_insee": "15001",
        "latitude": ALLANCHE[0],
        "longitude": ALLANCHE[1],
    }
    row.update(values)
    db = connect(app.config["DATABASE"])
    try:
        with db.atomic():
            db["services"].insert(row)
    finally:
        db.close()


def add_searches(app, rows):
    db = connect(app.config["DATABASE"])
    try:
        with db.atomic():
            db["recherches"].insert_all(rows)
    finally:
        db.close()


def test_the_table_is_the_analysis_of_the_need(app, client):
    response = client.get(f"/couverture?besoin={NEED}")
    assert response.status_code == 200
    shown = {r["attrs"]["data-insee"]: r for r in table(response)}
    expected = {r["code_insee"]: r for r in coverage_of(app).rows(NEED)}
    assert len(expected) == 250
    assert shown.keys() == expected.keys()
    for code, row in expected.items():
        cells = shown[code]["cells"]
        assert cells[0] == row["commune"]
        assert number(cells[1]) == row["population"]
        assert number(cells[3]) == row["km"]
        assert shown[code]["attrs"]["data-classe"] == coverage_present.class_key(
            row["classe"]
        )
        if row["service_nom"]:
            assert cells[2].startswith(row["service_nom"])
        if row["minutes"] is not None:
            assert cells[4] == f"≈ {row['minutes']} min"


def test_the_page_gives_shares_legend_and_method(app, client):
    page = visible(client.get(f"/couverture?besoin={NEED}"))
    summary = next(s for s in coverage_of(app).summary() if s["besoin"] == NEED)
    share = round(summary["part_a"][30] * 100)
    assert f"{share}\u202f% des habitants à moins de 30 km (≈ 36 min)" in page
    assert f"{summary['communes_au_dela']} communes" in page
    for label in ("≤ 10 km (≈ 12 min)", "10 à 20 km (≈ 12 à 24 min)"):
        assert label in page
    assert "plus de 30 km (plus de 36 min)" in page
    assert "à vol d'oiseau × 1,3, une approximation" in page


def folded(name):
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@pytest.mark.parametrize("sort", ["distance", "population", "commune"])
def test_sort_orders(app, client, sort):
    rows = table(client.get(f"/couverture?besoin=energie&tri={sort}"))
    assert len(rows) == 250
    kms = [number(r["cells"][3]) for r in rows]
    if sort == "distance":  # no service at all first, then the farthest
        keys = [(km is not None, -(km or 0)) for km in kms]
    elif sort == "population":
        keys = [-number(r["cells"][1]) for r in rows]
    else:
        keys = [folded(r["cells"][0]) for r in rows]
    assert keys == sorted(keys)


def test_sort_links_are_plain_links(client):
    page = client.get(f"/couverture?besoin={NEED}").get_data(as_text=True)
    assert f'href="/couverture?besoin={NEED}&amp;tri=population"' in page
    assert f'href="/couverture?besoin={NEED}&amp;tri=commune"' in page
    assert 'aria-sort="descending"' in page  # distance, the default


def test_csv_export_is_the_table_for_french_excel(app, client):
    response = client.get(f"/couverture.csv?besoin={NEED}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    expected = {r["code_insee"]: r for r in coverage_of(app).rows(NEED)}
    assert {r["code_insee"] for r in rows} == expected.keys()
    for row in rows:
        want = expected[row["code_insee"]]
        assert row["besoin"] == NEED
        assert int(row["population"]) == want["population"]
        assert number(row["km"]) == want["km"]
        assert row["a_distance"] in ("oui", "non")


def test_csv_neutralises_formulas_in_service_names(app, client):
    add_service(app, nom=HOSTILE_NAME)
    body = client.get("/couverture.csv?besoin=energie").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    names = {r["service_nom"] for r in rows if r["service_id"] == "test-couverture"}
    assert names == {"'" + HOSTILE_NAME}
    page = client.get("/couverture?besoin=energie").get_data(as_text=True)
    assert HOSTILE_NAME not in page  # escaped by Jinja
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in page


@pytest.mark.parametrize(
    "value", ["inconnu", "<script>alert(1)</script>", "mobilite'--", "x" * 5000]
)
def test_an_unknown_need_is_said_in_french_never_a_500(client, value):
    response = client.get("/couverture", query_string={"besoin": value})
    assert response.status_code == 400
    page = text(response)
    assert "Ce besoin n'existe pas dans l'annuaire" in page
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert len(table(response)) == 250  # the first need, shown all the same
    response = client.get("/couverture.csv", query_string={"besoin": value})
    assert response.status_code == 400
    assert "n'existe pas" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?besoin=", "?tri=zzz", "?besoin=energie&tri="])
def test_no_need_or_sort_given_is_the_default(client, query):
    response = client.get(f"/couverture{query}")
    assert response.status_code == 200
    assert len(table(response)) == 250


def test_the_matrix_has_every_commune_and_need(app, client):
    response = client.get("/couverture/matrice")
    assert response.status_code == 200
    rows = table(response, "matrice")
    coverage = coverage_of(app)
    assert len(rows) == 250
    assert all(len(r["cells"]) == 1 + len(coverage.needs) for r in rows)
    page = text(response)
    assert "une page A4 paysage" in page and "les 250 communes" in page
    position = {c.code_insee: i for i, c in enumerate(coverage.communes)}
    row = next(r for r in rows if r["attrs"]["data-insee"] == "15048")  # Chazelles
    for j, cell in enumerate(row["cells"][1:]):
        km = coverage.km[position["15048"], j]
        if km == float("inf"):
            assert cell.endswith("aucun service")
        else:
            assert cell[1:] == str(round(km))  # the class symbol, then the km


def test_the_polygons_are_the_territory_communes(client):
    page = client.get("/couverture").get_data(as_text=True)
    start = page.index('type="application/json" id="donnees-')
    payload = json.loads(
        page[page.index(">", start) + 1 : page.index("</script>", start)]
    )
    assert len(payload["classes"]) == 250
    response = client.get(payload["communes"], headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    features = json.loads(gzip.decompress(response.data))["features"]
    assert {f["properties"]["code"] for f in features} == set(payload["classes"])


def test_the_analysis_is_computed_once_per_data_version(app, client, monkeypatch):
    calls = []
    real = coverage_present.load
    monkeypatch.setattr(
        coverage_present, "load", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    client.get("/couverture")
    client.get("/couverture?besoin=energie")
    client.get("/couverture/matrice")
    assert len(calls) == 1
    add_service(app)
    db = connect(app.config["DATABASE"])
    with db.atomic():  # what every import leaves: a line in the journal
        db["imports"].insert({"utilisateur": "test", "statut": "applique"})
    db.close()
    rows = table(client.get("/couverture?besoin=energie"))
    assert len(calls) == 2
    allanche = next(r for r in rows if r["attrs"]["data-insee"] == "15001")
    assert allanche["cells"][2] == "Service de test, Allanche"
    assert number(allanche["cells"][3]) < 1


def test_links_to_the_page(client):
    assert 'href="/couverture"' in client.get("/").get_data(as_text=True)
    assert 'href="/couverture"' in client.get("/donnees").get_data(as_text=True)


UNMET = [
    {
        "heure": "2026-12-08T10:00",
        "code_insee": "15048",
        "besoins": "mobilite",
        "resultats": 0,
        "nombre": 424242,
    },
    {
        "heure": "2026-11-03T17:00",
        "code_insee": "15014",
        "besoins": "energie, mobilite",
        "resultats": 0,
        "nombre": 3,
    },
    {
        "heure": "2026-12-08T10:00",
        "code_insee": "15014",
        "besoins": "alimentation",
        "resultats": 1,
        "nombre": 515151,
    },
    {
        "heure": "2026-10-01T09:00",
        "code_insee": "43157",
        "besoins": "logement",
        "resultats": 0,
        "nombre": 2,
    },
    {
        "heure": "2026-10-01T09:00",
        "code_insee": "",
        "besoins": "",
        "resultats": 0,
        "nombre": 1,
    },
]


def test_admin_page_needs_an_admin(client, auth):
    response = client.get("/admin/couverture")
    assert response.status_code == 302
    assert "/partenaires/connexion" in response.location
    auth.login()
    assert client.get("/admin/couverture").status_code == 403
    auth.logout()
    auth.login("admin@exemple.fr")
    response = client.get("/admin/couverture")
    assert response.status_code == 200
    assert "Où l'aide manque" in text(response)


def test_admin_lists_searches_without_result_beside_the_gaps(app, client, auth):
    add_searches(app, UNMET)
    auth.login("admin@exemple.fr")
    response = client.get(f"/admin/couverture?besoin={NEED}")
    rows = table(response, "sans-resultat")
    assert [r["attrs"]["data-insee"] for r in rows] == ["15048", "15014", "43157", ""]
    chazelles, aurillac, puy, nowhere = rows
    assert chazelles["cells"][0] == "Chazelles"
    assert "Se déplacer" in chazelles["cells"][1]
    km = next(r for r in coverage_of(app).rows(NEED) if r["code_insee"] == "15048")
    assert f"{str(km['km']).replace('.', ',')} km" in chazelles["cells"][1]
    assert chazelles["cells"][2:] == ["424242", "8 décembre 2026, 10 h"]
    assert aurillac["cells"][0] == "Aurillac"
    assert "Énergie et factures" in aurillac["cells"][1]
    assert aurillac["cells"][2:] == ["3", "3 novembre 2026, 17 h"]
    assert puy["cells"][:3] == [
        "Le Puy-en-Velay (hors du territoire)",
        "Logement et hébergement",
        "2",
    ]
    assert nowhere["cells"][:3] == ["sans commune", "tous besoins (aucun coché)", "1"]
    page = visible(response)
    assert "515151" not in page  # a search with results is no gap
    assert "Les comptes sont gardés 13 mois" in page
    months = table_months(response)
    assert months == [
        ["octobre 2026", "3", "3", "100 %"],
        ["novembre 2026", "3", "3", "100 %"],
        ["décembre 2026", "939393", "424242", "45 %"],
    ]
    assert len(table(response)) == 250  # the need's table, as on /couverture


def table_months(response):
    parser = Tables("par-mois")
    parser.feed(response.get_data(as_text=True))
    return [r["cells"] for r in parser.rows if r["cells"] and r["cells"][0] != "Mois"]


@pytest.mark.parametrize(
    "url", ["/couverture", "/couverture?besoin=mobilite", "/couverture/matrice"]
)
def test_the_public_pages_show_no_search_log(app, client, url):
    add_searches(app, UNMET)
    response = client.get(url)
    page = visible(response)
    assert "424242" not in page and "515151" not in page
    assert "Recherches sans résultat" not in page
    assert "sans-resultat" not in response.get_data(as_text=True)
