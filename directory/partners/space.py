"""Partner space: dashboard and freshness, template download, import history.

The upload → preview → confirm views are in `uploads`, added to this blueprint.
"""

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)

from ..catalogue.closures import ClosureError
from ..db import get_db
from ..imports import engine
from ..imports.engine import ImportRefused
from ..opendata.partner_template import template_csv, template_xlsx
from ..web.context import clock
from ..web.fiche import date_fr, is_stale, months_before
from . import accounts, closures, edit, uploads
from .auth import csrf_guard, login_required, refuse_prescripteurs
from .forms import ButtonForm

bp = Blueprint("partners", __name__, url_prefix="/partenaires")
bp.before_request(csrf_guard)
bp.before_request(refuse_prescripteurs)  # every partner page, added ones too
uploads.register(bp)
edit.register(bp)
closures.register(bp)  # « Fermetures et horaires exceptionnels »

STALE_MONTHS = 6
CHANGES_SHOWN = 500
NO_CHANGE_LABEL = "confirmation sans changement"


@bp.app_template_filter("date_fr")
def date_fr_filter(value):
    return date_fr(value)


def stale_cutoff(today):
    """Entries whose date_maj is before this date (AAAA-MM-JJ) are stale."""
    return months_before(today, STALE_MONTHS).isoformat()


def owned_services(db, user):
    """The services of the account's own active structures, by structure."""
    structures = accounts.owned_structures(db, user["id"])
    ids = [s["id"] for s in structures]
    if not ids:
        return structures, []
    marks = ",".join("?" * len(ids))
    rows = list(
        db.query(
            "select id, nom, structure_id, structure_nom, commune, statut, date_maj"
            f" from services where structure_id in ({marks})"
            " order by structure_nom, nom, id",
            ids,
        )
    )
    return structures, rows


@bp.route("/")
@login_required
def index():
    """The partner's services with their freshness."""
    db = get_db()
    structures, services = owned_services(db, g.user)
    today = clock().date()
    for service in services:
        service["perime"] = is_stale(service["date_maj"], today)
    stale = sum(1 for s in services if s["perime"] and s["statut"] != "ferme")
    return render_template(
        "partenaires/index.html",
        structures=structures,
        services=services,
        stale=stale,
        form=ButtonForm(),
    )


def confirm_unchanged(db, service_ids):
    """Set date_maj to today on these services, as one audited import."""
    today = clock().date().isoformat()
    return engine.apply_edits(
        db,
        {service_id: {"date_maj": today} for service_id in service_ids},
        user=g.user["email"],
        label=NO_CHANGE_LABEL,
    )


@bp.route("/services/<service_id>/a-jour", methods=("POST",))
@login_required
def service_unchanged(service_id):
    """« Rien n'a changé » on one service."""
    db = get_db()
    service = next(db["services"].rows_where("id = ?", [service_id]), None)
    if service is None:
        abort(404)
    if not accounts.can_edit_service(db, g.user, service):
        abort(403)
    if confirm_unchanged(db, [service_id]):
        flash(f"« {service['nom']} » : date de mise à jour passée à aujourd'hui.")
    else:
        flash(f"« {service['nom']} » était déjà à jour aujourd'hui.")
    return redirect(url_for("partners.index"))


@bp.route("/a-jour", methods=("POST",))
@login_required
def all_unchanged():
    """« Rien n'a changé » on every open service of the partner."""
    db = get_db()
    _, services = owned_services(db, g.user)
    ids = [s["id"] for s in services if s["statut"] != "ferme"]
    import_id = confirm_unchanged(db, ids) if ids else None
    if import_id:
        count = db["imports"].get(import_id)["modifies"]
        flash(f"{count} service(s) confirmé(s) à jour aujourd'hui.")
    else:
        flash("Tous vos services étaient déjà à jour aujourd'hui.")
    return redirect(url_for("partners.index"))


@bp.route("/modele.<any(csv, xlsx):extension>")
@login_required
def template(extension):
    """The partner's own services as a ready-to-edit file (with a help row)."""
    db = get_db()
    structures = [s["id"] for s in accounts.owned_structures(db, g.user["id"])]
    rows = []
    if structures:
        marks = ",".join("?" * len(structures))
        rows = list(
            db.query(
                f"select * from services where structure_id in ({marks})"
                " order by structure_id, id",
                structures,
            )
        )
    if extension == "csv":
        data, mimetype = template_csv(rows), "text/csv"  # werkzeug adds the charset
    else:
        data = template_xlsx(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"mes-services-{clock().date().isoformat()}.{extension}"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def visible_import(db, import_id):
    """The import row if the user may see it (its author, or an admin)."""
    row = next(db["imports"].rows_where("id = ?", [import_id]), None)
    if row is None:
        abort(404)
    if not (g.user["is_admin"] or row["utilisateur"] == g.user["email"]):
        abort(403)
    return row


@bp.route("/historique")
@login_required
def history():
    """The imports made by this account, newest first."""
    imports = list(
        get_db().query(
            "select i.*, (select count(*) from changes c where c.import_id = i.id)"
            " as nb_changements from imports i where utilisateur = ?"
            " order by id desc limit 200",
            [g.user["email"]],
        )
    )
    return render_template(
        "partenaires/historique.html", imports=imports, form=ButtonForm()
    )


@bp.route("/historique/<int:import_id>")
@login_required
def import_detail(import_id):
    """One import: its counts and every field change, with links to the fiches."""
    db = get_db()
    row = visible_import(db, import_id)
    changes = list(
        db.query(
            "select c.*, s.nom, s.id is not null as existe from changes c"
            " left join services s on s.id = c.service_id"
            " where c.import_id = ? order by c.service_id, c.id limit ?",
            [import_id, CHANGES_SHOWN + 1],
        )
    )
    total = db["changes"].count_where("import_id = ?", [import_id])
    services = {}
    for change in changes[:CHANGES_SHOWN]:
        entry = services.setdefault(
            change["service_id"],
            {
                "id": change["service_id"],
                "nom": change["nom"],
                "existe": change["existe"],
                "action": change["action"],
                "champs": [],
            },
        )
        if change["champ"]:
            entry["champs"].append(
                (change["champ"], decode(change["avant"]), decode(change["apres"]))
            )
    return render_template(
        "partenaires/import_detail.html",
        row=row,
        services=list(services.values()),
        total=total,
        shown=min(total, CHANGES_SHOWN),
        form=ButtonForm(),
    )


def decode(value):
    """A logged JSON value as text (None → empty)."""
    value = json.loads(value) if value else None
    if isinstance(value, list):
        value = " · ".join(str(v) for v in value)
    return "" if value is None else str(value)


@bp.route("/historique/<int:import_id>/annuler", methods=("POST",))
@login_required
def undo(import_id):
    """Undo a whole import (its author, or an admin)."""
    db = get_db()
    visible_import(db, import_id)
    try:
        count = closures.undo_entry(db, import_id, engine.undo)
    except (ImportRefused, ClosureError) as exc:
        flash(str(exc))
    else:
        flash(f"Import n°{import_id} annulé ({count} modification(s) défaite(s)).")
    return redirect(url_for("partners.import_detail", import_id=import_id))
