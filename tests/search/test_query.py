"""Search (SPEC §5) through the JSON API, on a fixture database of known places."""

import datetime

import pytest
from geopy.distance import geodesic

from directory.db import get_db
from directory.imports import engine as importer
from directory.search.hours import PARIS

from .test_engine import make_app

HEADER = (
    "id,statut,nom,description,structure_id,structure_nom,besoins,publics,frais,"
    "frais_precisions,modalites_acces,modes_accueil,adresse,code_postal,commune,"
    "latitude,longitude,telephone,horaires,zone_eligibilite,date_maj"
)
ROWS = [
    # id, statut, nom, description, structure, besoins, publics, frais, modalites,
    # modes, code_postal, commune, lat, lon, horaires, zone
    (
        "epi--saint-flour",
        "actif",
        "Épicerie solidaire des Planchettes",
        "Produits alimentaires à petit prix.",
        "epi",
        "alimentation",
        "tous-publics",
        "payant",
        "sur-inscription",
        "en-presentiel",
        "15100",
        "Saint-Flour",
        "45.0340",
        "3.0930",
        "Mo-Fr 09:00-12:00; PH off",
        "",
    ),
    (
        "escale--aurillac",
        "actif",
        "L'Escale, accueil de jour",
        "Douches, laverie et café pour les personnes sans domicile.",
        "escale",
        "hygiene-accueil-de-jour, logement",
        "personnes-en-situation-durgence",
        "gratuit",
        "acces-libre",
        "en-presentiel",
        "15000",
        "Aurillac",
        "",
        "",
        "Mo-Su 08:00-18:00",
        "",
    ),
    (
        "energie--murat",
        "actif",
        "Permanence énergie de Murat",
        "Aide pour les factures de chauffage et le chèque énergie.",
        "ccas-murat",
        "energie",
        "tous-publics",
        "gratuit",
        "sur-rendez-vous",
        "en-presentiel",
        "15300",
        "Murat",
        "",
        "",
        "Tu 14:00-17:00",
        "",
    ),
    (
        "logement--mauriac",
        "actif",
        "Point logement de Mauriac",
        "Trouver un logement social.",
        "ccas-mauriac",
        "logement",
        "jeunes",
        "gratuit",
        "sur-rendez-vous",
        "en-presentiel",
        "15200",
        "Mauriac",
        "",
        "",
        "",
        "",
    ),
    (
        "aide--neuveglise",
        "actif",
        "Aide alimentaire de Neuvéglise",
        "Colis alimentaires.",
        "epi",
        "alimentation",
        "tous-publics",
        "gratuit",
        "orientation-professionnel",
        "en-presentiel",
        "15260",
        "Neuvéglise-sur-Truyère",
        "",
        "",
        "We 09:00-12:00",
        "",
    ),
    (
        "numerique--distance",
        "actif",
        "Aide numérique par téléphone",
        "Un conseiller vous guide dans vos démarches en ligne.",
        "escale",
        "numerique",
        "tous-publics",
        "gratuit",
        "sur-rendez-vous",
        "a-distance",
        "15000",
        "Aurillac",
        "",
        "",
        "Mo-Fr 09:00-17:00",
        "",
    ),
    (
        "ferme--saint-flour",
        "ferme",
        "Ancienne épicerie fermée",
        "Ce service a fermé.",
        "epi",
        "alimentation",
        "tous-publics",
        "gratuit",
        "acces-libre",
        "en-presentiel",
        "15100",
        "Saint-Flour",
        "",
        "",
        "",
        "",
    ),
    (
        "reserve--aurillac",
        "actif",
        "Aide réservée aux Aurillacois",
        "Aide alimentaire pour les habitants d'Aurillac.",
        "ccas-aurillac",
        "alimentation",
        "tous-publics",
        "gratuit",
        "acces-libre",
        "en-presentiel",
        "15100",
        "Saint-Flour",
        "45.0400",
        "3.1000",
        "",
        "15014",
    ),
]


def fixture_csv():
    lines = [HEADER]
    for r in ROWS:
        (
            sid,
            statut,
            nom,
            desc,
            struct,
            besoins,
            publics,
            frais,
            modalites,
            modes,
            cp,
            commune,
            lat,
            lon,
            horaires,
            zone,
        ) = r
        cells = [
            sid,
            statut,
            nom,
            desc,
            struct,
            struct.upper(),
            besoins,
            publics,
            frais,
            "1 € par passage" if frais == "payant" else "",
            modalites,
            modes,
            "",
            cp,
            commune,
            lat,
            lon,
            "04 71 00 00 00",
            horaires,
            zone,
            "2026-10-01",
        ]
        lines.append(",".join(f'"{c}"' for c in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def search_app(db_path):
    return make_app(db_path, fixture_csv())


@pytest.fixture
def api(search_app):
    client = search_app.test_client()

    def get(query="", status=200, **params):
        response = client.get("/api/services" + query, query_string=params or None)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    return get


def ids(body):
    return [s["id"] for s in body["services"]]


def test_text_is_accent_and_case_insensitive(api):
    # « épicerie » also names the need « Se nourrir » (issue 10.1): the
    # service whose text says it comes first, whatever the accents and case.
    assert ids(api(q="epicerie"))[0] == "epi--saint-flour"
    assert ids(api(q="ÉPICERIE"))[0] == "epi--saint-flour"
    assert ids(api(q="ÉPICERIE planch")) == ["epi--saint-flour"]  # prefix, last word
    assert "escale--aurillac" in ids(api(q="l'escale"))


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "*",
        "NEAR(",
        "l'escale",
        "a OR b",
        "-x",
        "((",
        "'",
        "^",
        "épicerie:",
        "NOT",
        "\\",
    ],
)
def test_hostile_text_never_crashes(api, text):
    body = api(q=text)
    assert body["total"] >= 0


def test_need_filter_is_an_or(api):
    body = api("?besoin=energie&besoin=logement")
    assert sorted(ids(body)) == [
        "energie--murat",
        "escale--aurillac",
        "logement--mauriac",
    ]
    assert ids(api(besoin="Énergie et factures")) == ["energie--murat"]


def test_closed_services_never_appear(api):
    every = api(par_page=100)
    assert "ferme--saint-flour" not in ids(every)
    assert every["total"] == len(ROWS) - 1


@pytest.mark.parametrize("commune", ["St Flour", "15100", "15187", "SAINT-FLOUR 15100"])
def test_commune_spellings_give_the_same_place(api, commune):
    body = api(commune=commune, rayon=30)
    assert body["lieu"]["code_insee"] == "15187"
    assert body["lieu"]["nom"] == "Saint-Flour"
    assert ids(body) == ids(api(commune="15187", rayon=30))


@pytest.mark.parametrize("rayon", [5, 20, 30, 80, 200])
def test_distances_are_geodesic_sorted_and_within_radius(api, rayon):
    body = api(commune="Saint-Flour", rayon=rayon, par_page=100)
    lieu = (body["lieu"]["latitude"], body["lieu"]["longitude"])
    distances = []
    for s in body["services"]:
        if s["distance_km"] is None:  # a remote service outside the radius
            assert s["id"] == "numerique--distance"
            continue
        exact = geodesic(lieu, (s["latitude"], s["longitude"])).km
        assert s["distance_km"] == pytest.approx(exact, rel=0.005, abs=0.01)
        assert s["distance_km"] <= rayon
        distances.append(s["distance_km"])
    assert distances == sorted(distances)
    assert "numerique--distance" in ids(body)  # remote: listed whatever the radius
    placed = [s["distance_km"] is not None for s in body["services"]]
    assert placed == sorted(placed, reverse=True)  # out-of-radius remote ones last


def test_radius_excludes_far_services_and_default_is_20(api):
    near = ids(api(commune="Saint-Flour"))
    assert "epi--saint-flour" in near and "aide--neuveglise" in near
    assert "escale--aurillac" not in near  # about 50 km away
    assert "escale--aurillac" in ids(api(commune="Saint-Flour", rayon=80))


def test_zone_eligibilite_restricts_by_commune(api):
    assert "reserve--aurillac" not in ids(api(commune="Saint-Flour", rayon=30))
    assert "reserve--aurillac" in ids(api(commune="Aurillac", rayon=80))


def test_lat_lon_instead_of_commune(api):
    body = api(lat="45.0340", lon="3.0930", rayon=1)
    assert ids(body)[0] == "epi--saint-flour"
    assert body["services"][0]["distance_km"] == 0.0


def test_public_modalite_frais_filters(api):
    assert "logement--mauriac" in ids(api(public="jeunes"))
    assert "energie--murat" in ids(api(public="jeunes"))  # tous-publics matches
    assert "escale--aurillac" not in ids(api(public="jeunes"))
    assert ids(api(frais="payant")) == ["epi--saint-flour"]
    assert sorted(ids(api("?modalite=acces-libre&modalite=sur-inscription"))) == [
        "epi--saint-flour",
        "escale--aurillac",
        "reserve--aurillac",
    ]


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime.datetime(2026, 7, 14, 10, 0), False),  # Bastille Day: PH off
        (datetime.datetime(2026, 7, 15, 10, 0), True),
        (datetime.datetime(2026, 7, 15, 13, 0), False),
    ],
)
def test_open_now_with_frozen_clock(search_app, moment, expected):
    search_app.config["CLOCK"] = lambda: moment.replace(tzinfo=PARIS)
    client = search_app.test_client()
    body = client.get("/api/services?ouvert=1&par_page=100").get_json()
    assert ("epi--saint-flour" in ids(body)) is expected
    detail = client.get("/api/services/epi--saint-flour").get_json()
    assert detail["ouvert_maintenant"] is expected


def test_open_now_uses_paris_time(search_app):
    # 08:00 UTC on 15 July is 10:00 in Paris (summer time).
    search_app.config["CLOCK"] = lambda: datetime.datetime(
        2026, 7, 15, 8, 0, tzinfo=datetime.UTC
    )
    body = search_app.test_client().get("/api/services?ouvert=1").get_json()
    assert "epi--saint-flour" in ids(body)


def test_pagination_totals(api):
    total = api()["total"]
    pages = [api(page=p, par_page=2) for p in (1, 2, 3, 4)]
    seen = [i for page in pages for i in ids(page)]
    assert all(p["total"] == total for p in pages)
    assert len(seen) == len(set(seen)) == total
    assert pages[1]["page"] == 2 and pages[1]["par_page"] == 2
    assert api(page=50)["services"] == []


def test_sort_orders(api):
    names = [s["nom"] for s in api(tri="nom", par_page=100)["services"]]
    assert names == sorted(names, key=str.lower)
    assert api(tri="distance", status=400)["parametre"] == "tri"


def test_result_shape(api):
    body = api(commune="Saint-Flour", rayon=30)
    assert list(body) == ["total", "page", "par_page", "lieu", "services"]
    assert list(body["lieu"]) == ["nom", "code_insee", "latitude", "longitude"]
    assert list(body["services"][0]) == [
        "id",
        "nom",
        "structure_nom",
        "besoins",
        "adresse",
        "code_postal",
        "commune",
        "code_insee",
        "latitude",
        "longitude",
        "distance_km",
        "telephone",
        "ouvert_maintenant",
        "fermeture",
        "url",
    ]
    first = body["services"][0]
    assert first["telephone"] == "04 71 00 00 00"
    assert first["url"] == "http://localhost/services/epi--saint-flour"
    assert api()["lieu"] is None


def test_service_detail_has_every_column(search_app):
    body = search_app.test_client().get("/api/services/escale--aurillac").get_json()
    assert body["besoins"] == ["hygiene-accueil-de-jour", "logement"]
    assert body["precision_geo"] == "commune"
    assert body["code_insee"] == "15014"
    for column in (
        "statut",
        "thematiques",
        "langues",
        "date_maj",
        "source",
        "horaires",
        "zone_eligibilite",
        "lien_mobilisation",
    ):
        assert column in body
    missing = search_app.test_client().get("/api/services/inconnu")
    assert missing.status_code == 404
    assert missing.get_json() == {"erreur": "Service « inconnu » introuvable."}


@pytest.mark.parametrize(
    "params, parametre, text",
    [
        ({"commune": "Sint-Flour"}, "commune", "Vouliez-vous dire « Saint-Flour » ?"),
        ({"commune": "Xyzzyville"}, "commune", "inconnue"),
        ({"besoin": "logment"}, "besoin", "Vouliez-vous dire « logement » ?"),
        ({"rayon": "500", "commune": "Murat"}, "rayon", "entre 0.1 et 200"),
        ({"rayon": "abc", "commune": "Murat"}, "rayon", "doit être un nombre"),
        ({"lat": "45"}, "lon", "vont ensemble"),
        ({"lat": "nan", "lon": "3"}, "lat", "doit être un nombre"),
        ({"page": "0"}, "page", "compris entre"),
        ({"par_page": "1000"}, "par_page", "compris entre 1 et 100"),
        ({"ouvert": "peut-être"}, "ouvert", "valeurs possibles : 0, 1"),
        ({"frais": "cher"}, "frais", "Valeur inconnue"),
        ({"public": "martiens"}, "public", "Valeur inconnue"),
        ({"q": "x" * 201}, "q", "200 caractères"),
    ],
)
def test_bad_parameters_give_french_400(api, params, parametre, text):
    body = api(status=400, **params)
    assert body["parametre"] == parametre
    assert text in body["erreur"]


def test_etag_and_304_follow_the_data(search_app):
    client = search_app.test_client()
    first = client.get("/api/services?q=epicerie")
    etag = first.headers["ETag"]
    again = client.get("/api/services?q=epicerie", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = client.get("/api/services?q=aide", headers={"If-None-Match": etag})
    assert other.status_code == 200
    with search_app.app_context():
        importer.undo(get_db(), 1)
    after = client.get("/api/services?q=epicerie", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.get_json()["total"] == 0


def test_communes_autocomplete_and_besoins(search_app):
    client = search_app.test_client()
    communes = client.get("/api/communes?q=saint fl").get_json()
    assert communes[0]["code_insee"] == "15187"
    assert communes[0]["libelle"] == "Saint-Flour (15100)"
    assert client.get("/api/communes?q=").get_json() == []
    besoins = client.get("/api/besoins").get_json()
    assert len(besoins) == 16
    alimentation = next(b for b in besoins if b["slug"] == "alimentation")
    assert alimentation["nombre_services"] == 3  # the closed one is not counted
    assert alimentation["libelle"] == "Se nourrir"


def test_huge_numbers_are_a_400_not_a_crash(api):
    assert api(page="1" * 400, status=400)["parametre"] == "page"
    assert api(rayon="1" * 400, commune="Murat", status=400)["parametre"] == "rayon"
