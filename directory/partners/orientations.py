"""Orientations (issue 14), the prescripteur's side: the form on a service,
the list of what it sent, one orientation with its history. Blueprint
`orientations`; the structure's side, the signed link and the admin's counts
are added by `orientation_answers.register`.

Delivery: the active partner accounts of the service's structure see it in
their space (and get an e-mail); without such an account, the service's
`courriel` gets an e-mail with a signed link; without either (or with mail off),
nothing is stored and the prescripteur is told to phone.
"""

import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from ..catalogue.services import get_service
from ..db import get_db
from ..orientations import mail, messages, records, tokens
from ..orientations.records import OrientationError
from ..search.hours import PARIS
from ..web.context import clock
from ..web.fiche import date_fr, tel_href
from ..web.present import phone
from . import accounts, orientation_answers
from .auth import csrf_guard, prescripteur_required

bp = Blueprint("orientations", __name__)
bp.before_request(csrf_guard)

NO_FILES = (
    "Les pièces jointes ne sont pas acceptées : aucun document n'est conservé. "
    "Décrivez la situation dans le motif, sans y joindre de document."
)


class OrientationForm(FlaskForm):
    """A new orientation; its values are checked by orientations.records."""

    prenom = StringField(
        "Prénom de la personne",
        render_kw={"maxlength": records.MAX_PRENOM, "autocomplete": "off"},
    )
    initiale = StringField(
        "Initiale de son nom", render_kw={"maxlength": 2, "autocomplete": "off"}
    )
    contact = StringField(
        "Contact de la personne (facultatif) : téléphone ou adresse e-mail",
        render_kw={"maxlength": records.MAX_CONTACT, "autocomplete": "off"},
    )
    consentement = BooleanField(
        "La personne accepte que ses coordonnées soient transmises"
    )
    motif = TextAreaField(
        "Motif de l'orientation", render_kw={"maxlength": records.MAX_MOTIF, "rows": 6}
    )


@bp.after_request
def private(response):
    """Pages with personal data are never cached, and never tell where they
    were (the signed link is in the URL)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_template_filter("moment_fr")
def moment_fr(value):
    """A stored UTC time → « 26 novembre 2026 à 11 h 05 » (Paris)."""
    try:
        moment = datetime.datetime.fromisoformat(value or "").astimezone(PARIS)
    except (TypeError, ValueError):
        return value or ""
    return f"{date_fr(moment.date().isoformat())} à {moment:%H} h {moment:%M}"


@bp.app_context_processor
def orientation_helpers():
    """`is_prescripteur()` and `pending_orientations()` for the templates."""
    return {
        "is_prescripteur": lambda: accounts.is_prescripteur(g.get("user")),
        "pending_orientations": pending_for_user,
    }


def pending_for_user():
    """Orientations waiting for an answer in the current partner's structures."""
    user = g.get("user")
    if user is None or user["is_admin"] or accounts.is_prescripteur(user):
        return 0
    if "orientations_pending" not in g:
        db = get_db()
        ids = [s["id"] for s in accounts.owned_structures(db, user["id"])]
        g.orientations_pending = sum(records.pending_counts(db, ids).values())
    return g.orientations_pending


def delivery(db, service):
    """How an orientation reaches this service: ("espace", [e-mails]),
    ("courriel", address) or (None, why) when it cannot."""
    if service["statut"] == "ferme":
        return None, "ferme"
    emails = records.recipients(db, service["structure_id"])
    if emails:
        return "espace", emails
    courriel = (service.get("courriel") or "").strip()
    if "@" in courriel and mail.enabled(current_app.config):
        return "courriel", courriel
    return None, "injoignable"


def _form_page(service, form, route, status=200, error=None):
    return render_template(
        "orientations/orienter.html",
        service=service,
        form=form,
        route=route,
        error=error,
        telephone=phone(service.get("telephone")),
        tel=tel_href(service.get("telephone")),
    ), status


@bp.route("/services/<service_id>/orienter", methods=("GET", "POST"))
@prescripteur_required
def orient(service_id):
    """The orientation form of a service, and its sending."""
    db = get_db()
    service = get_service(db, service_id)
    if service is None:
        abort(404)
    form = OrientationForm()
    route, target = delivery(db, service)
    if request.method != "POST":
        return _form_page(service, form, route or target)
    if request.files:
        return _form_page(service, form, route or target, 400, NO_FILES)
    if route is None:  # nothing is stored: the page says to phone
        return _form_page(service, form, target, 409)
    if not form.validate_on_submit():
        return _form_page(service, form, route, 400)
    try:
        orientation_id = records.create(
            db,
            service=service,
            prescripteur_id=g.user["id"],
            values={name: field.data for name, field in form._fields.items()},
            now=clock(),
            courriel_service=target if route == "courriel" else None,
        )
    except OrientationError as exc:
        for name, message in exc.errors.items():
            field = form._fields.get(name, form.motif)
            field.errors = [*field.errors, message]
        return _form_page(service, form, route, 400)
    orientation = records.get(db, orientation_id)
    if route == "courriel" and not notify_service(orientation, target):
        records.discard(db, orientation_id)
        return _form_page(service, form, "echec", 502)
    if route == "courriel":
        how = " par courriel, avec un lien pour répondre."
    elif notify_partners(orientation, target):
        how = " : elle la voit dans son espace partenaire, prévenue par courriel."
    else:  # mail off or failed: the space shows the pending count
        how = " : elle la voit dans son espace partenaire."
    flash(f"Orientation envoyée à {orientation['structure_nom']}{how}")
    return redirect(url_for("orientations.detail", orientation_id=orientation_id), 303)


def notify_partners(orientation, emails):
    """E-mail each partner account of the structure; True if one went."""
    config = current_app.config
    subject, body = messages.to_partner(
        orientation,
        orientation["service_nom"],
        url=url_for(
            "orientations.received_detail",
            orientation_id=orientation["id"],
            _external=True,
        ),
        retention_days=config["ORIENTATION_RETENTION_DAYS"],
    )
    results = [mail.send(config, email, subject, body) for email in emails]
    return any(results)


def notify_service(orientation, courriel):
    """E-mail the service's address with the signed link; True if it went."""
    config = current_app.config
    token = tokens.make(config["SECRET_KEY"], orientation, now=clock())
    subject, body = messages.to_service(
        orientation,
        orientation["service_nom"],
        url=url_for("orientations.link", token=token, _external=True),
        link_days=config["ORIENTATION_LINK_DAYS"],
        retention_days=config["ORIENTATION_RETENTION_DAYS"],
    )
    return mail.send(config, courriel, subject, body)


def notify_prescripteur(orientation):
    """E-mail the prescripteur the new status (failures are only logged)."""
    if not orientation["prescripteur_email"]:
        return False
    subject, body = messages.to_prescripteur(
        orientation,
        orientation["statut"],
        url=url_for(
            "orientations.detail", orientation_id=orientation["id"], _external=True
        ),
    )
    return mail.send(
        current_app.config, orientation["prescripteur_email"], subject, body
    )


@bp.route("/orientations")
@prescripteur_required
def sent():
    """The orientations this prescripteur sent, with their status."""
    rows = records.sent_by(get_db(), g.user["id"])
    return render_template(
        "orientations/envoyees.html", rows=rows, labels=records.LABELS
    )


@bp.route("/orientations/<int:orientation_id>")
@prescripteur_required
def detail(orientation_id):
    """One of its orientations with the history of its statuses (404 when it
    is not one of its own)."""
    db = get_db()
    orientation = records.get(db, orientation_id)
    if orientation is None or orientation["prescripteur_id"] != g.user["id"]:
        abort(404)
    return render_template(
        "orientations/detail.html",
        o=orientation,
        events=records.events(db, orientation_id),
        labels=records.LABELS,
        by=records.BY,
    )


orientation_answers.register(bp, notify_prescripteur)
