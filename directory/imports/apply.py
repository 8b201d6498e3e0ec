"""Writing imports with their audit trail: apply (ONE transaction), field
edits, and undo of a whole import. No Flask imports."""

import json
import time
from contextlib import contextmanager

from ..catalogue.bulk import cycles_unchecked
from ..catalogue.closure_writes import LOG_GENRE as CLOSURE_LOG
from ..catalogue.duplicates import update_clusters
from ..catalogue.services import MULTI
from ..catalogue.times import now
from ..catalogue.transactions import log_entry, writing
from ..search.engine import after_commit
from .inserts import attached, bulk_insert, insert_services, insert_spooled
from .records import (
    CHUNK,
    RECORD_COLUMNS,
    RESTORE_PREFIX,
    ImportRefused,
    fetch_services,
)

NEEDS = RECORD_COLUMNS.index("besoins")
SOURCE = "datainclusion"  # imports.genre of an external source's import
# imports.genre of the admin taking a source's value in a conflict: the field
# belongs to the source again (module `conflicts`).
TAKEN = "pris-source"
SOURCE_GENRES = frozenset({SOURCE, TAKEN})
CONFLICT_PREFIX = "conflit:"  # changes.service_id of a conflict's status change
CHANGES_SQL = (
    "insert into changes (import_id, service_id, action, champ, avant, apres)"
    " values (?, ?, ?, ?, ?, ?)"
)


@cycles_unchecked()  # many records alive, no cycle among them
def apply(db, report, *, user, structure_id=None):
    """Write a clean report in ONE transaction and log it; returns the import id."""
    if not report.ok:
        raise ImportRefused(
            "Import refusé : le fichier contient des erreurs bloquantes."
        )
    clock = time.perf_counter()
    stamp = now()
    changes = []
    # A spooled report's scratch file is attached first (not within a
    # transaction), detached after the commit.
    with _taken(report) as child, attached(db, report.new) as spooled, writing(db):
        import_id = (
            db["imports"]
            .insert(
                {
                    "utilisateur": user,
                    "structure_id": structure_id,
                    "fichier": report.filename,
                    "sha256": report.sha256,
                    "taille": report.size,
                    "cree_le": stamp,
                    "lignes": report.rows_read,
                    **report.counts,
                    "statut": "applique",
                    "annule_le": None,
                    "genre": report.genre,
                }
            )
            .last_pk
        )
        _apply_structures(db, report.structures, import_id, stamp, changes)
        sourced = report.genre == SOURCE
        for change in report.changed:
            fields = list(change.fields) + [
                ("modifie_le", change.old["modifie_le"], stamp)
            ]
            if sourced:
                fields.append(("importe_le", change.old["importe_le"], stamp))
            if change.old["besoins_libelles"] != change.record["besoins_libelles"]:
                fields.append(
                    (
                        "besoins_libelles",
                        change.old["besoins_libelles"],
                        change.record["besoins_libelles"],
                    )
                )
            db["services"].update(change.record["id"], {f: a for f, _, a in fields})
            changes.extend(
                (
                    import_id,
                    change.record["id"],
                    "modification",
                    name,
                    json.dumps(before, ensure_ascii=False),
                    json.dumps(after, ensure_ascii=False),
                )
                for name, before, after in fields
            )
        # Rows sent unchanged: the sender vouches for them today (audited).
        db.conn.executemany(
            "update services set date_maj = ?, modifie_le = ? where id = ?",
            ((report.refresh_date, stamp, r[0]) for r in report.refreshed),
        )
        for service_id, date_maj, modifie_le in report.refreshed:
            changes += [
                (import_id, service_id, "modification", name, *map(_json, pair))
                for name, pair in (
                    ("date_maj", (date_maj, report.refresh_date)),
                    ("modifie_le", (modifie_le, stamp)),
                )
            ]
        set_besoins(
            db,
            [
                c.record["id"]
                for c in report.changed
                if any(f == "besoins" for f, _, _ in c.fields)
            ],
        )
        db.conn.executemany(CHANGES_SQL, changes)
        ahead = _ahead(db, child, report.new, spooled, sourced)
        _insert_new(db, report.new, import_id, stamp, sourced, spooled, ahead)
        if ahead is not None:
            ahead.import_id = import_id
        # Fields kept as a partner corrected them; `undo` deletes these rows.
        db.conn.executemany(
            "insert into conflits (import_id, service_id, champ, valeur_source,"
            " valeur_locale, statut, cree_le) values (?, ?, ?, ?, ?, 'ouvert', ?)",
            (
                (
                    import_id,
                    c["service_id"],
                    c["champ"],
                    c["valeur_source"],
                    c["valeur_locale"],
                    stamp,
                )
                for c in report.conflicts
            ),
        )
        if sourced:  # the clusters across sources, audited with this import
            update_clusters(db, import_id, stamp)
    after_commit(db, ahead)  # the text index follows the committed data
    report.import_id = import_id
    report.timings["écriture"] = time.perf_counter() - clock
    return import_id


@contextmanager
def _taken(report):
    """The report's index built ahead (search.ahead), taken from it for this
    write; its child is stopped if the write fails."""
    child, report.ahead = report.ahead, None
    try:
        yield child
    except BaseException:
        if child is not None:
            child.close()
        raise


def _ahead(db, child, new, spooled, sourced):
    """The index built ahead, if its rowids can be given: a spool copied in
    SQL into a table still empty; else it is dropped."""
    if child is None:
        return None
    empty = not db.execute("select exists (select 1 from services)").fetchone()[0]
    if spooled and not sourced and empty and child.spooled == len(new):
        return child
    child.close()
    return None


def _insert_new(db, new, import_id, stamp, sourced, spooled=None, ahead=None):
    """Insert the new services with their service↔need rows and creation
    entries, in id order: every b-tree keyed on the id grows at its end.

    An attached spool (`spooled`: its table) is copied in SQL, in id order
    (with `ahead`: in file order, each row under the rowid it was indexed
    with, its place in the spool); otherwise the records are sorted here, or
    (a spool that could not be attached, in a caller's transaction) written
    batch by batch.
    """
    if spooled:
        count = len(new) if ahead else 0
        insert_spooled(db, spooled, import_id, stamp, provenance=sourced, rowids=count)
        return
    if new.spilled:
        batches = new.batches(5000)
    else:
        batches = [sorted(tuple(r) for r in new)]
    with bulk_insert(db, len(new), provenance=sourced) as sql:
        for batch in batches:
            if sourced:  # importe_le is the last record column: when written
                batch = [r[:-1] + (stamp,) for r in batch]
            insert_services(db, batch, stamp, provenance=sourced, sql=sql)
            pairs = [(b, r[0]) for r in batch for b in r[NEEDS].split(MULTI)]
            pairs.sort()  # the b-tree's own order
            db.conn.executemany(
                "insert into service_besoins (besoin, service_id) values (?, ?)",
                pairs,
            )
            db.conn.executemany(
                CHANGES_SQL,
                [(import_id, r[0], "creation", None, "null", "null") for r in batch],
            )


def _json(value):
    return json.dumps(value, ensure_ascii=False)


def apply_edits(db, edits, *, user, label, genre=None):
    """Apply field edits {service id: {column: value}} as one audited, undoable
    import (e.g. `geocode`); returns the import id, or None when nothing changes.
    An edit of `besoins` should carry `besoins_libelles` too."""
    existing = fetch_services(db, list(edits))
    stamp, changes = now(), []
    with writing(db):
        import_id = log_entry(
            db, user=user, label=label, lines=len(edits), genre=genre, stamp=stamp
        )
        needs = []
        for service_id, values in edits.items():
            old = existing[service_id]
            fields = [(c, old[c], v) for c, v in values.items() if old[c] != v]
            if not fields:
                continue
            fields.append(("modifie_le", old["modifie_le"], stamp))
            db["services"].update(service_id, {c: v for c, _, v in fields})
            if any(c == "besoins" for c, _, _ in fields):
                needs.append(service_id)
            changes.extend(
                (
                    import_id,
                    service_id,
                    "modification",
                    c,
                    json.dumps(b, ensure_ascii=False),
                    json.dumps(a, ensure_ascii=False),
                )
                for c, b, a in fields
            )
        modified = len({c[1] for c in changes})
        if not modified:
            db.execute("delete from imports where id = ?", [import_id])
            return None
        db["imports"].update(import_id, {"modifies": modified})
        set_besoins(db, needs)
        db.conn.executemany(
            "insert into changes (import_id, service_id, action, champ, avant, apres)"
            " values (?, ?, ?, ?, ?, ?)",
            changes,
        )
    after_commit(db)
    return import_id


def _apply_structures(db, structures, import_id, stamp, changes):
    old = {}
    ids = list(structures)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"select * from structures where id in ({marks})", chunk):
            old[row["id"]] = row
    created = [s for s in ids if s not in old]
    db.conn.executemany(
        "insert into structures (id, nom, actif, cree_le, modifie_le)"
        " values (?, ?, 1, ?, ?)",
        ((s, structures[s], stamp, stamp) for s in created),
    )
    changes.extend(
        (import_id, s, "structure-creation", None, "null", "null") for s in created
    )
    for structure_id, name in structures.items():
        previous = old.get(structure_id)
        if previous and previous["nom"] != name:
            db["structures"].update(structure_id, {"nom": name, "modifie_le": stamp})
            changes.append(
                (
                    import_id,
                    structure_id,
                    "structure-modification",
                    "nom",
                    json.dumps(
                        [previous["nom"], previous["modifie_le"]], ensure_ascii=False
                    ),
                    json.dumps([name, stamp], ensure_ascii=False),
                )
            )


def set_besoins(db, service_ids):
    """Rebuild the indexed service↔need rows of these services."""
    for start in range(0, len(service_ids), CHUNK):
        chunk = service_ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        # Probing every need keeps to the (besoin, service_id) key: no scan.
        db.execute(
            "delete from service_besoins where besoin in (select slug from besoins)"
            f" and service_id in ({marks})",
            chunk,
        )
        rows = db.query(
            f"select id, besoins from services where id in ({marks})", chunk
        )
        db.conn.executemany(
            "insert into service_besoins (besoin, service_id) values (?, ?)",
            [
                (b, r["id"])
                for r in rows
                for b in (r["besoins"] or "").split(MULTI)
                if b
            ],
        )


def undo(db, import_id):
    """Revert an applied import as a whole, in one transaction."""
    row = next(db["imports"].rows_where("id = ?", [import_id]), None)
    if row is None:
        raise ImportRefused(f"Import n°{import_id} introuvable.")
    if row["statut"] != "applique":
        raise ImportRefused(f"L'import n°{import_id} a déjà été annulé.")
    if row["genre"] == CLOSURE_LOG:  # its own undo: catalogue.closure_writes
        raise ImportRefused(
            f"L'entrée n°{import_id} est une fermeture temporaire : annulez-la "
            "depuis l'historique ou la page « Fermetures » du service."
        )
    if row["fichier"].startswith(RESTORE_PREFIX) and not row["lignes"]:
        raise ImportRefused(
            f"L'entrée n°{import_id} est une restauration de la base : elle ne "
            "s'annule pas ainsi. Pour revenir en arrière, restaurez la copie "
            "« avant-restauration » enregistrée à côté de la base."
        )
    later = list(
        db.query(
            "select distinct c.import_id from changes c"
            " join imports i on i.id = c.import_id"
            " where c.import_id > :id and i.statut = 'applique' and c.service_id in"
            " (select service_id from changes where import_id = :id) order by 1",
            {"id": import_id},
        )
    )
    if later:
        numbers = ", ".join(f"n°{r['import_id']}" for r in later)
        raise ImportRefused(
            f"Impossible d'annuler l'import n°{import_id} : les imports {numbers} ont "
            "modifié depuis les mêmes fiches. Annulez-les d'abord."
        )
    changes = list(
        db.query(
            "select * from changes where import_id = ? order by id desc", [import_id]
        )
    )
    with writing(db):
        touched, created = set(), []
        for change in changes:
            target, action = change["service_id"], change["action"]
            before = json.loads(change["avant"]) if change["avant"] else None
            if action == "creation":
                created.append(target)
            elif action in ("modification", "fusion"):  # fusion: a merge's doublon_de
                db["services"].update(target, {change["champ"]: before})
                touched.add(target)
            elif action == "structure-creation":
                db.execute("delete from structures where id = ?", [target])
            elif action == "doublon-refuse":  # « not duplicates »: forget the pair
                db.execute(
                    "delete from doublons_refuses"
                    " where service_a = ? and service_b = ?",
                    [target, change["champ"]],
                )
            elif action == "structure-modification":
                db["structures"].update(
                    target, {"nom": before[0], "modifie_le": before[1]}
                )
            elif action == "conflit":  # an admin's decision on a conflict
                db.execute(
                    "update conflits set statut = ? where id = ?",
                    [before, int(target.removeprefix(CONFLICT_PREFIX))],
                )
        for start in range(0, len(created), CHUNK):
            chunk = created[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            db.execute(f"delete from services where id in ({marks})", chunk)
        # Rows of deleted services are removed; touched ones are rebuilt.
        set_besoins(db, sorted(touched) + created)
        db.execute("delete from conflits where import_id = ?", [import_id])
        db["imports"].update(import_id, {"statut": "annule", "annule_le": now()})
    after_commit(db)
    return len(changes)
