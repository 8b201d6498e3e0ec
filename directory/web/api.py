"""JSON API (SPEC §5): services, one service, communes, needs, OpenAPI."""

import hashlib

from flask import Blueprint, jsonify, make_response, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ..catalogue import closures
from ..catalogue.services import get_service
from ..db import get_db
from ..opendata.openapi import (
    openapi_document,
    search_parameters,
    undocumented_value,
)
from ..search import hours
from ..search.closures import today_of
from ..search.facets import needs_with_counts
from ..search.query import ParamError, parse_integer, parse_params, search
from . import searchstats
from .context import clock, get_besoins, get_gazetteer, reading_db
from .present import SUMMARY_READS, detail, summaries

bp = Blueprint("api", __name__, url_prefix="/api")


def error(message, status, parametre=None):
    """French JSON error: {"erreur": …, "parametre": …}."""
    body = {"erreur": message}
    if parametre is not None:
        body["parametre"] = parametre
    return jsonify(body), status


def cached(payload, *, per_minute=False, db=None):
    """JSON response with an ETag from the data version (and the minute when the
    payload says "open now"); answers 304 to a matching If-None-Match."""
    db = get_db() if db is None else db
    parts = [hours.data_version(db), request.full_path]
    if per_minute:
        parts.append(hours.local_minute(clock()).isoformat())
    response = jsonify(payload() if callable(payload) else payload)
    response.set_etag(hashlib.sha1("|".join(parts).encode()).hexdigest())
    response.headers["Cache-Control"] = "public, max-age=60"
    return response.make_conditional(request)


def run_search(args, *, paginate=True, columns="*", db=None):
    """Parse the query string and search; ParamError propagates. `columns`:
    those read of each service of the page (SQL, every one by default)."""
    db = get_db() if db is None else db
    besoins = get_besoins(db)
    gazetteer = lambda: get_gazetteer(db)  # noqa: E731 - loaded only for a place
    query = parse_params(args, gazetteer=gazetteer, besoins=besoins)
    return search(
        db,
        query,
        besoin_slugs=list(besoins.labels),
        now=clock(),
        paginate=paginate,
        columns=columns,
    )


@bp.errorhandler(ParamError)
def bad_parameter(exc):
    return error(exc.message, 400, exc.parametre)


# Checked by the search itself, which also takes labels (« Se nourrir ») and
# answers a misspelling with a suggestion (« vouliez-vous dire … »).
VOCABULARY = frozenset({"besoin", "public", "frais", "modalite"})
# The other documented parameters, built once (this runs on every API search).
CLOSED_PARAMETERS = [p for p in search_parameters() if p["name"] not in VOCABULARY]


def check_documented(args):
    """Refuse values the OpenAPI document does not list (`tri=`, `ouvert=oui`)."""
    for name in VOCABULARY:
        if any(not value.strip() for value in args.getlist(name)):
            raise ParamError(
                f"« {name} » vide : donnez une valeur ou retirez-le.", name
            )
    problem = undocumented_value(CLOSED_PARAMETERS, args)
    if problem:
        raise ParamError(problem[1], problem[0])


@bp.route("/services")
def services():
    """Search: GET /api/services?q=&besoin=&commune=…"""
    check_documented(request.args)
    db = reading_db()
    result = run_search(request.args, columns=", ".join(SUMMARY_READS), db=db)
    searchstats.note(result.query, result.total, clock())

    def payload():
        place = result.query.place
        return {
            "total": result.total,
            "page": result.query.page,
            "par_page": result.query.par_page,
            "lieu": None
            if place is None
            else {
                "nom": place.nom,
                "code_insee": place.code_insee,
                "latitude": place.latitude,
                "longitude": place.longitude,
            },
            "services": summaries(result.services, absolute=True),
        }

    return cached(payload, per_minute=True, db=db)


@bp.route("/services/<service_id>")
def service(service_id):
    """One service, every column."""
    db = get_db()
    row = get_service(db, service_id)
    if row is None:
        return error(f"Service « {service_id[:100]} » introuvable.", 404)
    now = clock()
    periods = closures.of_service(db, service_id, today_of(now))
    return cached(
        lambda: detail(row, now=now, absolute=True, periods=periods), per_minute=True
    )


@bp.route("/communes")
def communes():
    """Autocomplete: GET /api/communes?q=aur"""
    q = request.args.get("q", "").strip()
    if len(q) > 100:
        return error("« q » : 100 caractères au maximum.", 400, "q")
    limit = parse_integer(request.args.get("limite", "10"), "limite", 1, 50)
    gazetteer = get_gazetteer(get_db())
    found = gazetteer.search(q, limit=limit) if q else []
    return cached(
        [
            {
                "code_insee": c.code_insee,
                "nom": c.nom,
                "codes_postaux": list(c.codes_postaux),
                "departement": c.departement,
                "latitude": c.latitude,
                "longitude": c.longitude,
                "libelle": f"{c.nom} ({', '.join(c.codes_postaux)})",
            }
            for c in found
        ]
    )


@bp.route("/besoins")
def besoins():
    """The needs taxonomy with the number of open services of each."""
    db = get_db()
    rows = [
        {
            **{k: v for k, v in row.items() if k != "total"},
            "nombre_services": row["total"],
        }
        for row in needs_with_counts(db, list(get_besoins(db).labels))
    ]
    return cached(
        [
            {**row, "url": url_for("public.search", besoin=row["slug"], _external=True)}
            for row in rows
        ]
    )


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    labels = get_besoins(get_db()).labels
    besoins = [*labels, *labels.values()]  # a slug or its French label
    return cached(openapi_document(request.host_url.rstrip("/"), besoins))


def init_app(app):
    """French errors everywhere: JSON under /api/ and /export/, pages elsewhere."""

    @app.errorhandler(HTTPException)
    def http_error(exc):
        response = make_response(french_error(exc.code))
        # Keep what the exception says in headers (Allow on a 405, RFC 9110).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def crash(exc):
        app.logger.exception("Erreur interne")
        return french_error(500)

    app.register_blueprint(bp)


ERRORS = {
    400: (
        "Requête invalide",
        "La demande n'a pas pu être comprise. Vérifiez le "
        "formulaire ou l'adresse de la page.",
    ),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: (
        "Page introuvable",
        "Cette page n'existe pas ou plus. Le service a peut-être "
        "été retiré de l'annuaire.",
    ),
    405: ("Méthode non autorisée", "Cette adresse ne s'utilise pas ainsi."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée."),
    429: ("Trop de tentatives", "Patientez quelques minutes avant de réessayer."),
    500: (
        "Erreur interne",
        "Une erreur est survenue de notre côté : l'équipe a été "
        "prévenue. Réessayez dans quelques instants.",
    ),
}


def french_error(code):
    """A French error: JSON for the API and exports, an HTML page otherwise."""
    title, message = ERRORS.get(code, (f"Erreur {code}", "Une erreur est survenue."))
    if request.path.startswith(("/api/", "/export/")):
        return error(message, code)
    return render_template("error.html", title=title, message=message), code
