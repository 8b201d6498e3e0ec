"""Public pages: home, results, service fiche, open data."""

from flask import Blueprint, abort, render_template, request

from .api import run_search
from .db import get_db
from .engine import clock, get_besoins
from .search import PARAMETERS, ParamError
from .services import detail, get_service, split

bp = Blueprint("public", __name__)


def besoins_with_counts(db):
    """The 16 needs in order, with their number of open services."""
    return list(
        db.query(
            "select b.slug, b.libelle, b.description, b.couleur, count(s.id) as total"
            " from besoins b left join service_besoins sb on sb.besoin = b.slug"
            " left join services s on s.id = sb.service_id and s.statut != 'ferme'"
            " group by b.slug order by b.ordre"
        )
    )


@bp.route("/")
def index():
    """Home page: search form and the needs with their counts."""
    db = get_db()
    total = db["services"].count_where("statut != 'ferme'")
    return render_template(
        "public/index.html", besoins=besoins_with_counts(db), total=total
    )


@bp.route("/recherche")
def search():
    """Results of a search (same parameters as /api/services)."""
    db = get_db()
    error, result = None, None
    try:
        result = run_search(request.args)
    except ParamError as exc:
        error = exc
    labels = get_besoins(db).labels
    args = {k: request.args.getlist(k) for k in PARAMETERS if request.args.get(k)}
    status = 400 if error else 200
    return render_template(
        "public/search.html",
        result=result,
        error=error,
        labels=labels,
        args=args,
        split=split,
        besoins=besoins_with_counts(db),
    ), status


@bp.route("/services/<service_id>")
def service(service_id):
    """The fiche of one service."""
    db = get_db()
    row = get_service(db, service_id)
    if row is None:
        abort(404)
    return render_template(
        "public/service.html",
        service=detail(row, now=clock()),
        row=row,
        labels=get_besoins(db).labels,
    )


@bp.route("/donnees")
def data():
    """Open data: what the exports hold, their licence and sources."""
    return render_template("public/donnees.html")
