"""A place listed by two sources is shown once (search, API, map, exports) and
its fiche tells where it comes from and who else lists it."""

import csv
import io
import json
import re

import pytest

from directory.catalogue import duplicates
from directory.db import connect

PLACE = {
    "statut": "actif",
    "structure_id": "ccas-zygomatique",
    "structure_nom": "CCAS de Zygomatique",
    "besoins": "alimentation",
    "besoins_libelles": "Alimentation",
    "description": "Colis alimentaires et épicerie.",
    "code_postal": "15000",
    "commune": "Aurillac",
    "code_insee": "15014",
    "latitude": 44.9264,
    "longitude": 2.4397,
    "precision_geo": "adresse",
    "telephone": "+33471999999",
    "modifie_le": "2026-03-12T00:00:00+00:00",
}


@pytest.fixture
def pair(app):
    """The same épicerie from DORA and from Soliguide, clustered; returns ids."""
    db = connect(app.config["DATABASE"])
    db["services"].insert_all(
        [
            {
                **PLACE,
                "id": "di-dora-zygo",
                "nom": "Épicerie Zygomatique",
                "source": "dora",
                "lien_source": "https://dora.inclusion.beta.gouv.fr/services/zygo",
                "origine": "API data·inclusion (services)",
                "importe_le": "2026-03-14T08:00:00+00:00",
                "date_maj": "2026-03-12",
                "score_qualite": 0.9,
            },
            {
                **PLACE,
                "id": "di-soliguide-zygo",
                "nom": "Epicerie zygomatique",
                "source": "soliguide",
                "lien_source": "https://soliguide.fr/fr/fiche/zygo",
                "origine": "data·inclusion : services.json",
                "importe_le": "2026-03-14T08:00:00+00:00",
                "date_maj": "2026-02-01",
                "score_qualite": 0.4,
            },
        ]
    )
    db.conn.executemany(
        "insert into service_besoins (besoin, service_id) values ('alimentation', ?)",
        [("di-dora-zygo",), ("di-soliguide-zygo",)],
    )
    db.conn.commit()
    assert duplicates.recompute(db, user="test")
    db.close()
    return "di-dora-zygo", "di-soliguide-zygo"


def ids_in(text):
    return set(re.findall(r"di-(?:dora|soliguide)-zygo", text))


def test_search_page_and_api_show_the_pair_once(client, pair):
    shown, hidden = pair
    page = client.get("/recherche?q=zygomatique").get_data(as_text=True)
    assert ids_in(page) == {shown}
    api = client.get("/api/services?q=zygomatique").get_json()
    assert api["total"] == 1
    assert [s["id"] for s in api["services"]] == [shown]


def test_map_shows_the_pair_once(client, pair):
    page = client.get("/carte?q=zygomatique").get_data(as_text=True)
    block = re.search(
        r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S
    )
    services = json.loads(block.group(1))["services"]
    assert [row[2] for row in services] == [pair[0]]


def test_exports_show_the_pair_once_with_provenance(client, pair):
    geo = client.get("/export/services.geojson?q=zygomatique").get_json()
    assert [f["id"] for f in geo["features"]] == [pair[0]]
    properties = geo["features"][0]["properties"]
    assert properties["lien_source"].startswith("https://dora.")
    assert properties["origine"] == "API data·inclusion (services)"
    assert properties["importe_le"] == "2026-03-14T08:00:00+00:00"
    body = client.get("/export/services.csv?q=zygomatique").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert [r["id"] for r in rows] == [pair[0]]
    assert rows[0]["lien_source"] == "https://dora.inclusion.beta.gouv.fr/services/zygo"
    assert rows[0]["origine"] == "API data·inclusion (services)"
    di = client.get("/export/data-inclusion/services.json?q=zygomatique").get_json()
    assert len(di) == 1


def test_csv_export_escapes_provenance_formulas(client, app, pair):
    db = connect(app.config["DATABASE"])
    db["services"].update(pair[0], {"origine": "=HYPERLINK(1) data·inclusion"})
    db.close()
    body = client.get("/export/services.csv?q=zygomatique").data.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert row["origine"] == "'=HYPERLINK(1) data·inclusion"


def test_needs_count_the_pair_once(client, pair):
    needs = client.get("/api/besoins").get_json()
    before = next(n for n in needs if n["slug"] == "alimentation")["nombre_services"]
    db = connect(client.application.config["DATABASE"])
    db["services"].update(pair[1], {"doublon_de": None})
    # Logged as every write is: the search index follows the journal.
    entry = db["imports"].insert({"fichier": "t", "statut": "applique"}).last_pk
    db["changes"].insert(
        {
            "import_id": entry,
            "service_id": pair[1],
            "action": "modification",
            "champ": "doublon_de",
            "avant": json.dumps(pair[0]),
            "apres": "null",
        }
    )
    db.close()
    needs = client.get("/api/besoins").get_json()
    after = next(n for n in needs if n["slug"] == "alimentation")["nombre_services"]
    assert after == before + 1


def test_fiche_shows_provenance_and_the_other_sources(client, pair):
    page = client.get(f"/services/{pair[0]}").get_data(as_text=True)
    assert "Source : DORA, mise à jour le 12/03/2026" in page
    assert 'href="https://dora.inclusion.beta.gouv.fr/services/zygo"' in page
    assert "voir la fiche d'origine" in page
    assert "importé le 14/03/2026 depuis API data·inclusion (services)" in page
    other = re.search(r'<dd id="aussi-reference">(.*?)</dd>', page, re.S).group(1)
    assert '<a href="https://soliguide.fr/fr/fiche/zygo">Soliguide</a>' in other
    assert f'href="/services/{pair[1]}"' in other
    assert 'id="doublon-de"' not in page


def test_fiche_of_a_duplicate_points_to_the_shown_one(client, pair):
    page = client.get(f"/services/{pair[1]}").get_data(as_text=True)
    banner = re.search(r'<p class="bandeau" id="doublon-de">(.*?)</p>', page, re.S)
    assert f'href="/services/{pair[0]}"' in banner.group(1)
    assert "Source : Soliguide, mise à jour le 01/02/2026" in page
    assert 'id="aussi-reference"' not in page


def test_unknown_source_and_unsafe_link_are_shown_raw(client, app, pair):
    db = connect(app.config["DATABASE"])
    db["services"].update(
        pair[0], {"source": "mes-aides-x", "lien_source": "javascript:alert(1)"}
    )
    db.close()
    page = client.get(f"/services/{pair[0]}").get_data(as_text=True)
    assert "Source : mes-aides-x, mise à jour le" in page
    assert "javascript:alert" not in page


def test_seed_fiche_keeps_its_source_link(client):
    db = connect(client.application.config["DATABASE"])
    row = next(db.query("select id, source from services where source like 'http%'"))
    db.close()
    page = client.get(f"/services/{row['id']}").get_data(as_text=True)
    url = re.match(r"https?://\S+", row["source"]).group().rstrip(".,);")
    assert f'href="{url}"' in page
    assert 'id="provenance"' not in page


def test_import_line_shown_for_any_row_with_an_origin(client):
    db = connect(client.application.config["DATABASE"])
    row = next(db.query("select id from services where source like 'http%'"))
    db["services"].update(
        row["id"], {"origine": "annuaire-2025.csv", "importe_le": "2026-01-05T10:00"}
    )
    db.close()
    page = client.get(f"/services/{row['id']}").get_data(as_text=True)
    assert "importé le 05/01/2026 depuis annuaire-2025.csv" in page
