"""« Fermetures et horaires exceptionnels » of one service: views of the
partner blueprint (`space.bp` adds them through `register`). A partner declares
for the services of its own structures, an admin for any. Each declaration or
withdrawal is an entry of the imports log (catalogue.closures): listed in
« Historique » and undone there.
"""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from ..catalogue import closure_writes, closures
from ..catalogue.closures import Closure, ClosureError
from ..catalogue.services import get_service
from ..db import get_db
from ..search import closures as layer
from ..search.engine import after_commit
from ..web.context import clock
from .auth import admin_required, login_required
from .edit import editable_service
from .forms import ButtonForm, OpenRadio

GENRE_CHOICES = [
    ("fermeture", "Fermeture temporaire : le service est fermé"),
    ("horaires", "Horaires exceptionnels : d'autres horaires pendant la période"),
    ("complet", "Complet / liste d'attente : le service reste ouvert"),
]


class ClosureForm(FlaskForm):
    """One declaration; its values are checked by catalogue/search.closures."""

    # Value checked by catalogue.closures.check (French message on the field).
    genre = OpenRadio("Type de période", choices=[], default="fermeture")
    debut = StringField("Premier jour", render_kw={"type": "date"})
    fin = StringField("Dernier jour (inclus)", render_kw={"type": "date"})
    motif = StringField(
        "Motif affiché au public (facultatif)",
        render_kw={"maxlength": closures.MAX_MOTIF},
    )
    horaires = StringField("Horaires pendant la période")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.genre.choices = list(GENRE_CHOICES)  # as the other forms: set late


def _today():
    return layer.today_of(clock())


def _page(db, service, form, status=200):
    today = _today()
    periods = closures.of_service(db, service["id"], today)
    rows = [
        {
            "id": p.id,
            "libelle": layer.label(p, today),
            "motif": p.motif,
            "en_cours": p.covers(today),
        }
        for p in periods
    ]
    return render_template(
        "partenaires/fermetures.html",
        service=service,
        periods=rows,
        form=form,
        button=ButtonForm(formdata=None),
        genres=closures.GENRES,
    ), status


@login_required
def service_closures(service_id):
    """GET: the service's current and upcoming periods and the form; POST:
    declare one (audited, undoable from the history)."""
    db = get_db()
    service = editable_service(db, service_id)
    form = ClosureForm()
    if request.method != "POST":
        return _page(db, service, form)
    if not form.validate_on_submit():
        return _page(db, service, form, 400)
    today = _today()
    values, errors = layer.validate(request.form, today=today)
    for name, message in errors.items():
        form[name].errors = [*form[name].errors, message]
    if errors:
        return _page(db, service, form, 400)
    try:
        closure, entry = closure_writes.declare(
            db, service, values, user=g.user["email"], user_id=g.user["id"], today=today
        )
    except ClosureError as exc:
        form.debut.errors = [*form.debut.errors, str(exc)]
        return _page(db, service, form, 409)
    after_commit(db)  # the data version moved: the search index follows now
    flash(
        f"Enregistré : {layer.label(closure, today)} (entrée n°{entry}, "
        "annulable depuis l'historique)."
    )
    return redirect(url_for("partners.service_closures", service_id=service["id"]))


@login_required
def withdraw_closure(service_id, closure_id):
    """Withdraw a period before its end (audited, undoable from the history)."""
    db = get_db()
    service = editable_service(db, service_id)
    closure = closures.get(db, closure_id)  # the token: the blueprint's csrf_guard
    if closure is None or closure.service_id != service["id"]:
        abort(404)
    today = _today()
    if closure.fin < today:
        flash("Cette période est déjà terminée : elle n'a plus d'effet.")
    else:
        try:
            entry = closure_writes.withdraw(
                db, service, closure, user=g.user["email"], today=today
            )
        except ClosureError as exc:
            flash(str(exc))
        else:
            after_commit(db)
            flash(
                f"Retiré : {layer.label(closure, today)} (entrée n°{entry}, "
                "annulable depuis l'historique)."
            )
    return redirect(url_for("partners.service_closures", service_id=service["id"]))


def undo_entry(db, import_id, undo_import):
    """Undo an entry of the imports log: a closure's through this module,
    any other through `undo_import` (imports.engine.undo); returns its count."""
    if closure_writes.is_entry(db, import_id):
        count = closure_writes.undo(db, import_id, today=_today())
        after_commit(db)
        return count
    return undo_import(db, import_id)


@admin_required
def admin_closures():
    """Every current or upcoming period, all services; `?service=<id>` opens
    the page of one service (the admin declares for any)."""
    db = get_db()
    wanted = request.args.get("service", "").strip()[:200]
    error = None
    if wanted:
        if get_service(db, wanted) is not None:
            return redirect(url_for("partners.service_closures", service_id=wanted))
        error = f"Aucun service n'a l'identifiant « {wanted} »."
    today = _today()
    rows = list(
        db.query(
            "select f.*, s.nom, s.structure_nom, s.commune from fermetures f"
            " join services s on s.id = f.service_id"
            " where f.annule_le is null and f.fin >= ? order by f.debut, f.id",
            [today.isoformat()],
        )
    )
    for row in rows:
        row["libelle"] = layer.label(Closure.from_row(row), today)
    return render_template(
        "admin/fermetures.html", rows=rows, error=error, wanted=wanted
    ), (404 if error else 200)


def register_admin(bp):
    """Add the overview to the admin blueprint (admin.closures)."""
    bp.add_url_rule("/fermetures", "closures", view_func=admin_closures)


def register(bp):
    """Add the views to the partner blueprint (partners.service_closures,
    partners.withdraw_closure)."""
    bp.add_url_rule(
        "/services/<service_id>/fermetures",
        view_func=service_closures,
        methods=("GET", "POST"),
    )
    bp.add_url_rule(
        "/services/<service_id>/fermetures/<int:closure_id>/retirer",
        view_func=withdraw_closure,
        methods=("POST",),
    )
