"""Public pages (SPEC §6): home, results, map, service fiche, open data."""

import math
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from ..catalogue import closures
from ..catalogue.services import get_service
from ..catalogue.vocabulary import FRAIS, MODALITES, PUBLICS
from ..db import get_db
from ..geo.french import de
from ..search.closures import today_of
from ..search.facets import needs_with_counts
from ..search.query import PARAMETERS, ParamError, parse_params
from ..search.query import search as run_query
from . import clusters as map_clusters
from . import coverage, fiche, privacy, propose, reports, searchstats, selection
from .context import clock, get_besoins, get_gazetteer
from .forms import ReportForm
from .maps import VENDOR_CSS, VENDOR_JS, build_map, checked_colours, map_needs
from .present import summary
from .results import absent_needs, distance_text, facet_labels
from .security import csp_nonce

bp = Blueprint("public", __name__)
bp.add_app_template_filter(de, "de")  # {{ nom|de }} → « d'Aurillac »
propose.register(bp)  # « Proposer un service »: /proposer
selection.register(bp)  # « Ma sélection »: /selection
privacy.register(bp)  # « Données personnelles »: /donnees-personnelles
coverage.register(bp)  # « Où l'aide manque »: /couverture, its CSV and matrix

LIST_ON_MAP = 20  # text alternative under the full-screen map, per page
RAYONS = (5, 10, 20, 30, 50, 100)
TRIS = {
    "pertinence": "Pertinence",
    "distance": "Distance",
    "nom": "Nom",
    "date_maj": "Mise à jour récente",
}
SHELTER = re.compile(
    r"h[ée]berg|\b115\b|urgence|sans[- ]?abri|\bsdf\b|dormir|\babri\b",
    re.IGNORECASE,
)
RIGHTS = re.compile(
    r"droits?\b|\brsa\b|\bapl\b|\bcaf\b|prime d.activit|allocation|minima|retraite",
    re.IGNORECASE,
)
SIMULATOR = "https://www.mesdroitssociaux.gouv.fr/"


def besoins_with_counts(db):
    """The 16 needs in order, with their number of open services."""
    return checked_colours(needs_with_counts(db, list(get_besoins(db).labels)))


def page_args():
    """The query string, minus empty values; a typed commune wins over a
    position kept from "autour de moi" (the API would refuse both)."""
    args = MultiDict(
        (k, v) for k, v in request.args.items(multi=True) if k in PARAMETERS and v
    )
    if args.get("commune", "").strip():
        args.poplist("lat")
        args.poplist("lon")
    return args


def link(endpoint, args, **changes):
    """URL of `endpoint` with these arguments; a change of None removes one."""
    values = MultiDict(args)
    for name, value in changes.items():
        values.poplist(name)
        if value is not None:
            values.setlist(name, value if isinstance(value, list) else [value])
    return url_for(endpoint, **values.to_dict(flat=False))


def active_filters(query, args, besoins, endpoint):
    """[(French label, URL without it)] for the filters in use."""
    out = []

    def without(**changes):
        return link(endpoint, args, page=None, **changes)

    if query.q:
        out.append((f"« {query.q} »", without(q=None)))
    for name, slugs, choices in (
        ("besoin", query.besoins, besoins),
        ("public", query.publics, PUBLICS),
        ("modalite", query.modalites, MODALITES),
    ):
        for slug in slugs:
            rest = [v for v in args.getlist(name) if choices.match(v) != slug]
            out.append((choices.labels[slug], without(**{name: rest})))
    if query.place:
        where = "ma position" if args.get("lat") else query.place.nom
        rayon = f"{query.rayon:g}".replace(".", ",")
        out.append(
            (
                f"Autour {de(where)} ({rayon} km)",
                without(
                    commune=None,
                    lat=None,
                    lon=None,
                    rayon=None,
                    # sorting by distance needs a place
                    tri=None if query.tri == "distance" else args.getlist("tri"),
                ),
            )
        )
    if query.frais:
        out.append((FRAIS.labels[query.frais], without(frais=None)))
    if query.ouvert:
        out.append(("Ouvert maintenant", without(ouvert=None)))
    return out


def pagination(total, query, args, endpoint="public.search"):
    """Pages to link: previous/next and a window around the current one."""
    last = max(1, math.ceil(total / query.par_page))
    page = query.page

    def url(number):
        return link(endpoint, args, page=str(number) if number > 1 else None)

    around = range(max(1, min(page, last) - 2), min(last, page + 2) + 1)
    return {
        "page": page,
        "last": last,
        "previous": url(min(page - 1, last)) if page > 1 else None,
        "next": url(page + 1) if page < last else None,
        "pages": [(n, url(n)) for n in sorted({1, last, *around})],
    }


def banners(query):
    """Which contextual banners a search calls for."""
    text = query.q or ""
    return {
        "urgence": "logement" in query.besoins
        or "hygiene-accueil-de-jour" in query.besoins
        or bool(SHELTER.search(text)),
        "droits": "acces-aux-droits" in query.besoins or bool(RIGHTS.search(text)),
        "simulateur": SIMULATOR,
    }


def listed(rows, place=None):
    """Result rows as the templates show them, the distance in honest French."""
    return [
        {
            **summary(row),
            "tel": fiche.tel_href(row.get("telephone")),
            "distance_texte": distance_text(row, place),
        }
        for row in rows
    ]


def map_for(rows, besoins, css_class="carte", zoom=13, clusters=None):
    """MapParts for these rows (same services as the list they come with), or
    for the server's `clusters` of a view (see build_map)."""
    prefix = url_for("public.service", service_id="_")[:-1]
    return build_map(
        rows,
        config=current_app.config,
        nonce=csp_nonce(),
        besoins=besoins,
        fiche_prefix=prefix,
        css_class=css_class,
        zoom=zoom,
        clusters=clusters,
    )


def page_context(db, args, besoins=None):
    """What the search and map pages share (`besoins`: the needs, when the
    page shows no count of services per need)."""
    besoins = besoins_with_counts(db) if besoins is None else besoins
    return {
        "args": args,
        "besoins": besoins,
        "labels": {b["slug"]: b["libelle"] for b in besoins},
        "rayons": RAYONS,
        "tris": TRIS,
        "publics": PUBLICS.labels,
        "modalites": MODALITES.labels,
        "vendor_css": VENDOR_CSS,
        "vendor_js": VENDOR_JS,
    }


@bp.route("/")
def index():
    """Home page: search form and the needs with their counts."""
    db = get_db()
    total = db["services"].count_where("statut != 'ferme' and doublon_de is null")
    return render_template(
        "public/index.html",
        besoins=besoins_with_counts(db),
        total=total,
        rayons=RAYONS,
    )


@bp.route("/recherche")
def search():
    """Results of a search (same parameters as /api/services), list + map."""
    db = get_db()
    args = page_args()
    context = page_context(db, args)
    try:
        besoins = get_besoins(db)
        query = parse_params(args, gazetteer=get_gazetteer(db), besoins=besoins)
    except ParamError as exc:
        choices = [
            (name, link("public.search", args, commune=name, page=None))
            for name in exc.choices
        ]
        return render_template(
            "public/search.html", error=exc, choices=choices, **context
        ), 400
    now = clock()
    result = run_query(
        db, query, besoin_slugs=list(besoins.labels), now=now, facets=True
    )
    searchstats.note(query, result.total, now)
    rows = result.services
    return render_template(
        "public/search.html",
        error=None,
        result=result,
        services=listed(rows, query.place),
        counts=facet_labels(result.facets),
        absent=absent_needs(db, query, context["besoins"])
        if not result.total
        else None,
        filters=active_filters(query, args, besoins, "public.search"),
        pages=pagination(result.total, result.query, args),
        banners=banners(result.query),
        carte=map_for(rows, context["besoins"]) if rows else None,
        **context,
    )


@bp.route("/carte")
def carte():
    """Full-screen map with the search filters, clustered by the server (the
    first view inline, then /carte/grappes.json), the list as a text
    alternative, page by page."""
    db = get_db()
    args = page_args()
    context = page_context(db, args, map_needs(db))
    try:
        besoins = get_besoins(db)
        gazetteer = lambda: get_gazetteer(db)  # noqa: E731 - loaded only for a place
        query = parse_params(args, gazetteer=gazetteer, besoins=besoins)
    except ParamError as exc:
        return render_template("public/carte.html", error=exc, **context), 400
    if "par_page" not in args:
        query.par_page = LIST_ON_MAP
    slugs, now = list(besoins.labels), clock()
    result = run_query(db, query, besoin_slugs=slugs, now=now)
    selection = run_query(db, query, besoin_slugs=slugs, now=now, selection=True)
    first = map_clusters.first_items(
        db, selection, besoin_slugs=slugs, slugs=[b["slug"] for b in context["besoins"]]
    )
    first["source"] = map_clusters.source_url(args, query)
    carte = map_for([], context["besoins"], "carte carte-plein-ecran", clusters=first)
    return render_template(
        "public/carte.html",
        error=None,
        result=result,
        placed=len(map_clusters.placed_matches(selection)),
        services=listed(result.services, query.place),
        pages=pagination(result.total, result.query, args, "public.carte"),
        filters=active_filters(query, args, besoins, "public.carte"),
        banners=banners(query),
        carte=carte,
        list_url=link("public.search", args, page=None, par_page=None),
        **context,
    )


@bp.route("/carte/grappes.json")
def clusters():
    """The map's clusters and lone services for a view (bbox, zoom) and the
    filters of /carte, in JSON."""
    return map_clusters.answer(request.args)


def render_fiche(row, form, status=200, limited=False):
    """The fiche page, with the report form (and its errors, if any)."""
    db, now = get_db(), clock()
    besoins = besoins_with_counts(db)
    periods = closures.of_service(db, row["id"], today_of(now))
    return render_template(
        "public/service.html",
        service=fiche.describe(
            row, now=now, gazetteer=get_gazetteer(db), periods=periods
        ),
        provenance=fiche.provenance(db, row, current_app.config.get("DATA_DIR")),
        form=form,
        limited=limited,
        besoins=besoins,
        labels={b["slug"]: b["libelle"] for b in besoins},
        carte=map_for([row], besoins, "carte carte-fiche", zoom=15)
        if row.get("latitude") is not None
        else None,
        vendor_css=VENDOR_CSS,
        vendor_js=VENDOR_JS,
    ), status


@bp.route("/services/<service_id>")
def service(service_id):
    """The fiche of one service."""
    row = get_service(get_db(), service_id)
    if row is None:
        abort(404)
    return render_fiche(row, ReportForm())


@bp.route("/services/<service_id>/signaler", methods=["POST"])
def report(service_id):
    """« Signaler une erreur »: store the report for the Département's team."""
    db = get_db()
    row = get_service(db, service_id)
    if row is None:
        abort(404)
    form = ReportForm()
    now = clock()
    sender = reports.ip_hash(request.remote_addr, current_app.config["SECRET_KEY"])
    if reports.is_limited(db, sender, now):
        return render_fiche(row, form, 429, limited=True)
    if not form.validate_on_submit():
        return render_fiche(row, form, 400)
    reports.store(db, row["id"], form.message.data, form.courriel.data, sender, now)
    flash(
        "Merci ! Votre signalement a été transmis à l'équipe du Département, "
        "qui vérifiera la fiche."
    )
    return redirect(url_for("public.service", service_id=row["id"]), 303)


@bp.route("/donnees")
def data():
    """Open data: what the exports hold, their licence and sources."""
    return render_template("public/donnees.html")
