"""« Où l'aide manque » for partners and elected officials (issue 15): per need,
the map of the communes by distance to the nearest service, the table (sortable
by plain links), its CSV, and the communes × needs matrix to print. Nothing of
the search log here: that is for the Département's team (partners/coverage.py).
"""

import datetime

from flask import Response, current_app, render_template, request, url_for

from ..db import get_db
from . import coverage_map
from . import coverage_present as present
from .maps import DEFAULT_COLOUR, map_needs
from .security import csp_nonce

# Beyond this many communes (a national territory) the pages show the first
# ones of the order and say so; the CSV always has them all.
TABLE_LIMIT = 1000


def need_choices(coverage, db):
    """The needs of the analysis in order: dicts with slug, libelle, couleur."""
    colours = {b["slug"]: b["couleur"] for b in map_needs(db)}
    return [
        {
            "slug": slug,
            "libelle": coverage.labels.get(slug, slug),
            "couleur": colours.get(slug, DEFAULT_COLOUR),
        }
        for slug in coverage.needs
    ]


def sort_of(value):
    return value if value in present.SORTS else "distance"


def need_page(db, endpoint):
    """What the public and the admin pages share for the `besoin` and `tri` of
    the query string: (context, HTTP status)."""
    coverage = present.current(db)
    need, error = present.choose_need(coverage, request.args.get("besoin"))
    sort = sort_of(request.args.get("tri"))
    rows = present.table_rows(coverage, need, sort) if need else []
    besoins = need_choices(coverage, db)
    context = {
        "coverage": coverage,
        "besoin": need,
        "besoins": besoins,
        "besoin_libelle": coverage.labels.get(need, need),
        "error": error,
        "tri": sort,
        "tris": present.SORTS,
        "rows": rows[:TABLE_LIMIT],
        "all_rows": rows,  # the map colours every commune
        "total_rows": len(rows),
        "classes": present.classes(coverage.settings),
        "resume": present.need_summary(coverage, need, rows) if need else None,
        "methode": present.method_text(coverage.settings),
        "endpoint": endpoint,
        "sort_links": {
            key: url_for(endpoint, besoin=need, tri=key) for key in present.SORTS
        },
    }
    return context, 400 if error else 200


def page():
    """/couverture: the map, the summary and the table of one need."""
    db = get_db()
    context, status = need_page(db, "public.coverage")
    need = context["besoin"]
    carte = None
    if need:
        colour = next(b["couleur"] for b in context["besoins"] if b["slug"] == need)
        carte = coverage_map.build(
            context["coverage"],
            need,
            context["all_rows"],
            config=current_app.config,
            nonce=csp_nonce(),
            classes=context["classes"],
            shapes=coverage_map.polygons_url(
                current_app.config, "public.coverage_polygons"
            ),
            fiche=url_for("public.service", service_id="_")[:-1],
            colour=colour,
        )
    return render_template(
        "public/couverture.html",
        carte=carte,
        vendor_css=coverage_map.VENDOR_CSS,
        vendor_js=coverage_map.VENDOR_JS,
        **context,
    ), status


def csv_export():
    """/couverture.csv?besoin=…: the need's table for French Excel."""
    db = get_db()
    coverage = present.current(db)
    need, error = present.choose_need(coverage, request.args.get("besoin"))
    if error or need is None:
        return Response(
            (error or "Aucun besoin.") + "\n",
            status=400,
            mimetype="text/plain",
        )
    rows = present.table_rows(coverage, need, sort_of(request.args.get("tri")))
    stamp = datetime.date.today().isoformat()
    response = Response(present.csv_body(coverage, need, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="couverture-{need}-{stamp}.csv"'
    )
    return response


def matrix():
    """/couverture/matrice: every commune × every need, printable on one A4
    landscape page."""
    db = get_db()
    coverage = present.current(db)
    besoins = need_choices(coverage, db)
    classes = present.classes(coverage.settings)
    return render_template(
        "public/couverture_matrice.html",
        coverage=coverage,
        besoins=besoins,
        lignes=present.matrix(coverage, TABLE_LIMIT),
        total=len(coverage.communes),
        classes=classes,
        symboles={c.cle: c.symbole for c in classes},
        methode=present.method_text(coverage.settings),
        seuil=present.decimal(coverage.settings.threshold_km),
    )


def register(bp):
    """Add /couverture, /couverture.csv, /couverture/matrice and the polygons
    (/couverture/communes.geojson) to the public blueprint."""
    bp.add_url_rule("/couverture", "coverage", page)
    bp.add_url_rule("/couverture.csv", "coverage_csv", csv_export)
    bp.add_url_rule("/couverture/matrice", "coverage_matrix", matrix)
    bp.add_url_rule(
        "/couverture/communes.geojson",
        "coverage_polygons",
        coverage_map.send_polygons,
    )
