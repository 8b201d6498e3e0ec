"""`flask import-datainclusion`: data·inclusion services through the import
engine (thin: the core reads, maps and diffs; this parses options and prints)."""

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import schema
from .db import get_db
from .geo.geocoders import make_geocoder
from .imports import engine
from .imports.external import prepare_external
from .sources.datainclusion import load_api, load_files
from .sources.mapping import load_tables
from .web.context import clock, get_besoins, get_gazetteer


@click.command("import-datainclusion")
@with_appcontext
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--api",
    "use_api",
    is_flag=True,
    help="Lit l'API data·inclusion (DATA_INCLUSION_URL, jeton DATA_INCLUSION_TOKEN).",
)
@click.option(
    "--sources",
    default=None,
    help="Ne garde que ces sources, séparées par des virgules (dora,soliguide).",
)
@click.option("--dry-run", is_flag=True, help="Vérifie sans rien enregistrer.")
@click.option(
    "--utilisateur",
    default="cli",
    show_default=True,
    help="Nom inscrit dans le journal des imports.",
)
def import_datainclusion_command(paths, use_api, sources, dry_run, utilisateur):
    """Importe les services data·inclusion du territoire (API ou fichiers).

    FILE… : exports open data (structures.json, services.json, JSON lines, CSV)
    ou réponses de l'API enregistrées. Les services hors du territoire ou sans
    besoin correspondant sont laissés de côté (le rapport dit combien et
    pourquoi). Code de sortie 0 si l'import est appliqué (ou si l'essai à blanc
    est propre), 1 si les données sont illisibles : rien n'est alors enregistré."""
    config = current_app.config
    if use_api == bool(paths):
        raise click.UsageError("Indiquez soit --api, soit un ou plusieurs fichiers.")
    token = config.get("DATA_INCLUSION_TOKEN")
    if use_api and not token:
        click.echo(
            "Jeton absent : définissez la variable d'environnement "
            "DATA_INCLUSION_TOKEN (ou le réglage du même nom) pour lire l'API.",
            err=True,
        )
        sys.exit(1)
    db = get_db()
    schema.apply(db)
    wanted = {s.strip() for s in (sources or "").split(",") if s.strip()} or None
    options = {
        "territory": config["TERRITOIRE"],
        "gazetteer": get_gazetteer(db),
        "sources": wanted,
        "today": clock().date(),
        "tables": load_tables(config["DATA_DIR"]),
    }
    for unknown in sorted((wanted or set()) - set(options["tables"].sources)):
        click.echo(
            f"Attention : source « {unknown} » inconnue de "
            "data/datainclusion/sources.csv (sources connues : "
            + ", ".join(sorted(options["tables"].sources))
            + ").",
            err=True,
        )
    if use_api:
        with _ProgressBars() as bars:
            batch = load_api(
                config["DATA_INCLUSION_URL"],
                token,
                progress=bars.update,
                page_size=config["DATA_INCLUSION_PAGE_SIZE"],
                timeout=config["DATA_INCLUSION_TIMEOUT"],
                retries=config["DATA_INCLUSION_RETRIES"],
                backoff=config["DATA_INCLUSION_BACKOFF"],
                max_page_bytes=config["DATA_INCLUSION_MAX_PAGE_BYTES"],
                **options,
            )
    else:
        batch = load_files(paths, **options)
    if batch.blocked:
        click.echo(f"Lecture de {batch.origin} impossible :")
        for issue in batch.issues:
            click.echo(f"  - {issue.text}")
        click.echo("Aucune modification enregistrée.")
        sys.exit(1)
    total = len(batch.rows)
    # A bar for large batches in a terminal (DIRECTORY_PROGRESS=1 forces it).
    show = (total > 2000 and sys.stderr.isatty()) or os.environ.get(
        "DIRECTORY_PROGRESS"
    )
    with _ProgressBars() as bars:
        report = prepare_external(
            db,
            batch.take_rows(),
            origin=batch.origin,
            sources=batch.sources,
            seen_ids=batch.seen_ids,
            geocoder=make_geocoder(config, options["gazetteer"], db=db),
            besoins=get_besoins(db),
            territory=config["TERRITOIRE"],
            today=options["today"],
            progress=(lambda n: bars.add("vérification", n, total)) if show else None,
        )
    report.issues[:0] = batch.issues  # the reader's warnings first
    if report.ok and not dry_run and report.writes:
        engine.apply(db, report, user=utilisateur)
    click.echo(engine.format_report(report, dry_run=dry_run))
    if batch.left_out:
        click.echo(batch.left_out_text())
    sys.exit(0 if report.ok else 1)


class _ProgressBars:
    """One click progress bar per kind of record, on stderr."""

    def __init__(self):
        self.bars = {}

    def update(self, kind, done, total):
        if kind not in self.bars:
            bar = click.progressbar(
                length=total or done or 1,
                label=f"data·inclusion, {kind}",
                file=sys.stderr,
            )
            self.bars[kind] = [bar.__enter__(), 0]
        bar, before = self.bars[kind]
        bar.update(done - before)
        self.bars[kind][1] = done

    def add(self, kind, count, total):
        """`count` more records of `kind` done."""
        done = self.bars[kind][1] if kind in self.bars else 0
        self.update(kind, done + count, total)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for bar, _ in self.bars.values():
            bar.__exit__(None, None, None)
        return False
