"""Service rows as the API and the pages show them (absolute or relative URLs)."""

import re

from flask import url_for

from ..catalogue.services import LIST_COLUMNS, SUMMARY_COLUMNS, split, split_items
from ..opendata.csv_excel import national_phone
from ..schema import SERVICE_COLUMNS
from ..search import closures

# What the API's summaries read of a row (search.query may read only these).
SUMMARY_READS = (*SUMMARY_COLUMNS, "telephone", "horaires")
# A French number of the usual form, formatted without phonenumbers' parser
# (tests compare with it for every leading digit): +33 4 71 46 20 20.
FRENCH = re.compile(r"\+33([1-79])([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})")
# Characters a URL path never escapes: such an id is appended as it is.
PLAIN_ID = re.compile(r"[A-Za-z0-9_.~-]+")


def phone(value):
    """national_phone(value), the common French case without parsing."""
    match = FRENCH.fullmatch(value) if isinstance(value, str) else None
    if match:
        return "0" + " ".join(match.groups())
    return national_phone(value)


def service_url(service_id, absolute=False):
    return url_for("public.service", service_id=service_id, _external=absolute)


def summary(row, *, absolute=False, url=None):
    """The short form used in search results (SPEC §5); `url` is a function
    giving a service's URL from its id (default: service_url)."""
    out = {c: row.get(c) for c in SUMMARY_COLUMNS}
    out["besoins"] = split(row.get("besoins"))
    out["distance_km"] = row.get("distance_km")
    out["telephone"] = phone(row.get("telephone"))
    out["ouvert_maintenant"] = row.get("ouvert_maintenant")
    out["fermeture"] = row.get("fermeture")  # set by the search (search.closures)
    out["url"] = url(row["id"]) if url else service_url(row["id"], absolute)
    return out


def summaries(rows, *, absolute=False):
    """summary() of each row, the URL route built once for the page."""
    prefix = service_url("_", absolute)[:-1]

    def url(service_id):
        if PLAIN_ID.fullmatch(service_id) and service_id not in (".", ".."):
            return prefix + service_id
        return service_url(service_id, absolute)

    return [summary(row, url=url) for row in rows]


def detail(row, *, now, absolute=False, periods=None):
    """Every column of SPEC §2.1, plus precision_geo, ouvert_maintenant,
    fermeture and url. `periods`: the service's current or upcoming closures
    (catalogue.closures.of_service); without them, a search row's own."""
    out = {c: row.get(c) for c in SERVICE_COLUMNS}
    for column in LIST_COLUMNS:
        out[column] = split(row.get(column))
    out["justificatifs"] = split_items(row.get("justificatifs"))
    out["telephone"] = phone(row.get("telephone"))
    out["precision_geo"] = row.get("precision_geo")
    if periods is None and "fermeture" in row:  # annotated by the search
        out["ouvert_maintenant"] = row["ouvert_maintenant"]
        out["fermeture"] = row["fermeture"]
    else:
        periods = periods or ()
        out["ouvert_maintenant"] = closures.open_now(row.get("horaires"), periods, now)
        out["fermeture"] = closures.shown_public(periods, now)
    out["url"] = service_url(row["id"], absolute)
    return out
