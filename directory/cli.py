"""Command-line interface: `flask --app directory <command>` (thin wrappers)."""

import datetime
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import backup, schema
from .catalogue import duplicates, seed
from .catalogue.closures import ClosureError
from .cli_coverage import couverture_command
from .cli_datainclusion import import_datainclusion_command
from .cli_orientations import purge_orientations_command
from .db import get_db
from .geo.geocoders import make_geocoder
from .geo.places import CommuneError
from .imports import engine
from .imports.engine import ImportRefused
from .opendata.csv_excel import export_rows
from .partners import closures
from .partners.accounts import AccountError, create_user
from .search import engine as search_engine
from .web.context import clock, get_gazetteer, prepare_import


def init_db(db):
    """Create or migrate the schema, then load data/ into an empty database."""
    schema.apply(db)
    data_dir = Path(current_app.config["DATA_DIR"])
    counts = seed.load_reference_data(db, data_dir)
    report = None
    if not db["services"].count:
        data = (data_dir / "services.csv").read_bytes()
        report = prepare_import(
            db, data, "data/services.csv", max_rows=100_000, max_bytes=len(data) + 1
        )
        if report.ok:
            engine.apply(db, report, user="init-db")
    return counts, report


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Crée la base (schéma, communes, besoins) et charge data/services.csv si elle
    est vide. Sans effet sur une base déjà remplie."""
    db = get_db()
    counts, report = init_db(db)
    click.echo(f"Base prête : {current_app.config['DATABASE']}")
    for name, count in counts.items():
        click.echo(f"  {seed.loaded_message(name, count)}")
    if report is not None:
        click.echo(engine.format_report(report, dry_run=False))
        if not report.ok:
            sys.exit(1)


@click.command("import-csv")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dry-run", is_flag=True, help="Vérifie le fichier sans rien enregistrer."
)
@click.option(
    "--structure",
    "structures",
    multiple=True,
    help="N'accepte que les lignes de cette structure (répétable).",
)
@click.option(
    "--utilisateur",
    default="cli",
    show_default=True,
    help="Nom inscrit dans le journal des imports.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Refuse le fichier au-delà de N lignes de services (sans limite par "
    "défaut, ni de taille).",
)
@click.option(
    "--date-du-jour",
    "refresh",
    is_flag=True,
    help="Date toutes les lignes du fichier du jour, même inchangées (comme un "
    "dépôt de partenaire) ; sans cette option, les dates du fichier sont gardées.",
)
def import_csv_command(path, dry_run, structures, utilisateur, max_rows, refresh):
    """Importe un fichier de services (CSV ou XLSX) et affiche le rapport.

    Outil d'import en masse du Département : ni la limite de taille ni celle
    du nombre de lignes du dépôt en ligne ne s'appliquent (--max-rows en fixe
    une). Code de sortie 0 si l'import est appliqué (ou si l'essai à blanc est
    propre), 1 en cas d'erreurs bloquantes : rien n'est alors enregistré."""
    db = get_db()
    schema.apply(db)
    size = Path(path).stat().st_size  # the file is read in chunks, never whole
    bar = None
    # A bar for large files in a terminal (DIRECTORY_PROGRESS=1 forces it).
    if (size > 2_000_000 and sys.stderr.isatty()) or os.environ.get(
        "DIRECTORY_PROGRESS"
    ):
        bar = click.progressbar(
            length=_count_lines(path), label="Vérification", file=sys.stderr
        )
    with bar if bar else _nullcontext():
        report = prepare_import(
            db,
            path,
            Path(path).name,
            allowed_structures=set(structures) or None,
            progress=bar.update if bar else None,
            max_rows=max_rows or sys.maxsize,
            max_bytes=size + 1,
            refresh_date=clock().date() if refresh else None,
            index_ahead=not dry_run,
        )
    if report.ok and not dry_run and report.writes:
        engine.apply(
            db,
            report,
            user=utilisateur,
            structure_id=structures[0] if len(structures) == 1 else None,
        )
    click.echo(engine.format_report(report, dry_run=dry_run))
    sys.exit(0 if report.ok else 1)


def _count_lines(path):
    """Line feeds in a file, counted by chunks (the progress bar's length)."""
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


@click.command("export-csv")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--avec-fermes", is_flag=True, help="Inclut les services fermés.")
def export_csv_command(path, avec_fermes):
    """Exporte les services en CSV pour Excel (séparateur ;, UTF-8 avec BOM)."""
    db = get_db()
    where = None if avec_fermes else "statut != 'ferme'"
    rows = db["services"].rows_where(where, order_by="id")
    rows = list(rows)
    Path(path).write_bytes(export_rows(rows))
    click.echo(f"{len(rows)} services exportés dans {path}.")


@click.command("geocode")
@with_appcontext
@click.option(
    "--missing-only", is_flag=True, help="Seulement les services sans coordonnées."
)
@click.option("--dry-run", is_flag=True, help="Affiche sans enregistrer.")
def geocode_command(missing_only, dry_run):
    """Recalcule les coordonnées des services (hors coordonnées saisies à la main)."""
    db = get_db()
    geocoder = make_geocoder(current_app.config, get_gazetteer(db), db=db)
    where = (
        "latitude is null or longitude is null"
        if missing_only
        else "coalesce(precision_geo, '') != 'manuel' or latitude is null"
    )
    updates, failures = {}, []
    for row in db["services"].rows_where(where, order_by="id"):
        try:
            match = geocoder.locate(row["commune"], row["code_postal"], row["adresse"])
        except CommuneError as exc:
            failures.append(f"{row['id']} : {exc.message}")
            continue
        point = {
            "latitude": match.latitude,
            "longitude": match.longitude,
            "precision_geo": match.precision,
        }
        if any(row[k] != v for k, v in point.items()):
            updates[row["id"]] = point
    import_id = None
    if updates and not dry_run:
        import_id = engine.apply_edits(db, updates, user="geocode", label="géocodage")
    for failure in failures:
        click.echo(f"  ! {failure}")
    verb = "à mettre à jour" if dry_run else "mis à jour"
    click.echo(f"{len(updates)} services {verb}, {len(failures)} non localisés.")
    if import_id:
        click.echo(
            f"Modifications journalisées : import n°{import_id} "
            "(annulable avec undo-import)."
        )
    sys.exit(1 if failures else 0)


@click.command("create-partner")
@with_appcontext
@click.argument("email")
@click.option(
    "--structure",
    "structures",
    multiple=True,
    help="Identifiant de la structure gérée (répétable ; obligatoire sauf --admin).",
)
@click.option("--admin", is_flag=True, help="Compte de l'équipe du Département.")
@click.option(
    "--prescripteur",
    is_flag=True,
    help="Compte prescripteur : oriente des personnes, ne gère aucune structure.",
)
@click.option(
    "--organisme",
    help="Organisme du prescripteur (obligatoire avec --prescripteur), "
    "par exemple « CCAS d'Aurillac ».",
)
def create_partner_command(email, structures, admin, prescripteur, organisme):
    """Crée un compte partenaire rattaché à une ou plusieurs structures, ou un
    compte prescripteur (--prescripteur --organisme « … »).

    Le mot de passe est demandé sans écho dans un terminal, ou lu sur la première
    ligne de l'entrée standard (scripts : printf '%s\\n' "$MDP" | flask …)."""
    if sys.stdin.isatty():
        password = click.prompt(
            "Mot de passe",
            hide_input=True,
            confirmation_prompt="Confirmez le mot de passe",
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        create_user(
            get_db(),
            email,
            password,
            structures,
            admin=admin,
            role="prescripteur" if prescripteur else None,
            organisme=organisme,
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if prescripteur:
        role, attached = "prescripteur", f" ({' '.join(organisme.split())})"
    else:
        role = "administrateur" if admin else "partenaire"
        attached = f" ({', '.join(structures)})" if structures else ""
    click.echo(f"Compte {role} créé pour {email.strip().lower()}{attached}.")


@click.command("undo-import")
@with_appcontext
@click.argument("import_id", type=int)
def undo_import_command(import_id):
    """Annule un import entier et rétablit les fiches telles qu'avant."""
    try:
        count = closures.undo_entry(get_db(), import_id, engine.undo)
    except (ImportRefused, ClosureError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Import n°{import_id} annulé ({count} modifications défaites).")


@click.command("doublons")
@with_appcontext
def doublons_command():
    """Recalcule les groupes de doublons entre sources (un seul import journalisé,
    annulable avec undo-import) ; les décisions de l'équipe sont gardées."""
    db = get_db()
    import_id = duplicates.recompute(db, user="doublons")
    search_engine.after_commit(db)
    hidden = db["services"].count_where("doublon_de is not null")
    click.echo(f"{hidden} service(s) affiché(s) sous un autre de leur groupe.")
    if import_id:
        click.echo(
            f"Modifications journalisées : import n°{import_id} "
            "(annulable avec undo-import)."
        )
    else:
        click.echo("Aucun changement.")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path):
    """Sauvegarde la base dans PATH, même pendant que le site tourne.

    La copie est cohérente (l'API de sauvegarde en ligne de SQLite : l'état
    d'un seul instant, jamais un import à moitié écrit) et vérifiée."""
    try:
        backup.backup(current_app.config["DATABASE"], path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Sauvegarde écrite dans {path}.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def restore_command(path):
    """Restaure la base depuis la sauvegarde PATH, après l'avoir vérifiée.

    Refuse un fichier endommagé, étranger à l'annuaire ou d'une version plus
    récente : la base n'est alors pas modifiée. L'état actuel est d'abord
    sauvegardé à côté de la base, pour pouvoir revenir en arrière."""
    database = Path(current_app.config["DATABASE"])
    keep = None
    if database.exists():
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        keep = database.with_name(f"{database.name}.avant-restauration-{stamp}")
    try:
        if keep is not None:
            backup.backup(database, keep)
        migrated = backup.restore(path, database)
    except backup.BackupError as exc:
        if keep is not None:
            keep.unlink(missing_ok=True)
        raise click.ClickException(
            f"{exc} Restauration refusée : la base n'a pas été modifiée."
        ) from None
    search_engine.after_commit(get_db())
    if migrated:
        click.echo(f"Sauvegarde mise à jour ({len(migrated)} migrations appliquées).")
    click.echo(f"Base restaurée depuis {path}.")
    if keep is not None:
        click.echo(f"L'état précédent est conservé dans {keep}.")


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Reconstruit l'index de recherche plein texte s'il ne correspond plus à la
    base (il suit déjà chaque import, annulation et restauration)."""
    name = search_engine.refresh(get_db())
    click.echo(f"Index de recherche à jour (version {name}).")


COMMANDS = [
    init_db_command,
    import_csv_command,
    import_datainclusion_command,
    export_csv_command,
    geocode_command,
    create_partner_command,
    undo_import_command,
    doublons_command,
    backup_command,
    restore_command,
    reindex_command,
    couverture_command,
    purge_orientations_command,
]


def init_app(app):
    """Register the commands on the app."""
    for command in COMMANDS:
        app.cli.add_command(command)
