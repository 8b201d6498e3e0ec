"""Command-line interface of the orientations (issue 14): the purge."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .db import get_db
from .orientations.purge import purge
from .web.context import clock


@click.command("purge-orientations")
@with_appcontext
@click.option(
    "--jours",
    type=click.IntRange(min=0),
    default=None,
    help="Délai en jours depuis la dernière modification (par défaut le réglage "
    "ORIENTATION_RETENTION_DAYS, 90).",
)
def purge_orientations_command(jours):
    """Anonymise les orientations sans modification depuis le délai de
    conservation : prénom, initiale, contact, motif, réponses et messages sont
    effacés ; le statut et les dates restent pour les statistiques."""
    days = current_app.config["ORIENTATION_RETENTION_DAYS"] if jours is None else jours
    count = purge(get_db(), now=clock(), days=days)
    if count == 0:
        click.echo(f"Aucune orientation à anonymiser (délai : {days} jours).")
    else:
        click.echo(
            f"{count} orientation(s) anonymisée(s) : sans modification depuis plus "
            f"de {days} jours."
        )
