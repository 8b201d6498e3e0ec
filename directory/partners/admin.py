"""The Département's team: accounts, structures, imports, reports, data quality."""

import json

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from ..db import get_db
from ..web.context import clock
from . import accounts, closures, conflicts, coverage, duplicates, proposals
from .auth import admin_required, csrf_guard
from .forms import AttachForm, ButtonForm, PartnerForm, StructureForm
from .space import stale_cutoff

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(csrf_guard)
conflicts.register(bp)  # « Conflits »: /admin/conflits
proposals.register(bp)  # « Propositions »: /admin/propositions
duplicates.register(bp)  # « Doublons »: /admin/doublons
closures.register_admin(bp)  # « Fermetures »: /admin/fermetures
coverage.register(bp)  # « Où l'aide manque »: /admin/couverture

LIST_LIMIT = 500
REPORT_STATUSES = {"nouveau": "Nouveaux", "traite": "Traités", "tous": "Tous"}
STALE_WHERE = (
    "statut != 'ferme' and (date_maj is null or date_maj = '' or date_maj < :cutoff)"
)
# Precise: a street address, and a point entered by hand or geocoded to it
# (precision `manuel`, `adresse`…). Without one, the fiche sits at the chef-lieu.
IMPRECISE_WHERE = (
    "statut != 'ferme' and (coalesce(adresse, '') = '' or latitude is null"
    " or longitude is null or coalesce(precision_geo, 'commune') = 'commune')"
)


def count(sql, params=None):
    return next(get_db().query(f"select count(*) as n from {sql}", params or {}))["n"]


@bp.route("/")
@admin_required
def index():
    """Overview: counts and links."""
    cutoff = stale_cutoff(clock().date())
    return render_template(
        "admin/index.html",
        partenaires=count("users"),
        structures=count("structures"),
        imports=count("imports"),
        signalements=count("signalements where statut = 'nouveau'"),
        conflits=count("conflits where statut = 'ouvert'"),
        perimes=count(f"services where {STALE_WHERE}", {"cutoff": cutoff}),
        imprecis=count(f"services where {IMPRECISE_WHERE}"),
    )


def structure_choices(db):
    return [
        (s["id"], f"{s['nom']} ({s['id']})")
        for s in db.query("select id, nom from structures order by nom, id")
    ]


@bp.route("/partenaires", methods=("GET", "POST"))
@admin_required
def partners():
    """Accounts with their structures; create an account."""
    db = get_db()
    form = PartnerForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.create_user(
                db,
                form.email.data,
                form.mot_de_passe.data,
                (form.structures.data or "").split(","),
                admin=form.admin.data,
                role=form.type_compte.data,
                organisme=form.organisme.data,
            )
        except accounts.AccountError as exc:
            getattr(form, exc.field, form.email).errors.append(str(exc))
            status = 400
        else:
            flash(f"Compte créé pour {accounts.normalize_email(form.email.data)}.")
            return redirect(url_for("admin.partners"))
    elif request.method == "POST":
        status = 400
    users = list(
        db.query(
            "select u.id, u.email, u.is_admin, u.actif, u.cree_le, u.role,"
            " u.organisme,"
            " json_group_array(json_object('id', s.id, 'nom', s.nom, 'actif', s.actif))"
            " filter (where s.id is not null) as structures"
            " from users u left join user_structures us on us.user_id = u.id"
            " left join structures s on s.id = us.structure_id"
            " group by u.id order by u.is_admin, u.email"
        )
    )
    for user in users:
        user["structures"] = json.loads(user["structures"] or "[]")
    attach = AttachForm(formdata=None)
    attach.structure_id.choices = structure_choices(db)
    return render_template(
        "admin/partenaires.html",
        form=form,
        users=users,
        attach=attach,
        button=ButtonForm(formdata=None),
    ), status


def user_or_404(user_id):
    user = accounts.get_user(get_db(), user_id)
    if user is None:
        abort(404)
    return user


@bp.route(
    "/partenaires/<int:user_id>/<any(desactiver, reactiver):action>", methods=("POST",)
)
@admin_required
def partner_status(user_id, action):
    """Disable (or enable again) an account; disabled ones cannot log in."""
    user = user_or_404(user_id)
    if user["id"] == g.user["id"]:
        flash("Vous ne pouvez pas désactiver votre propre compte.")
    else:
        accounts.set_user_active(get_db(), user_id, action == "reactiver")
        state = "réactivé" if action == "reactiver" else "désactivé"
        flash(f"Compte {user['email']} {state}.")
    return redirect(url_for("admin.partners"))


@bp.route("/partenaires/<int:user_id>/structures", methods=("POST",))
@admin_required
def attach(user_id):
    """Attach a structure to an account."""
    user = user_or_404(user_id)
    try:
        accounts.attach(get_db(), user_id, request.form.get("structure_id", ""))
    except accounts.AccountError as exc:
        flash(str(exc))
    else:
        flash(f"Structure rattachée au compte {user['email']}.")
    return redirect(url_for("admin.partners"))


@bp.route(
    "/partenaires/<int:user_id>/structures/<structure_id>/retirer", methods=("POST",)
)
@admin_required
def detach(user_id, structure_id):
    """Detach a structure from an account."""
    user = user_or_404(user_id)
    accounts.detach(get_db(), user_id, structure_id)
    flash(f"Structure « {structure_id} » retirée du compte {user['email']}.")
    return redirect(url_for("admin.partners"))


@bp.route("/structures", methods=("GET", "POST"))
@admin_required
def structures():
    """Structures with their number of services; create one."""
    db = get_db()
    form = StructureForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.create_structure(db, form.id.data, form.nom.data)
        except accounts.AccountError as exc:
            form.id.errors.append(str(exc))
            status = 400
        else:
            flash(f"Structure « {form.id.data.strip()} » créée.")
            return redirect(url_for("admin.structures"))
    elif request.method == "POST":
        status = 400
    rows = list(
        db.query(
            "select st.*, (select count(*) from services s where"
            " s.structure_id = st.id) as services, (select count(*) from"
            " user_structures us where us.structure_id = st.id) as comptes"
            " from structures st order by st.nom, st.id"
        )
    )
    return render_template(
        "admin/structures.html", form=form, rows=rows, button=ButtonForm(formdata=None)
    ), status


@bp.route(
    "/structures/<structure_id>/<any(desactiver, reactiver):action>", methods=("POST",)
)
@admin_required
def structure_status(structure_id, action):
    """Disable a structure: its partners can no longer change its services."""
    db = get_db()
    if not db["structures"].count_where("id = ?", [structure_id]):
        abort(404)
    accounts.set_structure_active(db, structure_id, action == "reactiver")
    state = "réactivée" if action == "reactiver" else "désactivée"
    flash(f"Structure « {structure_id} » {state}.")
    return redirect(url_for("admin.structures"))


@bp.route("/imports")
@admin_required
def imports():
    """Every import, newest first."""
    rows = list(
        get_db().query("select * from imports order by id desc limit ?", [LIST_LIMIT])
    )
    return render_template("admin/imports.html", rows=rows, total=count("imports"))


@bp.route("/signalements")
@admin_required
def reports():
    """Error reports sent by the public from the fiches."""
    statut = request.args.get("statut", "nouveau")
    if statut not in REPORT_STATUSES:
        statut = "nouveau"
    where = "" if statut == "tous" else "where r.statut = :statut"
    rows = list(
        get_db().query(
            "select r.*, s.nom from signalements r"
            f" left join services s on s.id = r.service_id {where}"
            " order by r.cree_le desc, r.id desc limit :limit",
            {"statut": statut, "limit": LIST_LIMIT},
        )
    )
    return render_template(
        "admin/signalements.html",
        rows=rows,
        statut=statut,
        statuts=REPORT_STATUSES,
        button=ButtonForm(formdata=None),
    )


@bp.route(
    "/signalements/<int:report_id>/<any(traiter, rouvrir):action>", methods=("POST",)
)
@admin_required
def report_status(report_id, action):
    """Mark a report handled (or new again)."""
    db = get_db()
    if not db["signalements"].count_where("id = ?", [report_id]):
        abort(404)
    statut = "traite" if action == "traiter" else "nouveau"
    db["signalements"].update(report_id, {"statut": statut})
    label = "traité" if statut == "traite" else "nouveau"
    flash(f"Signalement n°{report_id} marqué « {label} ».")
    return redirect(
        url_for("admin.reports", statut=request.args.get("statut", "nouveau"))
    )


def service_list(template, where, params, title, intro=None):
    rows = list(
        get_db().query(
            "select id, nom, structure_id, structure_nom, commune, adresse,"
            f" latitude, precision_geo, date_maj from services where {where}"
            " order by date_maj, structure_nom, nom limit :limit",
            {**params, "limit": LIST_LIMIT},
        )
    )
    total = count(f"services where {where}", params)
    return render_template(template, rows=rows, total=total, title=title, intro=intro)


@bp.route("/a-verifier")
@admin_required
def stale():
    """Open services not checked for more than six months."""
    return service_list(
        "admin/services.html",
        STALE_WHERE,
        {"cutoff": stale_cutoff(clock().date())},
        "Fiches à vérifier (mises à jour il y a plus de 6 mois)",
    )


@bp.route("/sans-adresse")
@admin_required
def imprecise():
    """Open services placed without an exact address."""
    return service_list(
        "admin/services.html",
        IMPRECISE_WHERE,
        {},
        "Fiches sans adresse précise",
        "Services placés au centre de leur commune : sans adresse, ou sans "
        "coordonnées saisies ni adresse localisée. Sur la carte et dans les "
        "distances, ils comptent pour le centre de la commune.",
    )
