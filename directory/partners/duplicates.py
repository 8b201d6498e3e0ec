"""Admin page « Doublons »: each cluster of services side by side, « Ce ne sont
pas des doublons » (remembered) and « Fusionner » (the kept fiche takes, per
field, the value of the service chosen).

Views of the admin blueprint, added by `register` (called from `admin`, which
this module never imports). Each decision is an audited, undoable import
(module `catalogue.duplicates`), undone from the import's history page.
"""

from flask import current_app, flash, g, redirect, render_template, request, url_for

from ..catalogue import duplicates
from ..catalogue.duplicates import MERGE_FIELDS, DuplicateError
from ..catalogue.services import PLACE
from ..db import get_db
from ..search.engine import after_commit
from ..web.fiche import LOCAL_LABEL, source_label, source_labels
from .auth import admin_required
from .forms import ButtonForm

PER_PAGE = 50
# Rows of the side-by-side table: (field, French label).
FIELDS = (
    ("source", "Source"),
    ("nom", "Nom"),
    ("structure_nom", "Structure"),
    ("description", "Présentation"),
    ("besoins", "Besoins"),
    ("adresse", "Adresse"),
    ("telephone", "Téléphone"),
    ("courriel", "Courriel"),
    ("site_web", "Site web"),
    ("horaires", "Horaires"),
    ("horaires_precisions", "Précisions sur les horaires"),
    ("conditions_acces", "Conditions d'accès"),
    ("frais_precisions", "Précisions sur les frais"),
    ("lien_mobilisation", "Demande en ligne"),
    ("siret", "SIRET"),
    ("score_qualite", "Score de qualité"),
    ("date_maj", "Mise à jour"),
    ("origine", "Importé depuis"),
)


def _shown(service, field, labels):
    """The text of one cell of the table."""
    if field == "source":
        return source_label(service, labels) or f"{LOCAL_LABEL} ({service['source']})"
    if field == "adresse":
        parts = [service.get(c) for c in PLACE[:4]]
        return " ".join(str(p) for p in parts if p)
    value = service.get(field)
    return "" if value is None else str(value)


def load_clusters(db, page):
    """(clusters of this page, total): each cluster is the list of its services,
    the one shown first."""
    total = next(
        db.query(
            "select count(distinct doublon_de) as n from services"
            " where doublon_de is not null"
        )
    )["n"]
    heads = [
        r["doublon_de"]
        for r in db.query(
            "select distinct doublon_de from services where doublon_de is not null"
            " order by doublon_de limit ? offset ?",
            [PER_PAGE, (page - 1) * PER_PAGE],
        )
    ]
    if not heads:
        return [], total
    marks = ",".join("?" * len(heads))
    rows = db.query(
        f"select * from services where id in ({marks}) or doublon_de in ({marks})"
        " order by id",
        heads + heads,
    )
    members = {head: [] for head in heads}
    for row in rows:
        if row["id"] in members:
            members[row["id"]].insert(0, row)
        else:
            members[row["doublon_de"]].append(row)
    return [m for m in members.values() if len(m) > 1 and not m[0]["doublon_de"]], total


def table(cluster, labels):
    """[(field, label, [cell texts], differ?, mergeable?)] of one cluster."""
    out = []
    for field, label in FIELDS:
        cells = [_shown(s, field, labels) for s in cluster]
        out.append((field, label, cells, len(set(cells)) > 1, field in MERGE_FIELDS))
    return out


def page_number():
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def index():
    """Every cluster side by side, with the two decisions."""
    db = get_db()
    page = page_number()
    clusters, total = load_clusters(db, page)
    labels = source_labels(current_app.config.get("DATA_DIR"))
    return render_template(
        "admin/doublons.html",
        clusters=[(c, table(c, labels)) for c in clusters],
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        button=ButtonForm(formdata=None),
    )


def _posted_cluster(db):
    """The services of the form, if they still make one current cluster."""
    ids = sorted(set(request.form.getlist("services")))
    heads = {r["id"]: r["doublon_de"] for r in _rows(db, ids)}
    if len(ids) < 2 or len(heads) != len(ids):
        return None
    shown = [i for i, head in heads.items() if head is None]
    if len(shown) != 1 or any(heads[i] not in (None, shown[0]) for i in ids):
        return None
    others = db["services"].count_where("doublon_de = ?", [shown[0]])
    return ids if others == len(ids) - 1 else None


def _rows(db, ids):
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return list(
        db.query(f"select id, doublon_de from services where id in ({marks})", ids)
    )


CHANGED = (
    "Ce groupe de doublons a changé depuis l'affichage de la page : "
    "vérifiez-le à nouveau avant de décider."
)


def back():
    return redirect(url_for("admin.duplicates", page=page_number()))


def refuse():
    """« Ce ne sont pas des doublons »: the whole group, or one service of it."""
    db = get_db()
    ids = _posted_cluster(db)
    if ids is None:
        flash(CHANGED)
        return back()
    alone = request.form.get("seul") or None
    try:
        import_id = duplicates.refuse(db, ids, user=g.user["email"], alone=alone)
    except DuplicateError as exc:
        flash(str(exc))
        return back()
    after_commit(db)  # the search index follows the shown services
    who = f"« {alone} » et les autres" if alone else ", ".join(ids)
    flash(
        f"C'est noté : {who} ne sont pas des doublons (import n°{import_id}, "
        "annulable depuis son historique)."
    )
    return back()


def merge():
    """« Fusionner »: the kept service takes the chosen value of each field."""
    db = get_db()
    ids = _posted_cluster(db)
    if ids is None:
        flash(CHANGED)
        return back()
    kept = request.form.get("garder", "")
    if kept not in ids:
        flash("Choisissez la fiche à garder.")
        return back()
    choices = {}
    for field in MERGE_FIELDS:
        origin = request.form.get(f"champ_{field}") or kept
        if origin not in ids:
            flash(f"Choix invalide pour le champ « {field} ».")
            return back()
        if origin != kept:
            choices[field] = origin
    try:
        import_id = duplicates.merge(
            db, kept, [i for i in ids if i != kept], choices, user=g.user["email"]
        )
    except DuplicateError as exc:
        flash(str(exc))
        return back()
    after_commit(db)
    flash(
        f"Fusion enregistrée : la fiche « {kept} » est gardée (import n°{import_id}, "
        "annulable depuis son historique)."
    )
    return back()


def register(bp):
    """Add these views to the admin blueprint (endpoints admin.duplicates, …)."""
    bp.add_url_rule("/doublons", endpoint="duplicates", view_func=admin_required(index))
    bp.add_url_rule(
        "/doublons/refuser",
        endpoint="duplicates_refuse",
        view_func=admin_required(refuse),
        methods=("POST",),
    )
    bp.add_url_rule(
        "/doublons/fusionner",
        endpoint="duplicates_merge",
        view_func=admin_required(merge),
        methods=("POST",),
    )
