"""Where a service is: the precision of its point comes from what is known."""

import pytest

from directory.geo.geocoders import OfflineGeocoder
from directory.imports.place import check_place

AURILLAC = ("44.92996", "2.44546")  # the chef-lieu of data/communes.csv


def place(gazetteer, latitude="", longitude="", adresse="1 rue des Carmes"):
    key = ("15000", "Aurillac", latitude, longitude, "", adresse)
    return check_place(OfflineGeocoder(gazetteer), key)


def test_hand_entered_street_point_is_manual(gazetteer):
    found, problems = place(gazetteer, "44.9260", "2.4400")
    assert problems == ()
    assert (found["latitude"], found["longitude"]) == (44.926, 2.44)
    assert found["precision_geo"] == "manuel"


@pytest.mark.parametrize(
    "point",
    [AURILLAC, ("44.929960", "2,44546"), ("44.92999", "2.44541")],
)
def test_coordinates_of_the_chef_lieu_are_the_commune(gazetteer, point):
    """An export of a service placed at its commune, imported again, is still
    placed at the commune: not promoted to a hand-placed point."""
    found, problems = place(gazetteer, *point)
    assert problems == ()
    assert found["precision_geo"] == "commune"


def test_no_coordinates_offline_is_the_commune(gazetteer):
    found, _ = place(gazetteer)
    assert (found["latitude"], found["longitude"]) == (44.92996, 2.44546)
    assert found["precision_geo"] == "commune"


def test_place_columns_are_those_the_validator_spells_out():
    """RowValidator.validate builds its place keys in this order, by hand."""
    from directory.imports.place import PLACE_COLUMNS

    assert PLACE_COLUMNS == (
        "code_postal",
        "commune",
        "latitude",
        "longitude",
        "code_insee",
    )
