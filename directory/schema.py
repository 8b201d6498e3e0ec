"""Schema as code: sqlite-utils migrations. Append only; never edit a merged step."""

from sqlite_utils import Migrations

from .columns import (  # noqa: F401 - the column sets are read from here
    ADDED_BY_M007,
    ADDED_BY_M011,
    DERIVED_COLUMNS,
    FTS_COLUMNS,
    FTS_TOKENIZE,
    M007_COLUMNS,
    PROVENANCE_COLUMNS,
    SERVICE_COLUMNS,
)

migrations = Migrations("directory")


@migrations()
def m001_initial(db):
    """Services, needs, structures, gazetteer, imports and audit trail."""
    later = {*ADDED_BY_M007, *ADDED_BY_M011}
    first = {c: kind for c, kind in SERVICE_COLUMNS.items() if c not in later}
    db["services"].create(
        {**first, **DERIVED_COLUMNS},
        pk="id",
        not_null={"nom", "structure_id", "statut"},
    )
    db["services"].create_index(["structure_id"])
    db["services"].create_index(["code_insee"])
    db["services"].create_index(["statut", "latitude", "longitude"])
    db["services"].enable_fts(FTS_COLUMNS, tokenize=FTS_TOKENIZE, create_triggers=True)
    db["service_besoins"].create(
        {"service_id": str, "besoin": str}, pk=("service_id", "besoin")
    )
    db["service_besoins"].create_index(["besoin", "service_id"])
    db["besoins"].create(
        {
            "slug": str,
            "libelle": str,
            "description": str,
            "ordre": int,
            "couleur": str,
            "icone": str,
            "thematique_defaut": str,
            "thematiques_couvertes": str,
        },
        pk="slug",
    )
    db["structures"].create(
        {"id": str, "nom": str, "actif": int, "cree_le": str, "modifie_le": str},
        pk="id",
        defaults={"actif": 1},
    )
    db["communes"].create(
        {
            "code_insee": str,
            "nom": str,
            "departement": str,
            "codes_postaux": str,
            "latitude": float,
            "longitude": float,
            "population": int,
            "statut": str,
            "code_insee_actuel": str,
        }
    )
    db["communes"].create_index(["code_insee"])
    db["communes"].create_index(["departement"])
    db["users"].create(
        {
            "id": int,
            "email": str,
            "password_hash": str,
            "is_admin": int,
            "actif": int,
            "cree_le": str,
        },
        pk="id",
        defaults={"is_admin": 0, "actif": 1},
    )
    db["users"].create_index(["email"], unique=True)
    db["user_structures"].create(
        {"user_id": int, "structure_id": str}, pk=("user_id", "structure_id")
    )
    db["imports"].create(
        {
            "id": int,
            "utilisateur": str,
            "structure_id": str,
            "fichier": str,
            "sha256": str,
            "taille": int,
            "cree_le": str,
            "lignes": int,
            "nouveaux": int,
            "modifies": int,
            "inchanges": int,
            "fermes": int,
            "statut": str,
            "annule_le": str,
        },
        pk="id",
    )
    db["changes"].create(
        {
            "id": int,
            "import_id": int,
            "service_id": str,
            "action": str,
            "champ": str,
            "avant": str,
            "apres": str,
        },
        pk="id",
    )
    db["changes"].create_index(["import_id"])
    db["changes"].create_index(["service_id"])
    db["geocode_cache"].create(
        {"cle": str, "reponse": str, "cree_le": str}, pk="cle", if_not_exists=True
    )


@migrations()
def m002_search_indexes(db):
    """Indexes for "open now" (distinct hours), sorting and cache validators."""
    db["services"].create_index(["horaires"])
    db["services"].create_index(["modifie_le"])
    db["services"].create_index(["nom"])


@migrations()
def m003_lean_indexes(db):
    """Fewer, smaller b-trees to write on a large import.

    service_besoins becomes one WITHOUT ROWID b-tree keyed (besoin, service_id):
    the search filters by need, and a service's rows are found by probing its
    needs. Dropped, as no query uses them: `nom` (results sort with NOCASE),
    `modifie_le` (cache validators read the imports log) and `code_insee`.
    """
    db.execute(
        "create table service_besoins_new (besoin text, service_id text,"
        " primary key (besoin, service_id)) without rowid"
    )
    db.execute(
        "insert into service_besoins_new select besoin, service_id from service_besoins"
    )
    db.execute("drop table service_besoins")
    db.execute("alter table service_besoins_new rename to service_besoins")
    for index in ("nom", "modifie_le", "code_insee"):
        db.execute(f"drop index if exists idx_services_{index}")


@migrations()
def m004_signalements(db):
    """Error reports sent by the public from a fiche, for the Département's team."""
    db["signalements"].create(
        {
            "id": int,
            "service_id": str,
            "message": str,
            "courriel": str,
            "statut": str,
            "cree_le": str,
            "adresse_ip_hash": str,
        },
        pk="id",
        not_null={"service_id", "message", "statut", "cree_le"},
        defaults={"statut": "nouveau"},
    )
    db["signalements"].create_index(["adresse_ip_hash", "cree_le"])
    db["signalements"].create_index(["statut", "cree_le"])


@migrations()
def m005_partners(db):
    """Partner space: pending uploads (preview → confirm) and failed logins."""
    db["depots"].create(
        {
            "token": str,
            "user_id": int,
            "fichier": str,
            "contenu": bytes,
            "apercu": str,
            "cree_le": str,
            "expire_le": str,
            "statut": str,
            "import_id": int,
        },
        pk="token",
        not_null={"user_id", "fichier", "cree_le", "expire_le", "statut"},
        defaults={"statut": "en-attente"},
    )
    db["depots"].create_index(["user_id", "cree_le"])
    db["connexions_echouees"].create({"cle": str, "cree_le": str})
    db["connexions_echouees"].create_index(["cle", "cree_le"])


@migrations()
def m006_besoins_synonymes(db):
    """Needs: the synonyms a text search expands into the need, and related needs."""
    db["besoins"].add_column("synonymes", str)
    db["besoins"].add_column("besoins_proches", str)


@migrations()
def m007_sources(db):
    """Sources meet: provenance of imported rows, duplicate clusters, conflicts
    between a source and a partner's correction, « not duplicates » remembered,
    the public's service proposals, and the kind of each import."""
    for name, kind in M007_COLUMNS:
        db["services"].add_column(name, kind)
    # The id of the service shown in place of this one (same place, another
    # source); NULL for a service shown in search, map and exports.
    db["services"].add_column("doublon_de", str)
    db["imports"].add_column("genre", str)  # NULL: CSV/fiche; 'datainclusion', …
    db["conflits"].create(
        {
            "id": int,
            "import_id": int,
            "service_id": str,
            "champ": str,
            "valeur_source": str,
            "valeur_locale": str,
            "statut": str,
            "cree_le": str,
        },
        pk="id",
        not_null={"import_id", "service_id", "champ", "statut", "cree_le"},
        defaults={"statut": "ouvert"},
    )
    db["conflits"].create_index(["service_id"])
    db["conflits"].create_index(["import_id"])
    db["doublons_refuses"].create(
        {"service_a": str, "service_b": str, "utilisateur": str, "cree_le": str},
        pk=("service_a", "service_b"),
    )
    db["propositions"].create(
        {
            "id": int,
            "nom": str,
            "structure_nom": str,
            "commune": str,
            "besoins": str,
            "description": str,
            "contact": str,
            "courriel": str,
            "statut": str,
            "cree_le": str,
            "adresse_ip_hash": str,
        },
        pk="id",
        not_null={"nom", "description", "statut", "cree_le"},
        defaults={"statut": "nouvelle"},
    )
    db["propositions"].create_index(["statut", "cree_le"])
    db["propositions"].create_index(["adresse_ip_hash", "cree_le"])


@migrations()
def m008_fts_update_of_text(db):
    """The full-text index follows an update only when an indexed column is set:
    a status, a date or a duplicate link changes no text (and re-indexing each
    such row made a large import's closing and clustering slow)."""
    columns = ", ".join(f'"{c}"' for c in FTS_COLUMNS)
    old = ", ".join(f'old."{c}"' for c in FTS_COLUMNS)
    new = ", ".join(f'new."{c}"' for c in FTS_COLUMNS)
    db.execute("drop trigger if exists services_au")
    db.execute(
        f"create trigger services_au after update of {columns} on services begin\n"
        f"  insert into services_fts (services_fts, rowid, {columns}) "
        f"values ('delete', old.rowid, {old});\n"
        f"  insert into services_fts (rowid, {columns}) values (new.rowid, {new});\n"
        "end"
    )


@migrations()
def m009_doublon_de_index(db):
    """The other sources of a place (its fiche, the « Doublons » page) are
    found by `doublon_de` without reading every service."""
    db["services"].create_index(["doublon_de"], if_not_exists=True)


@migrations()
def m010_drop_fts(db):
    """The search reads the Tantivy index (search/engine.py) since issue 12:
    SQLite's FTS5 copy of the texts, its triggers and its bulk fill on every
    import go (a third of the database file, a second of a 100 000-row import)."""
    for trigger in ("services_ai", "services_au", "services_ad"):
        db.execute(f"drop trigger if exists {trigger}")
    db.execute("drop table if exists services_fts")


@migrations()
def m011_modes_orientation(db):
    """How a person, and a professional for a person, applies to a service
    (issue 13): data·inclusion's modes d'orientation, partner-editable."""
    for name in ADDED_BY_M011:
        db["services"].add_column(name, str)


@migrations()
def m012_fermetures(db):
    """Temporary closures, exceptional hours and « complet » periods declared
    by a partner or the admin (issue 13). `fin` is inclusive; a period ends by
    itself (nothing deletes it), `annule_le` is set when it is withdrawn."""
    db["fermetures"].create(
        {
            "id": int,
            "service_id": str,
            "genre": str,  # 'fermeture' | 'horaires' | 'complet'
            "debut": str,  # ISO date
            "fin": str,  # ISO date, inclusive
            "motif": str,  # shown: « fermeture estivale », « travaux »…
            "horaires": str,  # OSM opening_hours of the period ('horaires' only)
            "cree_par": int,  # users.id
            "cree_le": str,
            "annule_le": str,
        },
        pk="id",
        not_null={"service_id", "genre", "debut", "fin", "cree_le"},
    )
    db["fermetures"].create_index(["service_id", "fin"])
    db["fermetures"].create_index(["fin"])  # what a search reads: not yet ended


@migrations()
def m013_orientations(db):
    """Referrals (issue 14): a prescripteur (social worker) refers a person to a
    service; the receiving structure answers. Personal data is minimal and
    anonymised 90 days after the last change (`anonymise_le`)."""
    db["users"].add_column("role", str)  # NULL or 'partenaire'; 'prescripteur'
    db["users"].add_column("organisme", str)  # a prescripteur's employer, shown
    db["orientations"].create(
        {
            "id": int,
            "service_id": str,
            "structure_id": str,  # the receiving structure (the service's)
            "prescripteur_id": int,  # users.id
            "prenom": str,  # the person's first name
            "initiale": str,  # and the initial of the last name
            "contact": str,  # phone or e-mail, only with consent
            "consentement_le": str,  # when the person's consent was recorded
            "motif": str,  # free text, 1 000 characters at most
            "statut": str,  # envoyee | acceptee | refusee | prise-en-charge
            "reponse": str,  # the structure's message (refusal…)
            "courriel_service": str,  # where the signed link was sent
            "cree_le": str,
            "modifie_le": str,  # last change: the purge counts from it
            "anonymise_le": str,
        },
        pk="id",
        not_null={"service_id", "structure_id", "prescripteur_id", "statut"},
    )
    db["orientations"].create_index(["prescripteur_id", "modifie_le"])
    db["orientations"].create_index(["structure_id", "statut"])
    db["orientations"].create_index(["modifie_le"])
    db["orientation_evenements"].create(
        {
            "id": int,
            "orientation_id": int,
            "statut": str,  # the status it moved to
            "message": str,  # personal data: emptied by the purge
            "par": str,  # prescripteur | partenaire | lien | admin
            "user_id": int,  # NULL for an answer through the signed link
            "le": str,
        },
        pk="id",
    )
    db["orientation_evenements"].create_index(["orientation_id"])


@migrations()
def m014_recherches(db):
    """What people search (issue 15), anonymous by design: counts per hour,
    commune, needs and « found something or not »; never the text typed, an
    address, an IP, a cookie or any identifier."""
    db["recherches"].create(
        {
            "heure": str,  # AAAA-MM-JJTHH:00, Paris time, rounded down
            "code_insee": str,  # the commune searched (or of the clicked point); ''
            "besoins": str,  # the needs chosen, sorted, ', '-joined; ''
            "resultats": int,  # 1: at least one service found; 0: none
            "nombre": int,  # how many such searches in that hour
        },
        pk=("heure", "code_insee", "besoins", "resultats"),
        not_null={"heure", "code_insee", "besoins", "resultats", "nombre"},
    )


PAGE_SIZE = 16384  # bigger pages: ~15 % faster large imports (rows of ~1 KB)


def apply(db):
    """Apply pending migrations (idempotent) and switch the file to WAL."""
    if not db.table_names():  # the page size is fixed when the first table is made
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    migrations.apply(db)
    db.enable_wal()
