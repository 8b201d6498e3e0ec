"""Service rows as the API and the pages show them."""

from flask import url_for

from ..imports.validate import MULTI
from ..opendata.csv_excel import national_phone
from ..schema import SERVICE_COLUMNS
from ..search import hours

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


def split(value):
    """'a, b' → ['a', 'b'] (stored multi-valued cells)."""
    return [v for v in (value or "").split(MULTI) if v]


def get_service(db, service_id):
    """A service row by id (closed ones included), or None."""
    return next(db["services"].rows_where("id = ?", [service_id]), None)


def service_url(service_id, absolute=False):
    return url_for("public.service", service_id=service_id, _external=absolute)


def summary(row, *, absolute=False):
    """The short form used in search results (SPEC §5)."""
    out = {c: row.get(c) for c in SUMMARY_COLUMNS}
    out["besoins"] = split(row.get("besoins"))
    out["distance_km"] = row.get("distance_km")
    out["telephone"] = national_phone(row.get("telephone"))
    out["ouvert_maintenant"] = row.get("ouvert_maintenant")
    out["url"] = service_url(row["id"], absolute)
    return out


def detail(row, *, now, absolute=False):
    """Every column of SPEC §2.1, plus precision_geo, ouvert_maintenant and url."""
    out = {c: row.get(c) for c in SERVICE_COLUMNS}
    for column in LIST_COLUMNS:
        out[column] = split(row.get(column))
    out["telephone"] = national_phone(row.get("telephone"))
    out["precision_geo"] = row.get("precision_geo")
    out["ouvert_maintenant"] = hours.is_open(row.get("horaires"), now)
    out["url"] = service_url(row["id"], absolute)
    return out


def needs_with_counts(db):
    """The needs in display order, each with its number of open services."""
    return list(
        db.query(
            "select b.slug, b.libelle, b.description, b.couleur, b.ordre,"
            " b.thematique_defaut, count(s.id) as total from besoins b"
            " left join service_besoins sb on sb.besoin = b.slug"
            " left join services s on s.id = sb.service_id and s.statut != 'ferme'"
            " group by b.slug order by b.ordre"
        )
    )
