"""« Proposer un service »: the public suggests a missing service; the
Département's team moderates the proposals (partners/proposals.py).

A proposal keeps a keyed hash of the sender's IP address (as « signaler une
erreur » does, web/reports.py), never the address; the proposer's e-mail, when
given, is erased once the proposal is handled.
"""

import datetime

from flask import current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from ..catalogue.text import clean_text
from ..catalogue.times import stamp
from ..db import get_db
from ..geo.places import CommuneError
from . import reports
from .context import clock, get_besoins, get_gazetteer

MAX_PER_HOUR = 5
WINDOW = datetime.timedelta(hours=1)
DEFAULT_FEW = 5  # BESOIN_PEU_FOURNI: below this many services, a need asks for more
STATUSES = {"nouvelle": "nouvelle", "traitee": "traitée", "rejetee": "rejetée"}


def strip(value):
    """Control characters removed and outer spaces trimmed (None stays None)."""
    value = clean_text(value)
    return value.strip() if isinstance(value, str) else value


class ProposalForm(FlaskForm):
    """The public form; needs are filled in by the view."""

    nom = StringField(
        "Nom du service",
        filters=[strip],
        validators=[
            InputRequired("Indiquez le nom du service."),
            Length(
                min=3, max=150, message="Le nom doit compter de 3 à 150 caractères."
            ),
        ],
    )
    structure_nom = StringField(
        "Structure qui le propose (association, mairie, CCAS…)",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=150, message="150 caractères au plus pour la structure."),
        ],
    )
    commune = StringField(
        "Commune",
        filters=[strip],
        validators=[
            InputRequired("Indiquez la commune du service."),
            Length(max=100, message="Nom de commune trop long."),
        ],
    )
    besoin = SelectField(
        "Besoin auquel il répond",
        validators=[InputRequired("Choisissez le besoin auquel il répond.")],
        validate_choice=False,  # checked in validate_besoin, with a French message
    )
    description = TextAreaField(
        "Que propose ce service, et à qui ?",
        filters=[strip],
        validators=[
            InputRequired("Décrivez le service en quelques mots."),
            Length(
                min=10,
                max=2000,
                message="La description doit compter de 10 à 2 000 caractères.",
            ),
        ],
    )
    contact = StringField(
        "Comment joindre le service (téléphone, e-mail ou site web)",
        filters=[strip],
        validators=[
            InputRequired("Indiquez un moyen de joindre le service."),
            Length(
                min=5, max=300, message="Le contact doit compter de 5 à 300 caractères."
            ),
        ],
    )
    courriel = EmailField(
        "Votre adresse e-mail (facultatif)",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message="Adresse e-mail trop longue."),
            Email(
                message="Adresse e-mail invalide (exemple : nom@exemple.fr).",
                check_deliverability=False,
            ),
        ],
    )
    # Left empty by people; bots that fill every field are thanked and ignored.
    site_internet = StringField("Ne remplissez pas ce champ", filters=[strip])

    def validate_besoin(self, field):
        if field.data not in dict(self.besoin.choices):
            raise ValidationError("Choisissez un besoin dans la liste.")

    def validate_commune(self, field):
        try:
            match = get_gazetteer(get_db()).resolve(field.data)
        except CommuneError as exc:
            hint = (
                f" Vouliez-vous dire « {exc.suggestion} » ?" if exc.suggestion else ""
            )
            raise ValidationError(exc.message + hint) from None
        field.data = f"{match.commune.nom} ({match.commune.code_insee})"


def recent_count(db, address_hash, now):
    """Proposals sent from this hash during the hour before `now`."""
    return reports.sent_since(db, "propositions", address_hash, stamp(now - WINDOW))


def store(db, form, address_hash, now):
    """Save a new proposal; returns its id."""
    table = db["propositions"]
    with db.atomic():
        table.insert(
            {
                "nom": form.nom.data,
                "structure_nom": form.structure_nom.data or None,
                "commune": form.commune.data,
                "besoins": form.besoin.data,
                "description": form.description.data,
                "contact": form.contact.data,
                "courriel": form.courriel.data or None,
                "statut": "nouvelle",
                "cree_le": stamp(now),
                "adresse_ip_hash": address_hash,
            }
        )
    return table.last_pk


def few_services():
    """BESOIN_PEU_FOURNI: the number of services under which a need asks for more."""
    return current_app.config.get("BESOIN_PEU_FOURNI", DEFAULT_FEW)


def propose():
    """GET: the form (need and commune pre-filled from the search); POST: store."""
    db = get_db()
    besoins = get_besoins(db)
    form = ProposalForm()
    form.besoin.choices = [("", "— Choisissez —"), *besoins.labels.items()]
    if request.method == "GET":
        if request.args.get("besoin") in besoins.labels:
            form.besoin.data = request.args["besoin"]
        form.commune.data = strip(request.args.get("commune", ""))[:100]
        return render_template("public/proposer.html", form=form)
    now = clock()
    sender = reports.ip_hash(request.remote_addr, current_app.config["SECRET_KEY"])
    if recent_count(db, sender, now) >= MAX_PER_HOUR:
        return render_template("public/proposer.html", form=form, limited=True), 429
    if not form.validate_on_submit():
        return render_template("public/proposer.html", form=form), 400
    if not form.site_internet.data:
        store(db, form, sender, now)
    return redirect(url_for("public.proposal_sent"), 303)


def proposal_sent():
    """The thank-you page."""
    return render_template("public/proposer.html", sent=True)


def register(bp):
    """Add /proposer and /proposer/merci to the public blueprint, and
    `peu_fourni` (BESOIN_PEU_FOURNI) to the templates."""
    bp.add_url_rule("/proposer", "propose", propose, methods=("GET", "POST"))
    bp.add_url_rule("/proposer/merci", "proposal_sent", proposal_sent)
    bp.app_context_processor(lambda: {"peu_fourni": few_services()})
