"""Issue 10.1: a text search also finds the services of the needs its words name."""

import pytest
from conftest import DATA

from directory.catalogue.vocabulary import NeedTerms, load_besoins
from directory.search.textquery import parts


def ids(client, **params):
    response = client.get("/api/services", query_string={**params, "par_page": 100})
    assert response.status_code == 200
    return {s["id"] for s in response.get_json()["services"]}


@pytest.mark.parametrize(
    "q",
    [
        "alimentation",  # the need's slug
        "Se nourrir",  # its label
        "colis",  # synonyms of data/besoins.csv
        "épicerie solidaire",
        "repas",
    ],
)
def test_words_naming_a_need_find_its_services(client, q):
    need = ids(client, besoin="alimentation")
    assert len(need) >= 10
    assert need <= ids(client, q=q)


def test_thematique_label_finds_the_need_covering_it(client):
    # « Habillement » is the data·inclusion label of a thématique of this need.
    assert ids(client, besoin="equipement-vetements") <= ids(client, q="habillement")


def test_need_word_combines_with_other_words(client):
    # « alimentation aurillac »: services of the need in Aurillac, not elsewhere.
    found = ids(client, q="alimentation aurillac")
    assert found
    assert found <= ids(client, besoin="alimentation")
    assert found <= ids(client, q="aurillac")


def test_results_page_lists_need_services_for_the_slug(client):
    page = client.get("/recherche", query_string={"q": "alimentation"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Aucun service ne correspond" not in text
    assert "Se nourrir" in text


def test_text_splits_into_words_phrases_and_need_runs():
    # The FTS5 query string is gone (issue 12): the text becomes word runs and
    # quoted phrases; a run naming a need is widened to that need's services.
    assert parts('l\'escale "accueil de jour" sol') == [
        ("words", ["l", "escale"]),
        ("phrase", ["accueil", "de", "jour"]),
        ("words", ["sol"]),
    ]
    assert parts('un "guillemet ouvert') == [
        ("words", ["un"]),
        ("words", ["guillemet", "ouvert"]),
    ]
    terms = NeedTerms(load_besoins(DATA / "besoins.csv"))
    assert terms.spans(["repas", "chaud"]) == [(0, 1, ["alimentation"])]


@pytest.mark.parametrize("q", ['"', "NEAR(", "se nourrir)", "alimentation*", "OR"])
def test_odd_texts_never_break_fts(client, q):
    assert client.get("/api/services", query_string={"q": q}).status_code == 200


def test_thematique_category_label_finds_its_needs(client):
    # « Mobilité » is a data·inclusion category: its needs, here « Se déplacer »
    # (no service in the seed) and none other, so no result but no error.
    terms = NeedTerms(load_besoins(DATA / "besoins.csv"))
    assert terms.spans(["Mobilité"]) == [(0, 1, ["mobilite"])]
    assert terms.spans(["Difficultés", "financières"]) == [(0, 2, ["budget"])]
    assert ids(client, besoin="budget") <= ids(client, q="difficultés financières")
