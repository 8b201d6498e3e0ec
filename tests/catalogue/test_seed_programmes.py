"""The programmes the Pacte des solidarités names are findable in the real seed:
energy, childcare and mobility, through the real search (issue 11.3)."""

import csv
import re

import pytest
from conftest import DATA


@pytest.mark.parametrize(
    "params",
    [
        {"besoin": "energie"},
        {"besoin": "garde-enfants"},
        {"besoin": "mobilite"},
        {"q": "garde d'enfants"},
        {"q": "précarité énergétique"},
        {"q": "mobilité"},
    ],
    ids=lambda p: next(iter(p.values())),
)
def test_programme_finds_three_services_in_the_cantal(client, params):
    body = client.get("/api/services", query_string={**params, "par_page": 100})
    assert body.status_code == 200
    services = body.get_json()["services"]
    in_cantal = [s for s in services if (s["code_insee"] or "").startswith("15")]
    assert len(in_cantal) >= 3, [s["id"] for s in services]


@pytest.mark.parametrize(
    ("besoin", "label"),
    [
        ("energie", "Énergie et factures"),
        ("garde-enfants", "Garde d'enfants"),
        ("mobilite", "Se déplacer"),
    ],
)
def test_search_page_lists_the_programme(client, besoin, label):
    page = client.get("/recherche", query_string={"besoin": besoin})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "n'est encore référencé" not in html
    count = int(re.search(r"(\d+) services? trouvés?", html).group(1))
    assert count >= 3


def test_every_seed_row_has_a_source_and_a_date():
    with open(DATA / "services.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows if not r["source"].strip()] == []
    assert [
        r["id"] for r in rows if not re.fullmatch(r"\d{4}-\d\d-\d\d", r["date_maj"])
    ] == []


def test_unknown_fees_stay_empty_rather_than_guessed():
    """Rows from cantal_services_more.csv keep `frais` empty unless the source
    states it (a crèche's fees are not in its source)."""
    with open(DATA / "services.csv", encoding="utf-8", newline="") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert rows["multi-accueil-maurs--les-petites-canailles"]["frais"] == ""
    assert rows["saint-flour-communaute--rpe-caramels"]["frais"] == "gratuit"
    voiturettes = rows["departement-cantal--location-voiturettes"]
    assert voiturettes["frais"] == "payant"
    assert "13 €" in voiturettes["frais_precisions"]
