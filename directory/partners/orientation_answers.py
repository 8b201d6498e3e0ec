"""Orientations (issue 14), the receiving structure's side: its list, one
orientation, the answers (accept, refuse with a message, « prise en charge »),
from the partner space or through the signed link; and the admin's counts.
Views of the `orientations` blueprint (added by `register`).

A partner sees only the orientations addressed to its own structures (404
otherwise); a prescripteur or an admin gets 403 on these pages: the admin sees
counts, never contents.
"""

import functools

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from ..db import get_db
from ..orientations import records, tokens
from ..orientations.records import OrientationError
from ..web.context import clock
from . import accounts
from .auth import admin_required, here

# URL word → status it moves to.
ACTIONS = {
    "accepter": "acceptee",
    "refuser": "refusee",
    "prise-en-charge": "prise-en-charge",
}
ACTION_RULE = '<any(accepter, refuser, "prise-en-charge"):action>'
DONE = {
    "acceptee": "Orientation acceptée.",
    "refusee": "Orientation refusée.",
    "prise-en-charge": "Orientation marquée « prise en charge ».",
}


class AnswerForm(FlaskForm):
    """An answer; its message is checked by orientations.records."""

    message = TextAreaField(
        "Message à la personne qui a orienté",
        render_kw={"maxlength": records.MAX_MESSAGE, "rows": 4},
    )


def partner_required(view):
    """Anonymous → login; prescripteurs and admins → 403 (partners only)."""

    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", suivant=here()))
        if g.user["is_admin"] or accounts.is_prescripteur(g.user):
            abort(403)
        return view(**kwargs)

    return wrapped_view


def own_structures(db):
    return {s["id"]: s["nom"] for s in accounts.owned_structures(db, g.user["id"])}


def received_orientation(db, orientation_id):
    """The orientation if it is addressed to one of the partner's structures."""
    orientation = records.get(db, orientation_id)
    if orientation is None or orientation["structure_id"] not in own_structures(db):
        abort(404)
    return orientation


def answer_page(db, orientation, *, template, status=200, form=None, **context):
    """One orientation for its structure, with the answers it may still get."""
    actions = [
        (word, statut)
        for word, statut in ACTIONS.items()
        if records.allowed(orientation, statut)
    ]
    return render_template(
        template,
        o=orientation,
        events=records.events(db, orientation["id"]),
        labels=records.LABELS,
        by=records.BY,
        actions=actions,
        form=form or AnswerForm(formdata=None),
        **context,
    ), status


def received_page(db, orientation, **context):
    """The answer page of the partner space (answers posted to its routes)."""
    return answer_page(
        db,
        orientation,
        template="partenaires/orientation.html",
        action_url=lambda word: url_for(
            "orientations.received_answer",
            orientation_id=orientation["id"],
            action=word,
        ),
        **context,
    )


def link_page(db, orientation, token, **context):
    """The answer page of a signed link (answers posted to the same token)."""
    return answer_page(
        db,
        orientation,
        template="orientations/lien.html",
        action_url=lambda word: url_for(
            "orientations.link_answer", token=token, action=word
        ),
        **context,
    )


def answer(db, orientation, action, *, par, user_id):
    """Apply one answer → (updated row, None, form) or (None, the refusal, form)."""
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        row = records.transition(
            db,
            orientation["id"],
            ACTIONS[action],
            message=form.message.data,
            par=par,
            user_id=user_id,
            now=clock(),
        )
    except OrientationError as exc:
        if "message" in exc.errors:
            form.message.errors = [exc.errors["message"]]
        return None, exc, form
    return row, None, form


@partner_required
def received():
    """The orientations addressed to the partner's structures, pending first."""
    db = get_db()
    structures = own_structures(db)
    return render_template(
        "partenaires/orientations.html",
        rows=records.received_by(db, structures),
        structures=structures,
        pending=records.pending_counts(db, structures),
        labels=records.LABELS,
    )


@partner_required
def received_detail(orientation_id):
    """One orientation addressed to the partner's structures."""
    db = get_db()
    return received_page(db, received_orientation(db, orientation_id))


def make_answer_view(notify):
    @partner_required
    def received_answer(orientation_id, action):
        """Accept, refuse (message required) or mark « prise en charge »."""
        db = get_db()
        orientation = received_orientation(db, orientation_id)
        row, error, form = answer(
            db, orientation, action, par="partenaire", user_id=g.user["id"]
        )
        if error is not None and form.message.errors:
            return received_page(db, orientation, status=400, form=form)
        flash(str(error) if error else notified(DONE[row["statut"]], notify(row)))
        return redirect(
            url_for("orientations.received_detail", orientation_id=orientation_id),
            303,
        )

    return received_answer


def notified(done, sent):
    if sent:
        return done + " La personne qui a orienté est prévenue par courriel."
    return done + " La personne qui a orienté le voit sur sa page."


def _opened(token):
    """The orientation of a signed link, or the page saying why it opens
    nothing (410 expired or erased, 403 another structure, 404 invalid)."""
    config = current_app.config
    try:
        return tokens.open_orientation(
            get_db(),
            config["SECRET_KEY"],
            token,
            max_days=int(config["ORIENTATION_LINK_DAYS"]),
            now=clock(),
        ), None
    except tokens.LinkError as exc:
        page = render_template("orientations/lien_invalide.html", message=exc.message)
        return None, (page, exc.status)


def link(token):
    """One orientation opened by the signed link (no login)."""
    orientation, refusal = _opened(token)
    if refusal:
        return refusal
    return link_page(get_db(), orientation, token)


def make_link_answer_view(notify):
    def link_answer(token, action):
        """The answers through the signed link (CSRF on, par « lien »)."""
        orientation, refusal = _opened(token)
        if refusal:
            return refusal
        db = get_db()
        row, error, form = answer(db, orientation, action, par="lien", user_id=None)
        if error is not None and form.message.errors:
            return link_page(db, orientation, token, status=400, form=form)
        flash(str(error) if error else notified(DONE[row["statut"]], notify(row)))
        return redirect(url_for("orientations.link", token=token), 303)

    return link_answer


@admin_required
def admin_counts():
    """Counts by status, month and structure: never a name, contact or text."""
    return render_template(
        "admin/orientations.html", counts=records.admin_counts(get_db())
    )


def register(bp, notify):
    """Add the views to the orientations blueprint; `notify(row)` e-mails the
    prescripteur the new status."""
    bp.add_url_rule("/partenaires/orientations", "received", received)
    bp.add_url_rule(
        "/partenaires/orientations/<int:orientation_id>",
        "received_detail",
        received_detail,
    )
    bp.add_url_rule(
        f"/partenaires/orientations/<int:orientation_id>/{ACTION_RULE}",
        "received_answer",
        make_answer_view(notify),
        methods=("POST",),
    )
    bp.add_url_rule("/orientation/<token>", "link", link)
    bp.add_url_rule(
        f"/orientation/<token>/{ACTION_RULE}",
        "link_answer",
        make_link_answer_view(notify),
        methods=("POST",),
    )
    bp.add_url_rule("/admin/orientations", "admin", admin_counts)
