"""The analysis on the real Cantal data (issue 15, acceptance 2): for « Se
déplacer » and « Énergie », the communes beyond 30 km and their population,
checked against a recomputation from first principles with geopy."""

import math

import pytest
from geopy.distance import great_circle

from directory.catalogue.services import split
from directory.coverage.load import load
from directory.db import connect

ROAD = 1.3


@pytest.fixture(scope="module")
def cantal(seeded_db_path):
    db = connect(seeded_db_path)
    try:
        communes = list(
            db.query(
                "select * from communes where departement = '15'"
                " and statut = 'actuelle'"
            )
        )
        services = list(
            db.query(
                "select * from services where statut != 'ferme' and doublon_de is null"
            )
        )
        return load(db, "15"), communes, services
    finally:
        db.close()


def nearest_by_hand(commune, services, need):
    """Road km to the nearest service of `need` open to this commune, or None."""
    best = None
    for s in services:
        if need not in split(s["besoins"]):
            continue
        zones = split(s["zone_eligibilite"])
        if zones and not (
            "france" in zones
            or commune["departement"] in zones
            or commune["code_insee"] in zones
        ):
            continue
        if "a-distance" in split(s["modes_accueil"]):
            km = 0.0
        elif s["latitude"] is None:
            continue
        else:
            km = (
                great_circle(
                    (commune["latitude"], commune["longitude"]),
                    (s["latitude"], s["longitude"]),
                ).km
                * ROAD
            )
        best = km if best is None else min(best, km)
    return best


@pytest.mark.parametrize("need", ["mobilite", "energie"])
def test_communes_beyond_30_km_match_geopy(cantal, need):
    coverage, communes, services = cantal
    assert len(coverage.communes) == len(communes) == 250
    beyond = coverage.beyond(need, km=30)
    listed = {r["code_insee"]: r for r in beyond}
    by_hand = {c["code_insee"]: nearest_by_hand(c, services, need) for c in communes}
    expected = {code for code, km in by_hand.items() if km is None or km > 30}
    assert set(listed) == expected
    assert listed, f"no commune beyond 30 km for {need}: the check would be empty"
    population = {c["code_insee"]: c["population"] for c in communes}
    for code, row in listed.items():
        assert row["population"] == population[code]
        if by_hand[code] is None:
            assert row["km"] is None
        else:
            assert row["km"] == pytest.approx(by_hand[code], abs=0.051)
    assert [r["population"] for r in beyond] == sorted(
        (r["population"] for r in beyond), reverse=True
    )
    # Every other commune's distance matches too, to the metre.
    column = coverage.km[:, coverage.need_index(need)]
    for position, commune in enumerate(coverage.communes):
        hand = by_hand[commune.code_insee]
        if hand is None:
            assert math.isinf(column[position])
        else:
            assert column[position] == pytest.approx(hand, abs=0.001)
    inhabitants = sum(population.values())
    assert coverage.share_within(need, 30) == pytest.approx(
        sum(p for code, p in population.items() if code not in expected) / inhabitants
    )
