"""`flask couverture`: the access-gap summary in the terminal (issue 15); thin:
the core (directory/coverage) reads and computes, this parses and prints."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .coverage.analysis import Settings
from .coverage.load import load
from .db import get_db
from .web.coverage_present import csv_body, table_rows


def percent(share):
    return f"{share * 100:.0f} %".rjust(5)


def thousands(number):
    return f"{number:,}".replace(",", " ")


@click.command("couverture")
@with_appcontext
@click.option(
    "--besoin",
    "besoins",
    multiple=True,
    help="Un besoin (identifiant, ex. mobilite) : liste aussi ses communes au-delà "
    "du seuil. Répétable.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Écrit le tableau communes × besoins dans ce fichier CSV (Excel).",
)
def couverture_command(besoins, csv_path):
    """Où l'aide manque : pour chaque besoin, la part des habitants du territoire
    à moins de 10, 20 et 30 km du service le plus proche, et les communes au-delà
    du seuil (distance à vol d'oiseau × facteur routier, une approximation)."""
    db = get_db()
    config = current_app.config
    settings = Settings.from_config(config)
    labels = {r["slug"] for r in db.query("select slug from besoins")}
    unknown = [b for b in besoins if b not in labels]
    if unknown:
        raise click.BadParameter(
            f"besoin inconnu : {', '.join(unknown)} ; besoins : "
            + ", ".join(sorted(labels)),
            param_hint="--besoin",
        )
    coverage = load(db, config["TERRITOIRE"], settings)
    inhabitants = int(coverage.population.sum())
    click.echo(
        f"Territoire {config['TERRITOIRE']} : {thousands(len(coverage.communes))} "
        f"communes, {thousands(inhabitants)} habitants, "
        f"{thousands(len(coverage.services))} services. Distance = vol d'oiseau × "
        f"{settings.road_factor:g} ; temps à {settings.speed_kmh:g} km/h."
    )
    bounds = settings.classes_km
    click.echo(
        "Besoin".ljust(42)
        + "".join(f"≤ {b} km".rjust(8) for b in bounds)
        + f"   au-delà de {settings.threshold_km:g} km"
    )
    for row in coverage.summary():
        shares = "".join(percent(row["part_a"][b]).rjust(8) for b in bounds)
        click.echo(
            row["libelle"][:41].ljust(42)
            + shares
            + f"   {row['communes_au_dela']} communes, "
            f"{thousands(row['habitants_au_dela'])} habitants"
        )
    for need in besoins:
        far = coverage.beyond(need)
        click.echo(
            f"\n{coverage.labels[need]} : {len(far)} communes au-delà de "
            f"{settings.threshold_km:g} km"
        )
        for row in far:
            where = (
                f"{row['km']:.1f} km, {row['minutes']} min ({row['service_nom']}, "
                f"{row['service_commune']})"
                if row["km"] is not None
                else "aucun service accessible"
            )
            click.echo(
                f"  {row['commune']} ({row['code_insee']}), "
                f"{thousands(row['population'])} hab. : {where}"
            )
    if csv_path:
        rows = [  # the same table as /couverture.csv, every need
            {**row, "besoin": need}
            for need in coverage.needs
            for row in table_rows(coverage, need)
        ]
        Path(csv_path).write_bytes(csv_body(coverage, None, rows))
        click.echo(f"\nTableau écrit dans {csv_path} ({thousands(len(rows))} lignes).")
