"""Service rows as the API and the pages show them (absolute or relative URLs)."""

from flask import url_for

from ..catalogue.services import LIST_COLUMNS, SUMMARY_COLUMNS, split
from ..opendata.csv_excel import national_phone
from ..schema import SERVICE_COLUMNS
from ..search import hours


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
