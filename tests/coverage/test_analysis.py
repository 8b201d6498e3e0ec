"""The access-gap analysis on a hand-made territory (issue 15, acceptance 1):
three communes of known population, services at known positions, a remote
service, a zone-limited one; distances, classes and population shares exact."""

import math

import pytest
from geopy.distance import great_circle

from directory.coverage.analysis import (
    Commune,
    Service,
    Settings,
    analyse,
    zone_key,
)

# Three communes on the meridian 2.5° E, 0.1° of latitude apart (≈ 11.1 km).
A = Commune("15001", "Aval", "15", 45.0, 2.5, 1000)
B = Commune("15002", "Bourg", "15", 45.1, 2.5, 300)
C = Commune("15003", "Combe", "15", 45.3, 2.5, 100)
COMMUNES = [A, B, C]
KM = great_circle((45.0, 2.5), (45.1, 2.5)).km  # one step of 0.1°


def service(id, besoins, lat=None, lon=2.5, zones=(), remote=False):
    return Service(id, id.title(), tuple(besoins), lat, lon, tuple(zones), remote)


SERVICES = [
    service("epicerie", ["alimentation"], 45.0, zones=["15"]),  # at Aval
    service("garage", ["mobilite"], 45.3),  # at Combe, no zone: everywhere
    # Only for Bourg's inhabitants, although it stands in Aval.
    service("cheque", ["energie"], 45.0, zones=["15002"]),
    service("ligne", ["energie"], remote=True, zones=["15003"]),  # phone, Combe only
    service("ailleurs", ["mobilite"], 45.1, zones=["43"]),  # another département
]


@pytest.fixture
def coverage():
    return analyse(
        COMMUNES,
        SERVICES,
        ["alimentation", "mobilite", "energie", "logement"],
        Settings(road_factor=1.3, speed_kmh=60, classes_km=(10, 20, 30)),
    )


def column(coverage, need):
    return [float(v) for v in coverage.km[:, coverage.need_index(need)]]


def test_distances_are_the_great_circle_times_the_road_factor(coverage):
    assert column(coverage, "alimentation") == pytest.approx(
        [0.0, KM * 1.3, 3 * KM * 1.3], rel=1e-9
    )
    # Combe's garage serves everyone; « ailleurs » (Haute-Loire only) does not.
    assert column(coverage, "mobilite") == pytest.approx(
        [3 * KM * 1.3, 2 * KM * 1.3, 0.0], rel=1e-9
    )


def test_zone_limited_and_remote_services(coverage):
    aval, bourg, combe = column(coverage, "energie")
    assert math.isinf(aval)  # the cheque is for Bourg only, the line for Combe only
    assert bourg == pytest.approx(KM * 1.3, rel=1e-9)  # to Aval, where it stands
    assert combe == 0.0  # the remote line counts as at hand
    rows = {r["commune"]: r for r in coverage.rows("energie")}
    assert rows["Combe"]["a_distance"] and rows["Combe"]["service_id"] == "ligne"
    assert rows["Bourg"]["service_id"] == "cheque"
    assert rows["Aval"]["km"] is None and rows["Aval"]["classe"] is None


def test_minutes_and_classes(coverage):
    rows = {r["commune"]: r for r in coverage.rows("alimentation")}
    assert rows["Aval"]["classe"] == 0 and rows["Aval"]["minutes"] == 0
    assert rows["Bourg"]["km"] == round(KM * 1.3, 1) == 14.5
    assert rows["Bourg"]["classe"] == 1  # 10 < 14.5 ≤ 20
    assert rows["Bourg"]["minutes"] == round(KM * 1.3)  # 60 km/h: 1 km a minute
    assert rows["Combe"]["km"] == round(3 * KM * 1.3, 1) == 43.4
    assert rows["Combe"]["classe"] == 3  # beyond the last bound
    assert coverage.minutes()[2, 0] == pytest.approx(3 * KM * 1.3)


def test_population_shares(coverage):
    assert coverage.share_within("alimentation", 10) == pytest.approx(1000 / 1400)
    assert coverage.share_within("alimentation", 20) == pytest.approx(1300 / 1400)
    assert coverage.share_within("alimentation", 50) == 1.0
    assert coverage.share_within("energie", 30) == pytest.approx(400 / 1400)
    assert coverage.share_within("logement", 1000) == 0.0
    summary = {s["besoin"]: s for s in coverage.summary()}
    assert summary["alimentation"]["part_a"] == pytest.approx(
        {10: 1000 / 1400, 20: 1300 / 1400, 30: 1300 / 1400}
    )
    assert summary["alimentation"]["communes_au_dela"] == 1
    assert summary["alimentation"]["habitants_au_dela"] == 100
    assert summary["logement"]["sans_service"] == 3
    assert summary["logement"]["habitants_au_dela"] == 1400


def test_communes_beyond_the_threshold_by_population(coverage):
    assert [r["commune"] for r in coverage.beyond("mobilite")] == ["Aval"]
    assert [r["commune"] for r in coverage.beyond("mobilite", km=10)] == [
        "Aval",
        "Bourg",
    ]
    assert [r["commune"] for r in coverage.beyond("energie")] == ["Aval"]
    # Sorted by population, largest first.
    assert [r["population"] for r in coverage.beyond("logement")] == [1000, 300, 100]


def test_zone_keys():
    assert zone_key("") == zone_key("france") == zone_key("FRANCE") == "*"
    assert zone_key("15") == ("dep", "15")
    assert zone_key("2a") == ("dep", "2A")
    assert zone_key("15014") == ("commune", "15014")


def test_no_service_no_commune():
    empty = analyse([], SERVICES, ["alimentation"])
    assert empty.km.shape == (0, 1)
    assert empty.share_within("alimentation", 10) == 0.0
    alone = analyse(COMMUNES, [], ["alimentation"])
    assert all(math.isinf(v) for v in column(alone, "alimentation"))
