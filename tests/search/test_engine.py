"""Issue 12: the Tantivy text engine on a fixture of known services: French
analysis (typos, stemming, elision, prefix, phrases), field boosts, filters
combined with the text, the « Résultats pour » line."""

import datetime

import pytest

from directory import create_app
from directory.catalogue.vocabulary import fold
from directory.db import get_db
from directory.imports import engine as importer
from directory.search import engine
from directory.search.hours import PARIS
from directory.web.context import prepare_import

HEADER = (
    "id,statut,nom,description,structure_id,structure_nom,besoins,publics,frais,"
    "frais_precisions,modalites_acces,code_postal,commune,latitude,longitude,date_maj"
)
# id, nom, description, structure, besoins, publics, frais, modalites, commune
SERVICES = [
    (
        "epicerie",
        "Épicerie solidaire des Planchettes",
        "Produits à petit prix.",
        "Secours cantalien",
        "alimentation",
        "tous-publics",
        "payant",
        "sur-inscription",
        "Saint-Flour",
    ),
    (
        "colis",
        "Aide alimentaire de Neuvéglise",
        "Colis pour les familles.",
        "Secours cantalien",
        "alimentation",
        "familles",
        "gratuit",
        "orientation-professionnel",
        "Neuvéglise-sur-Truyère",
    ),
    (
        "escale",
        "L'Escale, accueil de jour",
        "Douches et café.",
        "Association Le Pont",
        "hygiene-accueil-de-jour",
        "tous-publics",
        "gratuit",
        "acces-libre",
        "Aurillac",
    ),
    (
        "foyer",
        "Foyer Le Relais",
        "Hébergement d'urgence pour la nuit.",
        "Association Le Pont",
        "logement",
        "personnes-en-situation-durgence",
        "gratuit",
        "sur-rendez-vous",
        "Aurillac",
    ),
    (
        "tricot-nom",
        "Atelier tricot",
        "Un après-midi par semaine.",
        "Maison des citoyens",
        "lien-social",
        "tous-publics",
        "gratuit",
        "acces-libre",
        "Murat",
    ),
    (
        "tricot-description",
        "Maison des familles",
        "On apprend à tricoter ensemble.",
        "Maison des citoyens",
        "lien-social",
        "familles",
        "payant",
        "acces-libre",
        "Murat",
    ),
    (
        "brocante",
        "Brocante solidaire",
        "Meubles d'occasion.",
        "Emmaüs",
        "equipement-vetements",
        "tous-publics",
        "payant",
        "acces-libre",
        "Mauriac",
    ),
    (
        "brocaste",
        "Brocaste du quartier",
        "Vêtements d'occasion.",
        "Emmaüs",
        "equipement-vetements",
        "tous-publics",
        "gratuit",
        "acces-libre",
        "Mauriac",
    ),
    (
        "ferme",
        "Ancienne épicerie tricot",
        "Fermée.",
        "Secours cantalien",
        "alimentation",
        "tous-publics",
        "gratuit",
        "acces-libre",
        "Murat",
    ),
]
PLACES = {
    "Saint-Flour": ("15100", "45.0340", "3.0930"),
    "Neuvéglise-sur-Truyère": ("15260", "44.9270", "2.9830"),
    "Aurillac": ("15000", "44.9264", "2.4397"),
    "Murat": ("15300", "45.1100", "2.8690"),
    "Mauriac": ("15200", "45.2183", "2.3336"),
}


def csv_bytes(services=SERVICES):
    lines = [HEADER]
    for (
        sid,
        nom,
        desc,
        structure,
        besoins,
        publics,
        frais,
        modalites,
        commune,
    ) in services:
        postcode, lat, lon = PLACES[commune]
        statut = "ferme" if sid == "ferme" else "actif"
        cells = [sid, statut, nom, desc, fold(structure), structure, besoins]
        cells += [publics, frais, "2 €" if frais == "payant" else "", modalites]
        cells += [postcode, commune]
        cells += [lat, lon, "2026-10-01"]
        lines.append(",".join(f'"{c}"' for c in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def make_app(db_path, data=None):
    """The app on `db_path` with a CSV (this module's fixture by default)
    imported by the real engine, its clock frozen on a Thursday morning."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(db_path),
            "CLOCK": lambda: datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS),
        }
    )
    with app.app_context():
        data = csv_bytes() if data is None else data
        report = prepare_import(get_db(), data, "fixture.csv")
        assert report.ok, [i.text for i in report.errors]
        importer.apply(get_db(), report, user="test")
    return app


@pytest.fixture
def text_app(db_path):
    return make_app(db_path)


@pytest.fixture
def find(text_app):
    client = text_app.test_client()

    def get(q=None, **params):
        response = client.get(
            "/api/services", query_string={"q": q, "par_page": 100, **params}
        )
        assert response.status_code == 200, response.get_json()
        return [s["id"] for s in response.get_json()["services"]]

    return get


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("epicrie", "epicerie"),  # one edit
        ("Épicrie solidaire", "epicerie"),
        ("alimantaire", "colis"),  # « alimentaire »
        ("hebergment", "foyer"),  # « hébergement »
        ("tricto", "tricot-nom"),  # a transposition is one edit
    ],
)
def test_typos_are_corrected(find, typed, expected):
    assert find(typed)[0] == expected


def test_typo_budget_and_first_letter(find):
    assert find("tricut") == ["tricot-nom", "tricot-description"]  # 6 letters: 1
    assert find("tracut") == []  # two edits on a 6-letter word
    assert find("pricot") == []  # never on the first letter
    assert find("trico") != []  # 5 letters: prefix of the last word anyway
    assert find("hebergxxt") == []  # 9 letters: 2 edits, « héberger » is 3 away
    assert "foyer" in find("hebregment")  # 10 letters, 2 edits


def test_page_says_which_words_were_searched(text_app):
    client = text_app.test_client()
    page = client.get("/recherche", query_string={"q": "epicrie"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Résultats pour « épicerie »" in text
    assert "Épicerie solidaire des Planchettes" in text
    exact = client.get("/recherche", query_string={"q": "épicerie"})
    assert "Résultats pour" not in exact.get_data(as_text=True)


def test_exact_matches_rank_before_corrected_ones(text_app, find):
    # « brocaste » is one edit from « brocante », and both are names.
    assert find("brocante") == ["brocante", "brocaste"]
    assert find("brocaste") == ["brocaste", "brocante"]
    page = text_app.test_client().get("/recherche", query_string={"q": "brocante"})
    assert "Résultats pour" not in page.get_data(as_text=True)


def test_stemming_and_accents(find):
    assert "tricot-description" in find("tricot")  # « tricoter »
    assert "foyer" in find("hébergé")  # « Hébergement »
    assert "foyer" in find("HEBERGEMENTS")
    assert find("cafe") == ["escale"]


def test_elision(find):
    assert find("l'escale") == ["escale"]
    assert find("l’Escale accueil") == ["escale"]
    assert sorted(find("occasion d'emmaus")) == ["brocante", "brocaste"]


def test_prefix_only_on_the_last_word(find):
    assert find("épicerie planch") == ["epicerie"]
    assert find("planch épicerie") == []
    assert find("escal") == ["escale"]


def test_phrases(find):
    assert find('"accueil de jour"') == ["escale"]
    assert find('"jour de accueil"') == []
    assert find('"hébergement urgence"') == []  # « d' » sits between
    assert find('"hébergement d\'urgence"') == ["foyer"]


def test_every_word_must_match(find):
    assert find("tricot murat") == ["tricot-nom", "tricot-description"]
    assert find("tricot aurillac") == []


def test_field_boosts(find):
    # The name before the structure, the structure before the description.
    assert find("tricot") == ["tricot-nom", "tricot-description"]
    assert find("maison") == ["tricot-description", "tricot-nom"]


def test_the_word_as_typed_in_a_name_ranks_first(db_path):
    """Same stem, same field: the name holding the word as typed comes first."""
    rows = [
        (
            sid,
            nom,
            "Un service.",
            "Association",
            "numerique",
            "tous-publics",
            "gratuit",
            "acces-libre",
            "Murat",
        )
        for sid, nom in (
            ("aidants", "Soutien aux aidants"),
            ("domicile", "Aide à domicile"),
            ("aidee", "Maison aidée"),
        )
    ]
    client = make_app(db_path, csv_bytes(rows)).test_client()

    def first(q):
        body = client.get("/api/services", query_string={"q": q}).get_json()
        return [s["id"] for s in body["services"]][0]

    assert first("aide") == "domicile"
    assert first("aidants") == "aidants"
    assert first("aidée") == "aidee"


def test_closed_services_are_not_indexed(find):
    assert "ferme" not in find("tricot")
    assert "ferme" not in find("ancienne")


@pytest.mark.parametrize("facets", [False, True])
def test_filters_combine_with_the_text(text_app, facets):
    from directory.search.query import Query, search
    from directory.web.context import get_besoins

    def run(**options):
        with text_app.app_context():
            db = get_db()
            query = Query(par_page=100, **options)
            slugs = list(get_besoins(db).labels)
            result = search(db, query, besoin_slugs=slugs, facets=facets)
            return [s["id"] for s in result.services], result.total

    assert run(q="tricot", frais="payant") == (["tricot-description"], 1)
    assert run(q="tricot", publics=["familles"]) == (
        ["tricot-nom", "tricot-description"],  # tous-publics is for everyone
        2,
    )
    assert run(q="secours", besoins=["alimentation"], modalites=["acces-libre"]) == (
        [],
        0,
    )
    assert run(q="secours", modalites=["sur-inscription", "acces-libre"]) == (
        ["epicerie"],
        1,
    )
    assert run(q="pont", besoins=["logement", "alimentation"]) == (["foyer"], 1)
    assert run(q="pont", besoins=["alimentation"]) == ([], 0)
    assert run(q="epicrie", frais="payant") == (["epicerie"], 1)


def test_pages_of_a_text_search(find, text_app):
    client = text_app.test_client()
    every = find("occasion")
    pages = []
    for page in (1, 2, 3):
        body = client.get(
            "/api/services", query_string={"q": "occasion", "par_page": 1, "page": page}
        ).get_json()
        assert body["total"] == 2
        pages += [s["id"] for s in body["services"]]
    # Equal scores (the same words, as long): the pages still agree.
    assert pages == every
    assert sorted(every) == ["brocante", "brocaste"]


def test_text_with_a_place_uses_the_box_and_the_radius(find):
    assert find("secours", commune="Saint-Flour", rayon=5) == ["epicerie"]
    assert find("secours", commune="Saint-Flour", rayon=30) == ["epicerie", "colis"]
    assert find("secours", commune="Mauriac", rayon=5) == []


def test_a_worker_opens_the_index_without_building_it(text_app, monkeypatch):
    with text_app.app_context():
        db = get_db()
        name = engine.refresh(db)
        engine._opened.clear()  # a fresh process

        def no_build(*args):
            raise AssertionError("rebuilt")

        monkeypatch.setattr(engine, "_write", no_build)
        assert engine.current(db).name == name


@pytest.fixture
def query_app(db_path):
    """The app on the services of test_query (one has an eligibility zone)."""
    from .test_query import fixture_csv  # test_query imports this module

    return make_app(db_path, fixture_csv())


def test_text_with_a_place_keeps_the_eligibility_zone(query_app):
    # « Aide réservée aux Aurillacois » sits in Saint-Flour, for Aurillac only.
    client = query_app.test_client()

    def found(**params):
        response = client.get(
            "/api/services", query_string={"q": "aurillacois", **params}
        )
        return [s["id"] for s in response.get_json()["services"]]

    assert found() == ["reserve--aurillac"]
    assert found(commune="Saint-Flour", rayon=30) == []
    assert found(commune="Aurillac", rayon=80) == ["reserve--aurillac"]


def test_words_the_index_cannot_hold_find_nothing(find):
    assert find("x" * 60) == []  # longer than any indexed word
    assert "escale" in find("l")  # a word being typed: « l » is a prefix
    assert len(find("*")) == 8  # no word at all: the text is ignored


def test_a_text_search_never_loads_the_gazetteer(text_app, monkeypatch):
    # A fresh worker's first text search stays cheap: the 34 902 communes are
    # read only for a search around a place.
    from directory.web import api

    loads = []
    real = api.get_gazetteer
    monkeypatch.setattr(api, "get_gazetteer", lambda db: loads.append(1) or real(db))
    client = text_app.test_client()
    assert client.get("/api/services?q=tricot").status_code == 200
    assert loads == []
    assert client.get("/api/services?q=tricot&commune=Murat").status_code == 200
    assert loads == [1]


def test_matches_around_a_place_are_kept_per_index_version(find, monkeypatch):
    """The list and the map ask the same text around the same place again:
    the engine is asked once; another radius or text is another question."""
    from directory.search import textsearch

    calls = []
    original = textsearch._every

    def counted(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(textsearch, "_every", counted)
    first = find("secours", commune="Saint-Flour", rayon=30)
    assert find("secours", commune="Saint-Flour", rayon=30) == first
    assert first == ["epicerie", "colis"]
    assert len(calls) == 1
    assert find("secours", commune="Saint-Flour", rayon=5) == ["epicerie"]
    find("solidaire", commune="Saint-Flour", rayon=30)
    assert len(calls) == 3


def test_the_matches_cache_is_bounded(find, monkeypatch):
    from directory.search import textsearch

    monkeypatch.setattr(textsearch, "CACHE_BYTES", 1)  # keeps only the last one
    monkeypatch.setattr(engine, "_opened", {})  # this test's engine only
    find("secours", commune="Saint-Flour", rayon=30)
    find("solidaire", commune="Saint-Flour", rayon=30)
    (opened,) = engine._opened.values()
    assert len(opened.matches) == 1
