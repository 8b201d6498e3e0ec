"""Upload → preview → confirm, views of the partner blueprint (`space.bp`,
which adds them through `register`: this module never imports `space`).

The dry run shows what the file would change; the file waits server-side under
a random token (module `imports.pending`) until « Confirmer », which re-validates and
applies it in one transaction.
"""

import os

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ..db import get_db
from ..imports import pending
from ..imports.engine import refreshed_text
from ..imports.report import format_lines
from ..web.context import clock, prepare_import
from . import accounts
from .auth import login_required
from .forms import TokenForm, UploadForm

SHOWN = 200  # services listed per category in a preview


def dry_run(db, data, filename):
    """The engine's dry run, limited to the structures the user may change."""
    return prepare_import(
        db,
        data,
        filename,
        allowed_structures=accounts.allowed_structures(db, g.user),
        refresh_date=clock().date(),  # sending a row vouches for it today
    )


def show(value):
    return "" if value is None else str(value)


def preview(report):
    """What the preview page shows of a report."""
    if report is None:
        return {"report": None}
    changed = [
        {
            "id": c.record["id"],
            "nom": c.record["nom"],
            "champs": [(f, show(before), show(after)) for f, before, after in c.fields],
        }
        for c in report.changed[:SHOWN]
    ]
    return {
        "report": report,
        "errors": format_lines(report.errors),
        "warnings": format_lines(report.warnings),
        "counts": report.counts,
        "changed": changed,
        "new": [(r["id"], r["nom"]) for r in report.new[:SHOWN]],
        "closed": report.closed[:SHOWN],
        "refreshed": refreshed_text(report) if report.refreshed else None,
        "shown": SHOWN,
    }


def render(form, report=None, token=None, status=200):
    confirm = TokenForm(formdata=None, jeton=token) if token else None
    return (
        render_template(
            "partenaires/depot.html",
            form=form,
            confirm=confirm,
            token=token,
            **preview(report),
        ),
        status,
    )


@login_required
def upload():
    """Upload a file; answer with its report and, when clean, a preview."""
    form = UploadForm()
    if not form.validate_on_submit():
        return render(form, status=400 if request.method == "POST" else 200)
    storage = form.fichier.data
    data = storage.read()
    filename = os.path.basename(storage.filename or "fichier.csv")[:200]
    db = get_db()
    report = dry_run(db, data, filename)
    token = None
    if report.ok and report.writes:
        lifetime = int(current_app.config["UPLOAD_EXPIRY_SECONDS"])
        token = pending.store(
            db, g.user["id"], filename, data, report, clock(), lifetime
        )
    return render(UploadForm(formdata=None), report, token)


@login_required
def confirm():
    """Apply a previewed file (once, whoever clicks first)."""
    form = TokenForm()
    db = get_db()
    outcome = pending.confirm(
        db,
        form.jeton.data,
        g.user,
        clock(),
        lambda data, filename: dry_run(db, data, filename),
    )
    flash(outcome.message)
    if outcome.status == "applied":
        return redirect(url_for("partners.import_detail", import_id=outcome.import_id))
    if outcome.status == "invalid":
        return redirect(url_for("partners.upload"))
    return render(UploadForm(formdata=None), outcome.report, outcome.token)


@login_required
def discard():
    """Abandon a previewed file: nothing is written."""
    form = TokenForm()
    if pending.discard(get_db(), form.jeton.data, g.user["id"]):
        flash("Dépôt abandonné : rien n'a été enregistré.")
    else:
        flash(pending.refusal(get_db(), form.jeton.data, g.user["id"], clock()))
    return redirect(url_for("partners.upload"))


def too_large(exc):
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    flash(
        f"Fichier trop volumineux : la limite est de {limit // (1024 * 1024)} Mo. "
        "Découpez-le en plusieurs fichiers."
    )
    return render(UploadForm(formdata=None), status=413)


def register(bp):
    """Add these views to the partner blueprint (endpoints partners.upload, …)."""
    bp.add_url_rule("/import", view_func=upload, methods=("GET", "POST"))
    bp.add_url_rule("/import/confirmer", view_func=confirm, methods=("POST",))
    bp.add_url_rule("/import/abandonner", view_func=discard, methods=("POST",))
    bp.register_error_handler(RequestEntityTooLarge, too_large)
