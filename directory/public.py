"""Public pages: home (placeholder until the search issue lands)."""

from flask import Blueprint, render_template

from .db import get_db

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    """Home page: the needs with their counts."""
    db = get_db()
    besoins = db.query(
        "select b.slug, b.libelle, b.description, b.couleur, count(s.id) as total"
        " from besoins b left join service_besoins sb on sb.besoin = b.slug"
        " left join services s on s.id = sb.service_id and s.statut != 'ferme'"
        " group by b.slug order by b.ordre"
    )
    total = db["services"].count_where("statut != 'ferme'")
    return render_template("public/index.html", besoins=list(besoins), total=total)
