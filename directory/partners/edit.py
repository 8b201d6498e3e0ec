"""Edit one fiche in a form: views of the partner blueprint (`space.bp` adds
them through `register`). A partner edits the services of its own structures,
an admin any service. The values are validated as an import row, and the
change is written as a one-row import: audited, listed in « Historique »,
undoable there.
"""

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from ..catalogue.services import get_service, split, split_items
from ..catalogue.vocabulary import (
    FRAIS,
    MODALITES,
    ORIENTATION_ACCOMPAGNATEUR,
    ORIENTATION_BENEFICIAIRE,
    PUBLICS,
    STATUTS,
)
from ..db import get_db
from ..geo.geocoders import make_geocoder
from ..imports import engine
from ..imports.edit import issues_by_column, prepare_edit
from ..imports.engine import ImportRefused
from ..imports.validate import RowValidator
from ..schema import SERVICE_COLUMNS
from ..web.context import clock, get_besoins, get_gazetteer
from . import accounts
from .auth import login_required
from .forms import ServiceForm

LIST_FIELDS = (
    "besoins",
    "publics",
    "modalites_acces",
    "modes_orientation_beneficiaire",
    "modes_orientation_accompagnateur",
)
# The import columns the form edits (the others keep their stored value).
FIELDS = tuple(
    name for name in ServiceForm.__dict__ if name in SERVICE_COLUMNS and name != "id"
)
PRECISIONS = {
    "manuel": "coordonnées saisies à la main",
    "adresse": "adresse localisée",
    "commune": "centre de la commune (aucune adresse localisée)",
}


def editable_service(db, service_id):
    """The service if the user may edit it: 404 when unknown, 403 when not its own."""
    service = get_service(db, service_id)
    if service is None:
        abort(404)
    if not accounts.can_edit_service(db, g.user, service):
        abort(403)
    return service


def stored_values(service):
    """The form's values from the stored row (lists as lists of slugs)."""
    values = {
        name: split(service[name]) if name in LIST_FIELDS else service[name]
        for name in FIELDS
    }
    values["justificatifs"] = "\n".join(split_items(service["justificatifs"]))
    values["version"] = service["modifie_le"]
    return values


def make_form(db, service, *, stored=False):
    """The form with its choices: what was posted, or the stored values."""
    if request.method == "POST" and not stored:
        form = ServiceForm()
    else:
        form = ServiceForm(formdata=None, data=stored_values(service))
    form.besoins.choices = list(get_besoins(db).labels.items())
    form.publics.choices = list(PUBLICS.labels.items())
    form.modalites_acces.choices = list(MODALITES.labels.items())
    for name, choices in (
        ("modes_orientation_beneficiaire", ORIENTATION_BENEFICIAIRE),
        ("modes_orientation_accompagnateur", ORIENTATION_ACCOMPAGNATEUR),
    ):
        form[name].choices = list(choices.labels.items())
    form.frais.choices = list(FRAIS.labels.items())
    form.statut.choices = list(STATUTS.labels.items())
    return form


def form_values(form):
    """The submitted cells, as an import row writes them."""
    values = {}
    for name in FIELDS:
        data = form[name].data
        if name in LIST_FIELDS:
            values[name] = ", ".join(data or [])
        else:
            values[name] = "" if data is None else str(data)
    return values


def validate(db, service, form):
    """The one-row report of the submitted form (nothing written)."""
    config = current_app.config
    besoins = get_besoins(db)
    today = clock().date()
    validator = RowValidator(
        besoins,
        make_geocoder(config, get_gazetteer(db), db=db),
        territory=config["TERRITOIRE"],
        today=today,
    )
    return prepare_edit(
        service,
        form_values(form),
        validator=validator,
        besoins=besoins,
        today=today,
        label=f"modification de la fiche « {service['nom']} »",
    )


def show_issues(form, report):
    """Put each French message next to its field; the rest go on top."""
    general = []
    for column, texts in issues_by_column(report).items():
        if column in FIELDS:
            form[column].errors = [*form[column].errors, *texts]
        else:
            general.extend(texts)
    return general


@login_required
def edit_service(service_id):
    """GET: the fiche's current values; POST: validate as an import, then write
    as a one-row import (undoable from the history)."""
    db = get_db()
    service = editable_service(db, service_id)
    form = make_form(db, service)
    general, status = [], 200
    if form.validate_on_submit():
        if form.version.data != (service["modifie_le"] or ""):
            general.append(
                "Cette fiche a été modifiée entre-temps (par un import ou une autre "
                "personne) : voici ses valeurs actuelles, refaites vos changements."
            )
            form = make_form(db, service, stored=True)
            status = 409
        else:
            report = validate(db, service, form)
            general = show_issues(form, report)
            if report.ok:
                return save(db, service, report)
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template(
        "partenaires/service_form.html",
        form=form,
        service=service,
        general=general,
        precision=PRECISIONS.get(service["precision_geo"] or "commune"),
    ), status


def save(db, service, report):
    """Write a clean report, or say that nothing changed."""
    for warning in report.warnings:
        flash(f"Attention : {warning.text}")
    if not report.changed:
        flash(f"« {service['nom']} » : aucune modification, rien n'a été enregistré.")
        return redirect(url_for("partners.edit_service", service_id=service["id"]))
    try:
        import_id = engine.apply(
            db, report, user=g.user["email"], structure_id=service["structure_id"]
        )
    except ImportRefused as exc:
        flash(str(exc))
        return redirect(url_for("partners.edit_service", service_id=service["id"]))
    flash(
        f"Fiche « {report.changed[0].record['nom']} » enregistrée (modification "
        f"n°{import_id}, annulable depuis l'historique)."
    )
    return redirect(url_for("partners.import_detail", import_id=import_id))


def register(bp):
    """Add the edit view to the partner blueprint (endpoint partners.edit_service)."""
    bp.add_url_rule(
        "/services/<service_id>/modifier",
        view_func=edit_service,
        methods=("GET", "POST"),
    )
