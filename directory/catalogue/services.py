"""Services as stored: multi-valued cells, rows by id, needs with their counts."""

import re

MULTI = ", "  # how multi-valued cells are stored and exported
ITEMS = " ; "  # how a list of free texts (documents to bring) is stored
_ITEMS_RE = re.compile(r";|[\r\n]+")

LIST_COLUMNS = (
    "besoins",
    "thematiques",
    "publics",
    "modalites_acces",
    "modes_orientation_beneficiaire",
    "modes_orientation_accompagnateur",
    "modes_accueil",
    "langues",
    "zone_eligibilite",
)
SUMMARY_COLUMNS = (
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
)
# A service's place, what moves together: an address, its commune, its point.
PLACE = (
    "adresse",
    "complement_adresse",
    "code_postal",
    "commune",
    "code_insee",
    "latitude",
    "longitude",
)
PLACE_AND_ORIGIN = (*PLACE, "precision_geo")  # and how the point was found


def split(value):
    """'a, b' → ['a', 'b'] (stored multi-valued cells)."""
    return [v for v in (value or "").split(MULTI) if v]


def split_items(value):
    """« Pièce d'identité ; Avis d'imposition » → the items (also split on
    line breaks, as typed in a form or a spreadsheet cell)."""
    items = (item.strip() for item in _ITEMS_RE.split(value or ""))
    return [item for item in items if item]


def get_service(db, service_id):
    """A service row by id (closed ones included), or None."""
    return next(db["services"].rows_where("id = ?", [service_id]), None)
