"""Admin page « Propositions »: services suggested by the public (/proposer).

Views of the admin blueprint, added by `register` (called from `admin`, which
this module never imports). Handling a proposal (« Traitée » or « Rejetée »)
erases the proposer's e-mail: it was kept only to ask about the service.
"""

from flask import abort, flash, redirect, render_template, request, url_for

from ..db import get_db
from ..web.context import get_besoins
from ..web.propose import STATUSES
from .auth import admin_required
from .forms import ButtonForm

LIMIT = 500
FILTERS = {"nouvelle": "Nouvelles", "traitee": "Traitées", "rejetee": "Rejetées"}
FILTERS["toutes"] = "Toutes"
ACTIONS = {"traiter": "traitee", "rejeter": "rejetee"}


def handle(db, proposal_id, statut):
    """Set a proposal's status and erase the proposer's e-mail (one write)."""
    with db.atomic():
        db["propositions"].update(proposal_id, {"statut": statut, "courriel": None})


def proposals():
    """Proposals from the public, newest first; the new ones by default."""
    statut = request.args.get("statut", "nouvelle")
    if statut not in FILTERS:
        statut = "nouvelle"
    db = get_db()
    where = "" if statut == "toutes" else "where statut = :statut"
    rows = list(
        db.query(
            f"select * from propositions {where}"
            " order by cree_le desc, id desc limit :limit",
            {"statut": statut, "limit": LIMIT},
        )
    )
    return render_template(
        "admin/propositions.html",
        rows=rows,
        statut=statut,
        statuts=FILTERS,
        labels=STATUSES,
        besoins=get_besoins(db).labels,
        button=ButtonForm(formdata=None),
    )


def decide(proposal_id, action):
    """« Traitée » or « Rejetée »: out of the queue, and the e-mail erased."""
    db = get_db()
    if not db["propositions"].count_where("id = ?", [proposal_id]):
        abort(404)
    statut = ACTIONS[action]
    handle(db, proposal_id, statut)
    flash(
        f"Proposition n°{proposal_id} marquée « {STATUSES[statut]} » ; "
        "l'adresse e-mail de la personne qui l'a envoyée est effacée."
    )
    back = request.args.get("statut", "nouvelle")
    return redirect(
        url_for("admin.proposals", statut=back if back in FILTERS else None)
    )


def register(bp):
    """Add these views to the admin blueprint (endpoints admin.proposals, …)."""
    bp.add_url_rule(
        "/propositions", endpoint="proposals", view_func=admin_required(proposals)
    )
    bp.add_url_rule(
        "/propositions/<int:proposal_id>/<any(traiter, rejeter):action>",
        endpoint="proposal_decide",
        view_func=admin_required(decide),
        methods=("POST",),
    )
