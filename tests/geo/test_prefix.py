"""Issue 10.2: a commune typed as the start of its name."""

import re
from html import unescape

import pytest

from directory.search.query import ParamError, resolve_place


def test_unique_prefix_resolves(gazetteer):
    place = resolve_place(gazetteer, "riom")
    assert place.nom == "Riom-ès-Montagnes"
    assert place.code_insee == "15162"


def test_several_communes_with_the_prefix_are_listed(gazetteer):
    with pytest.raises(ParamError) as caught:
        resolve_place(gazetteer, "Mau")
    error = caught.value
    assert error.parametre == "commune"
    assert "Plusieurs communes commencent par « Mau »" in error.message
    assert error.choices == ["Mauriac", "Maurs", "Maurines"]  # most populated first


def test_no_prefix_keeps_the_gazetteer_diagnosis(gazetteer):
    with pytest.raises(ParamError) as caught:
        resolve_place(gazetteer, "Aurilac")
    assert "Aurillac" in caught.value.message
    assert caught.value.choices == []


def test_search_page_resolves_a_unique_prefix(client):
    page = client.get("/recherche", query_string={"commune": "riom"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "n'est pas une commune" not in text
    assert "Riom-ès-Montagnes" in text


def test_search_page_links_the_communes_to_choose(client):
    page = client.get(
        "/recherche", query_string={"commune": "mau", "besoin": "alimentation"}
    )
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Plusieurs communes commencent par « mau »" in text
    choices = text.split('class="choix-communes"')[1].split("</ul>")[0]
    links = {
        name: unescape(href)
        for href, name in re.findall(r'<a href="([^"]+)">([^<]+)</a>', choices)
    }
    assert set(links) == {"Mauriac", "Maurs", "Maurines"}
    assert "besoin=alimentation" in links["Mauriac"]
    assert client.get(links["Mauriac"]).status_code == 200


def test_api_answers_a_unique_prefix(client):
    body = client.get("/api/services?commune=riom").get_json()
    assert body["lieu"]["nom"] == "Riom-ès-Montagnes"
