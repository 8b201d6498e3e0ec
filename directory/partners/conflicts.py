"""Admin page « Conflits »: a source says one thing, a partner corrected it.

Views of the admin blueprint, added by `register` (called from `admin`, which
this module never imports). Each decision is an audited, undoable import
(module `imports.conflicts`).
"""

import json

from flask import abort, flash, g, redirect, render_template, request, url_for

from ..db import get_db
from ..imports.conflicts import GROUPS, LABELS, STATUSES, resolve
from ..imports.records import ImportRefused, fetch_services
from .auth import admin_required
from .forms import ButtonForm

LIMIT = 500
FILTERS = {"ouvert": "À arbitrer", "tous": "Tous"}


def shown(value):
    """A stored JSON value as the admin reads it."""
    value = json.loads(value) if value else None
    if isinstance(value, dict):  # a group of fields (the place)
        return place_text(value)
    if value is None or value == "":
        return "(vide)"
    return str(value)


def place_text(place):
    """« 1 rue X, 15000 Aurillac (point 44.93, 2.44) »."""
    town = " ".join(filter(None, (place.get("code_postal"), place.get("commune"))))
    text = ", ".join(
        filter(None, (place.get("adresse"), place.get("complement_adresse"), town))
    )
    if place.get("latitude") is not None and place.get("longitude") is not None:
        text += f" (point {place['latitude']}, {place['longitude']})"
    return text.strip() or "(vide)"


def conflicts():
    """Conflicts between a source and a partner's correction, side by side."""
    statut = request.args.get("statut", "ouvert")
    if statut not in FILTERS:
        statut = "ouvert"
    db = get_db()
    where = "" if statut == "tous" else "where statut = 'ouvert'"
    rows = list(
        db.query(f"select * from conflits {where} order by id desc limit ?", [LIMIT])
    )
    total = next(db.query(f"select count(*) as n from conflits {where}"))["n"]
    services = fetch_services(db, sorted({r["service_id"] for r in rows}))
    for row in rows:
        service = services.get(row["service_id"])
        row["service"] = service
        row["source"] = shown(row["valeur_source"])
        row["locale"] = shown(row["valeur_locale"])
        columns = GROUPS.get(row["champ"])
        if service is not None and columns:
            row["actuelle"] = place_text({c: service[c] for c in columns})
        elif service is not None and row["champ"] in service:
            row["actuelle"] = shown(json.dumps(service[row["champ"]]))
        else:
            row["actuelle"] = row["locale"]
        row["libelle"] = LABELS.get(row["champ"], row["champ"])
        row["etat"] = STATUSES.get(row["statut"], row["statut"])
    return render_template(
        "admin/conflits.html",
        rows=rows,
        total=total,
        statut=statut,
        filtres=FILTERS,
        button=ButtonForm(formdata=None),
    )


def decide(conflict_id, action):
    """« Garder la correction » or « Prendre la valeur de la source »."""
    db = get_db()
    if not db["conflits"].count_where("id = ?", [conflict_id]):
        abort(404)
    try:
        import_id = resolve(
            db, conflict_id, take_source=action == "prendre", user=g.user["email"]
        )
    except ImportRefused as exc:
        flash(str(exc))
    else:
        done = (
            "la valeur de la source est enregistrée"
            if action == "prendre"
            else "la correction locale est gardée"
        )
        flash(
            f"Conflit n°{conflict_id} : {done} (import n°{import_id}, annulable "
            "depuis son historique)."
        )
    return redirect(url_for("admin.conflicts"))


def register(bp):
    """Add these views to the admin blueprint (endpoints admin.conflicts, …)."""
    bp.add_url_rule(
        "/conflits", endpoint="conflicts", view_func=admin_required(conflicts)
    )
    bp.add_url_rule(
        "/conflits/<int:conflict_id>/<any(garder, prendre):action>",
        endpoint="conflict_decide",
        view_func=admin_required(decide),
        methods=("POST",),
    )
