"""Where a service is: commune, postcode, INSEE code and coordinates of an
import row, checked against the gazetteer (geocoded when missing)."""

import re

from ..geo.places import CommuneError, PostcodeMismatch, UnknownPostcode
from .checks import parse_coordinates
from .report import problem

PLACE_COLUMNS = ("code_postal", "commune", "latitude", "longitude", "code_insee")
# About 10 m: coordinates this close to the chef-lieu are the commune's own point
# (e.g. copied from an export of a service placed there), not a hand-placed one.
TOLERANCE = 1e-4


def precision_of(coords, match):
    """How well the point is known: `manuel` for coordinates entered by hand,
    `commune` when they are only the chef-lieu, else the geocoder's precision."""
    if not coords:
        return match.precision
    centres = {
        (match.commune.latitude, match.commune.longitude),
        (match.latitude, match.longitude),  # a former commune's own centre
    }
    for lat, lon in centres:
        near = abs(coords[0] - lat) <= TOLERANCE and abs(coords[1] - lon) <= TOLERANCE
        if near:
            return "commune"
    return "manuel"


def check_place(geocoder, key):
    """Commune, postcode, INSEE code and coordinates (geocoded when missing)."""
    raw = dict(zip(PLACE_COLUMNS, key, strict=False))
    adresse = key[len(PLACE_COLUMNS)] if len(key) > len(PLACE_COLUMNS) else None
    postcode = re.sub(r"\s", "", raw["code_postal"])
    if re.fullmatch(r"\d{4}", postcode):
        postcode = "0" + postcode  # a spreadsheet ate the leading zero
    commune = raw["commune"]
    place = dict(
        code_postal=postcode or None,
        commune=commune or None,
        code_insee=None,
        latitude=None,
        longitude=None,
        precision_geo=None,
    )
    problems = []
    if not postcode:
        problems.append(problem("code_postal", "code postal obligatoire."))
    elif not re.fullmatch(r"\d{5}", postcode):
        problems.append(
            problem(
                "code_postal",
                "code postal invalide : 5 chiffres.",
                raw["code_postal"],
            )
        )
        return place, tuple(problems)
    if not commune:
        problems.append(problem("commune", "commune obligatoire."))
    if not (postcode and commune):
        return place, tuple(problems)
    lat, lon = raw["latitude"], raw["longitude"]
    coords = parse_coordinates(lat, lon)
    if isinstance(coords, str):
        column = "latitude" if not lat else "longitude"
        return place, (problem(column, coords, f"{lat} ; {lon}"),)
    try:
        match = geocoder.locate(commune, postcode, None if coords else adresse)
    except (PostcodeMismatch, UnknownPostcode) as exc:
        return place, (problem("code_postal", exc.message, suggestion=exc.suggestion),)
    except CommuneError as exc:
        return place, (problem("commune", exc.message, suggestion=exc.suggestion),)
    found = match.commune
    given_code = raw["code_insee"]
    if given_code and given_code != found.code_insee:
        problems.append(
            problem(
                "code_insee",
                f"ne correspond pas à la commune {found.nom} ({found.code_insee}).",
                given_code,
                suggestion=found.code_insee,
            )
        )
    place["commune"] = found.nom
    place["code_insee"] = found.code_insee
    if coords:
        place["latitude"], place["longitude"] = coords
    else:
        place["latitude"], place["longitude"] = match.latitude, match.longitude
    place["precision_geo"] = precision_of(coords, match)
    return place, tuple(problems)
