"""« Ma sélection »: the services a social worker picked, to print or send.

The selection itself lives in the browser (localStorage, static/js/selection.js):
nothing personal is kept on the server. `/selection?ids=a,b,c` shows the
services of the ids in the URL, which is also the link to share; an unknown or
closed id is said to be gone, never an error. `commune=` orders them by
distance. The SMS and e-mail texts are built here (selection_text).
"""

from urllib.parse import quote

from flask import render_template, request, url_for

from ..catalogue import closures
from ..db import get_db
from ..geo.places import distance_km
from ..search.closures import effective_hours, today_of
from ..search.query import ParamError, resolve_place
from . import fiche
from . import selection_text as text
from .context import clock, get_gazetteer
from .results import distance_text


def link(ids, commune=None, absolute=True):
    """URL of the selection page for these ids (commas kept readable: ids are
    slugs, so nothing in them needs escaping)."""
    base = url_for("public.selection", _external=absolute)
    if not ids:
        return base
    url = f"{base}?ids={','.join(ids)}"
    return url + f"&commune={quote(commune, safe='')}" if commune else url


def fetch(db, ids):
    """{id: row} of the services with these ids (closed ones included)."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = db.query(f"select * from services where id in ({marks})", ids)
    return {row["id"]: row for row in rows}


def place_for(db, commune):
    """(Place or None, error or None) of the `commune` parameter."""
    commune = (commune or "").strip()
    if not commune:
        return None, None
    try:
        return resolve_place(get_gazetteer(db), commune), None
    except ParamError as exc:
        return None, exc


def entry(row, periods, now, place, gazetteer):
    """A selected service as the page, the print and the texts show it, its
    temporary closures and exceptional hours (`periods`) included."""
    service = fiche.describe(row, now=now, gazetteer=gazetteer, periods=periods)
    horaires = row.get("horaires")
    if periods:  # today's hours as the closures make them
        horaires = effective_hours(horaires, periods) or horaires
    service["aujourdhui"] = text.today_hours(horaires, now)
    service["url_complete"] = url_for(
        "public.service", service_id=row["id"], _external=True
    )
    km = None
    if place and row.get("latitude") is not None and row.get("longitude") is not None:
        km = distance_km(
            place.latitude, place.longitude, row["latitude"], row["longitude"]
        )
    service["distance_texte"] = distance_text({**row, "distance_km": km}, place)
    service["distance_km"] = km
    return service


def ordered(services, place):
    """By distance from the place (services with no position last), else as
    they were selected."""
    if place is None:
        return services
    return sorted(
        services, key=lambda s: (s["distance_km"] is None, s["distance_km"] or 0)
    )


def selection():
    """The selection of the `ids` in the URL, ordered, with print/SMS/e-mail."""
    db = get_db()
    ids, extra, unreadable = text.parse_ids(request.args.getlist("ids"))
    given = "ids" in request.args
    place, error = place_for(db, request.args.get("commune", "")[:1000])
    now = clock()
    rows = fetch(db, ids)
    periods = closures.of_services(db, rows, today_of(now))
    gazetteer = get_gazetteer(db)
    services, gone = [], []
    for service_id in ids:
        row = rows.get(service_id)
        if row is None or row.get("statut") == "ferme":
            gone.append({"id": service_id, "nom": row["nom"] if row else None})
        else:
            found = periods.get(service_id, [])
            services.append(entry(row, found, now, place, gazetteer))
    services = ordered(services, place)
    kept = [s["id"] for s in services]
    commune = place.nom if place else None
    shared = link(kept, commune)
    sms, in_sms = text.sms_body(services, link)
    choices = [
        (name, link(ids, name, absolute=False))
        for name in getattr(error, "choices", [])
    ]
    return render_template(
        "public/selection.html",
        given=given,
        ids=ids,
        services=services,
        gone=gone,
        extra=extra,
        unreadable=unreadable,
        max_ids=text.MAX_IDS,
        place=place,
        commune=request.args.get("commune", "")[:200],
        error=error,
        choices=choices,
        lien=shared,
        sms_href=text.sms_href(sms) if in_sms else None,
        sms_count=in_sms,
        mail_href=text.mail_href(text.mail_body(services, shared))
        if services
        else None,
    )


def today():
    """« 6 décembre 2026 »: the date a printed page says it was printed."""
    return text.date_fr(clock().date())


def register(bp):
    """Add /selection to the public blueprint, and `date_du_jour()` (for the
    « Imprimé le » of printed pages) to the templates."""
    bp.add_url_rule("/selection", "selection", selection)
    bp.app_context_processor(lambda: {"date_du_jour": today})
