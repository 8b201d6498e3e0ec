"""Services as stored: multi-valued cells, rows by id, needs with their counts."""

MULTI = ", "  # how multi-valued cells are stored and exported

LIST_COLUMNS = (
    "besoins",
    "thematiques",
    "publics",
    "modalites_acces",
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


def get_service(db, service_id):
    """A service row by id (closed ones included), or None."""
    return next(db["services"].rows_where("id = ?", [service_id]), None)
