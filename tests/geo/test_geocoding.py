import csv
import functools
import json
import logging
import math

import pytest
import sqlite_utils
from conftest import ROOT, TEST_DATA
from geopy.adapters import BaseSyncAdapter
from geopy.distance import geodesic
from geopy.exc import GeocoderQueryError, GeocoderUnavailable
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from directory.geo.gazetteer import Gazetteer, normalize_name
from directory.geo.geocoders import (
    BanGeocoder,
    OfflineGeocoder,
    make_geocoder,
    parse_query,
)
from directory.geo.places import (
    AmbiguousCommune,
    CommuneError,
    PostcodeMismatch,
    UnknownCommune,
    distance_km,
    haversine_km,
)

BAN_DATA = TEST_DATA / "ban"
AURILLAC = (44.92996, 2.44546)  # chef-lieu point in data/communes.csv


def cantal_rows():
    with open(ROOT / "data" / "communes.csv", encoding="utf-8") as f:
        return [
            r
            for r in csv.DictReader(f)
            if r["departement"] == "15" and r["statut"] == "actuelle"
        ]


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer.from_csv(ROOT / "data" / "communes.csv")


@pytest.fixture(scope="module")
def geocoder(gazetteer):
    return OfflineGeocoder(gazetteer)


class CannedAdapter(BaseSyncAdapter):
    """Answers every request with one canned payload (or raises it); records URLs."""

    def __init__(self, *, proxies, ssl_context, payload=None):
        super().__init__(proxies=proxies, ssl_context=ssl_context)
        self.payload = payload
        self.urls = []

    def get_json(self, url, *, timeout, headers):
        self.urls.append(url)
        if isinstance(self.payload, Exception):
            raise self.payload
        return self.payload

    def get_text(self, url, *, timeout, headers):
        return json.dumps(self.get_json(url, timeout=timeout, headers=headers))


def ban(gazetteer, payload, db=None):
    if isinstance(payload, str) and payload.endswith(".json"):
        payload = json.loads((BAN_DATA / payload).read_text(encoding="utf-8"))
    return BanGeocoder(
        OfflineGeocoder(gazetteer),
        adapter_factory=functools.partial(CannedAdapter, payload=payload),
        min_delay_seconds=0,
        db=db,
    )


@pytest.mark.parametrize(
    "raw, key",
    [
        ("St Flour", "saint flour"),
        ("SAINT-FLOUR", "saint flour"),
        ("saint flour", "saint flour"),
        ("  Saint--Flour ", "saint flour"),
        ("Ste-Marie", "sainte marie"),
        ("Neussargues-en-Pinatelle", "neussargues en pinatelle"),
        ("Neuvéglise-sur-Truyère", "neuveglise sur truyere"),
        ("L’Hôpital_d'Œuf.", "l hopital d oeuf"),
        ("Pierrefort\u00a0", "pierrefort"),
    ],
)
def test_normalize_name(raw, key):
    assert normalize_name(raw) == key


def test_every_cantal_commune_by_name_and_postcode(gazetteer, geocoder):
    rows = cantal_rows()
    assert len(rows) == 250
    for row in rows:
        for pc in row["codes_postaux"].split(";"):
            match = gazetteer.resolve(row["nom"], pc)
            assert (match.code_insee, match.via, match.code_postal) == (
                row["code_insee"],
                "nom",
                pc,
            )
            location = geocoder.geocode(f"{row['nom']} {pc}")
            assert location.raw["code_insee"] == row["code_insee"]
        # No two Cantal communes share a name, so the name alone is enough.
        assert gazetteer.resolve(row["nom"], None).code_insee == row["code_insee"]


@pytest.mark.parametrize(
    "query, code_insee, via",
    [
        ("St Flour", "15187", "nom"),
        ("SAINT-FLOUR 15100", "15187", "nom"),
        ("15100 Saint-Flour", "15187", "nom"),
        ("saint flour", "15187", "nom"),
        ("Neussargues en Pinatelle", "15141", "ancien-nom"),
        ("Neussargues-en-Pinatelle", "15141", "ancien-nom"),
        ("Neussargues-Moissac", "15141", "nom"),
        ("Lavastrie", "15142", "ancien-nom"),
        ("15100", "15187", "code-postal"),
        ("15187", "15187", "code-insee"),
        ("15000", "15014", "code-postal"),
        ("Aurillac, 15000", "15014", "nom"),
        ("12 rue des Carmes, 15000 Aurillac", "15014", "nom"),
        ("12 rue des Carmes, Aurillac", "15014", "nom"),
        ("Aurillac, France", "15014", "nom"),
        ("Paris 75001", "75056", "nom"),
        ("Tremblay-en-France 93290", "93073", "nom"),
        ("15100 15100", "15187", "code-postal"),
        ({"commune": "St Flour", "code_postal": 15100}, "15187", "nom"),
        ({"adresse": "1 place d'Armes, 15100 St-Flour"}, "15187", "nom"),
        (
            {"commune": None, "code_postal": "15000", "adresse": ""},
            "15014",
            "code-postal",
        ),
    ],
)
def test_geocode(geocoder, query, code_insee, via):
    location = geocoder.geocode(query)
    assert isinstance(location, Location)
    assert location.raw["code_insee"] == code_insee
    assert location.raw["via"] == via
    assert location.raw["precision"] == "commune"


@pytest.mark.parametrize(
    "query, parts",
    [
        ("St Flour", ("", "", "St Flour")),
        ("SAINT-FLOUR 15100", ("", "15100", "SAINT-FLOUR")),
        ("15100 Saint-Flour", ("", "15100", "Saint-Flour")),
        ("Aurillac, 15000", ("", "15000", "Aurillac")),
        ("12 rue X, 15000 Aurillac", ("12 rue X", "15000", "Aurillac")),
        ("12 rue X, Aurillac 15000, France", ("12 rue X", "15000", "Aurillac")),
        ("  2a004 ", ("", "2A004", "")),
        ({"commune": "Murat", "code_postal": 15300}, ("", "15300", "Murat")),
    ],
)
def test_parse_query(query, parts):
    assert parse_query(query) == parts


def test_former_name_keeps_its_own_point(gazetteer, geocoder):
    match = gazetteer.resolve("Lavastrie", None)
    assert match.commune.nom == "Neuvéglise-sur-Truyère"
    assert (match.latitude, match.longitude) == (44.93610, 3.04310)
    assert (match.latitude, match.longitude) != (
        match.commune.latitude,
        match.commune.longitude,
    )
    location = geocoder.geocode("Lavastrie 15260")
    assert location.point == Point(44.93610, 3.04310)
    assert location.address == "Lavastrie, 15260 Neuvéglise-sur-Truyère"


def test_postcode_alone_picks_the_most_populous(gazetteer):
    shared = [r for r in cantal_rows() if "15100" in r["codes_postaux"].split(";")]
    assert len(shared) > 1
    match = gazetteer.resolve(None, "15100")
    assert (match.commune.nom, match.via) == ("Saint-Flour", "code-postal")
    # 15100 is also Laveissenet's INSEE code: the postcode wins.
    assert gazetteer.get("15100").nom == "Laveissenet"


def test_location_types(geocoder):
    assert isinstance(geocoder, Geocoder)
    location = geocoder.geocode("Aurillac")
    assert isinstance(location, Location)
    assert location.point == Point(*AURILLAC)
    assert location.address == "15000 Aurillac"
    assert location.raw == {
        "code_insee": "15014",
        "nom": "Aurillac",
        "code_postal": "15000",
        "precision": "commune",
        "via": "nom",
    }
    locations = geocoder.geocode("Aurillac", exactly_one=False)
    assert isinstance(locations, list)
    assert locations == [location]


@pytest.mark.parametrize("query", ["Xyzzyville", "Paris", "Aurillac 15100", "15099"])
def test_geocode_unknown_returns_none(geocoder, query):
    assert geocoder.geocode(query) is None
    assert geocoder.geocode(query, exactly_one=False) is None


def test_unknown_commune_suggests(gazetteer):
    with pytest.raises(UnknownCommune) as e:
        gazetteer.resolve("Xyzzyville", None)
    assert e.value.message.startswith("Commune « Xyzzyville » inconnue")
    with pytest.raises(UnknownCommune) as e:
        gazetteer.resolve("Sint-Flour", "15100")
    assert e.value.suggestion == "Saint-Flour"
    assert e.value.message == "Commune « Sint-Flour » inconnue (code postal 15100)."
    assert gazetteer.suggest("Sint Flour") == ["Saint-Flour"]


def test_outside_territory_needs_a_postcode(gazetteer):
    with pytest.raises(UnknownCommune) as e:
        gazetteer.resolve("Paris", None)
    assert "département 15" in e.value.message
    assert "code postal" in e.value.message
    assert gazetteer.resolve("Paris", "75001").code_insee == "75056"
    assert gazetteer.resolve("Paris", None, territory="75").code_insee == "75056"
    assert OfflineGeocoder(gazetteer, territory="75").geocode("Paris") is not None


def test_postcode_mismatch(gazetteer):
    with pytest.raises(PostcodeMismatch) as e:
        gazetteer.resolve("Aurillac", "15100")
    assert e.value.suggestion == "15000"
    with pytest.raises(PostcodeMismatch) as e:
        gazetteer.resolve("Saint-Flour", "15000")
    assert e.value.message == (
        "Le code postal 15000 ne correspond pas à la commune Saint-Flour "
        "(codes postaux : 15100)."
    )
    with pytest.raises(PostcodeMismatch):
        gazetteer.resolve("15187", "15000")  # INSEE code as the name


def test_cedex_postcode(gazetteer):
    with pytest.raises(UnknownCommune) as e:
        gazetteer.resolve("Aurillac", "15015")
    assert "CEDEX" in e.value.message
    assert e.value.suggestion == "15000"
    with pytest.raises(UnknownCommune) as e:
        gazetteer.resolve("Aurillac Cedex", "15015")
    assert e.value.suggestion == "15000"
    assert gazetteer.resolve("Aurillac Cedex", "15000").code_insee == "15014"
    # Alone, 15015 is no postcode but the INSEE code of Auzers.
    assert gazetteer.resolve(None, "15015").commune.nom == "Auzers"
    with pytest.raises(UnknownCommune):
        gazetteer.resolve(None, "15099")  # Lavastrie's former code


def test_ambiguous_name_without_territory(gazetteer):
    with pytest.raises(AmbiguousCommune) as e:
        gazetteer.resolve("Saint-Georges", None, territory="")
    assert "précisez le code postal" in e.value.message
    assert len(e.value.candidates) > 5
    everywhere = OfflineGeocoder(gazetteer, territory="")
    assert everywhere.geocode("Saint-Georges") is None  # never picks one silently
    assert len(everywhere.geocode("Saint-Georges", exactly_one=False)) > 5
    assert everywhere.geocode("Saint-Georges 15100").raw["code_insee"] == "15188"


@pytest.mark.parametrize(
    "commune, code_postal", [(None, None), ("", "  "), ("Aurillac", "150")]
)
def test_resolve_rejects_empty_or_invalid(gazetteer, commune, code_postal):
    with pytest.raises(CommuneError) as e:
        gazetteer.resolve(commune, code_postal)
    assert e.value.message


def test_postcode_without_its_leading_zero(gazetteer):
    match = gazetteer.resolve("L'Abergement-Clémenciat", "1400")
    assert (match.code_insee, match.code_postal) == ("01001", "01400")


@pytest.mark.parametrize("query", ["", "   ", None, 42, ["Aurillac"], {}, "x" * 201])
def test_geocode_rejects_invalid_queries(geocoder, query):
    with pytest.raises(GeocoderQueryError):
        geocoder.geocode(query)


@pytest.mark.parametrize(
    "query", [AURILLAC, "44.92996, 2.44546", Point(*AURILLAC), (44.93, 2.47)]
)
def test_reverse(geocoder, query):
    location = geocoder.reverse(query)
    assert location.raw["code_insee"] == "15014"
    assert location.raw["distance_km"] < 3
    assert geocoder.reverse(query, exactly_one=False) == [location]


@pytest.mark.parametrize("query", [(46.0, -5.0), (44.0, -3.0), (42.0, 6.0)])
def test_reverse_far_from_any_commune(geocoder, query):
    assert geocoder.reverse(query) is None


@pytest.mark.parametrize("query", ["abc", None, 42, {"lat": 1}])
def test_reverse_rejects_invalid_points(geocoder, query):
    with pytest.raises(GeocoderQueryError):
        geocoder.reverse(query)


def test_nearest_agrees_with_a_full_scan(gazetteer):
    communes = [gazetteer.get(r["code_insee"]) for r in cantal_rows()]
    points = [(44.5 + i * 0.37 % 2, 1.5 + i * 0.61 % 3) for i in range(20)]
    points += [(43.3, 5.4), (48.85, 2.35), (47.0, -4.6)]
    everything = list(gazetteer._communes.values())
    for lat, lon in points:
        expected = min(
            everything, key=lambda c: haversine_km(lat, lon, c.latitude, c.longitude)
        )
        assert gazetteer.nearest(lat, lon) == expected
    assert all(gazetteer.nearest(c.latitude, c.longitude) == c for c in communes)


def test_search(gazetteer):
    names = [c.nom for c in gazetteer.search("saint fl")]
    assert names[:2] == ["Saint-Flour", "Anglards-de-Saint-Flour"]
    # Territory first (starts with, then contains), then other départements.
    names = [c.nom for c in gazetteer.search("St-Flour")]
    assert names[:3] == [
        "Saint-Flour",
        "Anglards-de-Saint-Flour",
        "Saint-Flour-l'Étang",
    ]
    assert "Saint-Flour-de-Mercoire" in names
    assert [c.code_insee for c in gazetteer.search("Lavastr")] == ["15142"]
    assert all(
        any(pc.startswith("151") for pc in c.codes_postaux)
        for c in gazetteer.search("151", limit=50)
    )
    assert gazetteer.search("") == []
    assert len(gazetteer.search("a", limit=7)) == 7


def test_from_rows_and_from_db(gazetteer):
    rows = [
        {
            "code_insee": 1001,
            "nom": "L'Abergement-Clémenciat",
            "departement": 1,
            "codes_postaux": 1400,
            "latitude": 46.15078,
            "longitude": 4.92089,
            "population": 860,
        }
    ]
    small = Gazetteer.from_rows(rows, territory="01")
    commune = small.get("01001")
    assert (commune.departement, commune.codes_postaux) == ("01", ("01400",))
    assert small.resolve("l abergement clemenciat", None).code_insee == "01001"

    db = sqlite_utils.Database(memory=True)
    with open(ROOT / "data" / "communes.csv", encoding="utf-8") as f:
        db["communes"].insert_all(
            {**r, "population": int(r["population"]) if r["population"] else None}
            for r in csv.DictReader(f)
            if r["departement"] == "15"
        )
    from_db = Gazetteer.from_db(db)
    assert from_db.resolve("Neussargues en Pinatelle", "15170").code_insee == "15141"
    assert from_db.get("15014") == gazetteer.get("15014")


def test_distances():
    pairs = [
        (AURILLAC, (45.03301, 3.09482)),  # Aurillac - Saint-Flour
        (AURILLAC, (45.21782, 2.33345)),  # Aurillac - Mauriac
        ((45.03301, 3.09482), (45.43, 2.51)),
        (AURILLAC, (44.93, 2.45)),
    ]
    for a, b in pairs:
        assert distance_km(*a, *b) == pytest.approx(geodesic(a, b).km)
        assert haversine_km(*a, *b) == pytest.approx(distance_km(*a, *b), rel=0.005)
    assert distance_km(*AURILLAC, *AURILLAC) == 0
    assert math.isclose(distance_km(*pairs[0][0], *pairs[0][1]), 52.6, abs_tol=1)


def test_haversine_agrees_with_geodesic_across_the_cantal():
    points = [(float(r["latitude"]), float(r["longitude"])) for r in cantal_rows()]
    for a in points[::10]:
        for b in points[5::10]:
            if a != b:
                assert haversine_km(*a, *b) == pytest.approx(
                    geodesic(a, b).km, rel=0.005
                )


def test_ban_address_precision(gazetteer):
    geocoder = ban(gazetteer, "rue_des_carmes.json")
    match = geocoder.locate("Aurillac", "15000", "12 rue des Carmes")
    # The first hit is a homonym street in Arpajon-sur-Cère: skipped.
    assert (match.code_insee, match.precision) == ("15014", "adresse")
    assert (match.latitude, match.longitude) == (44.92741, 2.44287)
    [url] = geocoder.ban.adapter.urls
    assert url.startswith("https://data.geopf.fr/geocodage/search?")
    assert "q=12+rue+des+Carmes%2C+15000+Aurillac" in url
    assert "limit=5" in url
    location = geocoder.geocode("12 rue des Carmes, 15000 Aurillac")
    assert location.raw["precision"] == "adresse"
    assert location.address == "12 rue des Carmes, 15000 Aurillac"


@pytest.mark.parametrize(
    "payload",
    [
        "autre_commune.json",
        "score_faible.json",
        "vide.json",
        GeocoderUnavailable("réseau coupé"),
        "<html>Erreur 502</html>",
        {"message": "Service indisponible"},
        [1, 2, 3],
        {"features": [{"geometry": None}]},
        {"features": [{"type": "Feature", "properties": {"citycode": "15014"}}]},
    ],
)
def test_ban_falls_back_to_the_commune(gazetteer, payload, caplog):
    geocoder = ban(gazetteer, payload)
    with caplog.at_level(logging.WARNING, logger="directory.geo.geocoders"):
        match = geocoder.locate("Aurillac", "15000", "12 rue des Carmes")
    assert (match.code_insee, match.precision, match.via) == ("15014", "commune", "nom")
    assert (match.latitude, match.longitude) == AURILLAC
    assert len(geocoder.ban.adapter.urls) == 1
    if not (isinstance(payload, str) and payload.endswith(".json")):
        assert "BAN geocoding failed" in caplog.text


def test_ban_validates_the_commune_first(gazetteer):
    geocoder = ban(gazetteer, "rue_des_carmes.json")
    with pytest.raises(PostcodeMismatch):
        geocoder.locate("Aurillac", "15100", "12 rue des Carmes")
    assert geocoder.locate("Aurillac", "15000", "  ").precision == "commune"
    assert geocoder.geocode("Saint-Flour").raw["code_insee"] == "15187"
    assert geocoder.geocode("Xyzzyville, 12 rue X") is None
    assert geocoder.reverse(AURILLAC).raw["code_insee"] == "15014"
    assert geocoder.ban.adapter.urls == []


@pytest.mark.parametrize("payload", ["rue_des_carmes.json", "vide.json"])
def test_ban_cache(gazetteer, payload):
    db = sqlite_utils.Database(memory=True)
    geocoder = ban(gazetteer, payload, db=db)
    first = geocoder.locate("Aurillac", "15000", "12 rue des Carmes")
    second = geocoder.locate("Aurillac", "15000", "12  Rue des CARMES")
    assert first == second
    assert len(geocoder.ban.adapter.urls) == 1
    [row] = db["geocode_cache"].rows
    assert row["cle"] == "12 rue des carmes 15000 aurillac"
    assert isinstance(json.loads(row["reponse"]), list)
    assert row["cree_le"].startswith("20")
    # A new geocoder on the same database reuses the cache.
    assert (
        ban(gazetteer, payload, db=db).locate("Aurillac", "15000", "12 rue des Carmes")
        == first
    )


def test_ban_errors_are_not_cached(gazetteer):
    db = sqlite_utils.Database(memory=True)
    geocoder = ban(gazetteer, GeocoderUnavailable("réseau coupé"), db=db)
    geocoder.locate("Aurillac", "15000", "12 rue des Carmes")
    geocoder.locate("Aurillac", "15000", "12 rue des Carmes")
    assert len(geocoder.ban.adapter.urls) == 2
    assert db["geocode_cache"].count == 0


def test_make_geocoder(gazetteer):
    assert isinstance(make_geocoder({}, gazetteer), OfflineGeocoder)
    assert make_geocoder({"TERRITOIRE": "75"}, gazetteer).territory == "75"
    config = {
        "GEOCODER": "ban",
        "BAN_MIN_DELAY": 0,
        "BAN_ADAPTER_FACTORY": functools.partial(
            CannedAdapter, payload=json.loads((BAN_DATA / "vide.json").read_text())
        ),
    }
    geocoder = make_geocoder(config, gazetteer)
    assert isinstance(geocoder, BanGeocoder)
    assert geocoder.ban.geocode_api == "https://data.geopf.fr/geocodage/search"
    assert geocoder.ban.headers["User-Agent"] == "annuaire-solidarites-cantal"
    assert geocoder.locate("Aurillac", "15000", "1 rue X").precision == "commune"
    with pytest.raises(ValueError, match="Géocodeur inconnu"):
        make_geocoder({"GEOCODER": "google"}, gazetteer)


def test_offline_geocoder_never_uses_the_network(geocoder):
    with pytest.raises(GeocoderUnavailable):
        geocoder.adapter.get_json("https://example.org", timeout=1, headers={})
