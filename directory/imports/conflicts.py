"""Partners win over sources: which fields a partner corrected, the conflicts
an import notes, and the admin's decision on one. No Flask imports.

A field belongs to whoever changed it last in the audit trail (`changes` of
applied imports): a source's import (imports.genre in SOURCE_GENRES) or
anyone else (a partner's CSV, the fiche form, an admin's merge). A service
created by someone else belongs to them as a whole.
"""

import json

from ..catalogue.services import MULTI, PLACE_AND_ORIGIN
from ..catalogue.transactions import log_entry, writing
from .apply import CONFLICT_PREFIX, SOURCE_GENRES, TAKEN, apply_edits
from .records import CHUNK, ImportRefused

KEPT = "garde-local"
# Fields that make one thing: a partner's correction of one member keeps the
# whole group, the conflict shows the group and taking the source writes it all
# (the place: a point never half the source's, nor away from its address).
GROUPS = {"lieu": PLACE_AND_ORIGIN}
GROUP_OF = {column: name for name, columns in GROUPS.items() for column in columns}
# Derived members: alone, a difference in them is no disagreement to show.
QUIET = frozenset({"precision_geo", "code_insee"})
LABELS = {"lieu": "lieu (adresse, commune, point sur la carte)"}
STATUSES = {"ouvert": "à arbitrer", KEPT: "correction gardée", TAKEN: "source prise"}


def local_owners(db, service_ids):
    """{(service id, field or '*'): True when a partner owns it, False for a
    source}, from the latest applied change; one query per chunk of ids."""
    owners = {}
    for start in range(0, len(service_ids), CHUNK):
        chunk = service_ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for service_id, action, name, genre in db.execute(
            "select c.service_id, c.action, c.champ, i.genre from changes c"
            " join imports i on i.id = c.import_id where i.statut = 'applique'"
            f" and c.action in ('creation', 'modification') and c.service_id in"
            f" ({marks}) order by c.id",
            chunk,
        ).fetchall():
            key = (service_id, "*" if action == "creation" else name)
            owners[key] = genre not in SOURCE_GENRES
    return owners


def _known(db, service_ids):
    """(service id, field, source value) of conflicts open or already decided
    for the partner: the same disagreement is not noted twice."""
    known = set()
    for start in range(0, len(service_ids), CHUNK):
        chunk = service_ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        known.update(
            db.execute(
                "select service_id, champ, valeur_source from conflits"
                f" where statut in ('ouvert', ?) and service_id in ({marks})",
                [KEPT, *chunk],
            ).fetchall()
        )
    return known


def keep_local_fields(db, pending, report):
    """Drop from each pending change [(record, old, fields)] the fields a
    partner owns (the record keeps the local value) and note the conflicts."""
    ids = [record["id"] for record, _, _ in pending]
    owners = local_owners(db, ids)
    if not any(owners.values()):
        return
    known = _known(db, ids)
    for record, old, fields in pending:
        service_id = record["id"]
        source_values, raised, kept = dict(record), set(), []
        for name, before, after in fields:
            if not _local(owners, service_id, name):
                kept.append((name, before, after))
                continue
            if name == "date_maj":  # a newer check by the source still dates it
                if (after or "") > (before or ""):
                    kept.append((name, before, after))
                else:
                    record[name] = before
                continue
            record[name] = before
            if name == "besoins":
                record["besoins_libelles"] = old["besoins_libelles"]
            group = GROUP_OF.get(name)
            if name in QUIET or (group or name) in raised:
                continue
            raised.add(group or name)
            if group:
                after = {c: source_values[c] for c in GROUPS[group]}
                before = {c: old[c] for c in GROUPS[group]}
            note(report, known, service_id, group or name, after, before)
        fields[:] = kept


def note(report, known, service_id, name, source, local):
    """Add a conflict to the report unless the same one is already known."""
    source = json.dumps(source, ensure_ascii=False)
    if (service_id, name, source) in known:
        return
    known.add((service_id, name, source))
    report.conflicts.append(
        {
            "service_id": service_id,
            "champ": name,
            "valeur_source": source,
            "valeur_locale": json.dumps(local, ensure_ascii=False),
        }
    )


def reopened_locally(db, services, report):
    """Of services {id: row} the source no longer lists, the ids of those whose
    status a partner set last: they stay as they are, with a conflict (the
    source would close them)."""
    owners = local_owners(db, list(services))
    kept = [i for i in services if _local(owners, i, "statut")]
    known = _known(db, kept)
    for service_id in kept:
        note(
            report, known, service_id, "statut", "ferme", services[service_id]["statut"]
        )
    return set(kept)


def _status(db, conflict_id):
    row = db.execute("select statut from conflits where id = ?", [conflict_id])
    return (row.fetchone() or [None])[0]


def _local(owners, service_id, name):
    """Whether a partner owns this field (or a member of its group)."""
    whole = owners.get((service_id, "*"), False)
    group = GROUPS.get(GROUP_OF.get(name), (name,))
    return any(owners.get((service_id, c), whole) for c in group)


def resolve(db, conflict_id, *, take_source, user):
    """The admin's decision on an open conflict, audited and undoable: keep the
    local value, or write the source's (through apply_edits). Returns the
    import id."""
    conflict = next(db["conflits"].rows_where("id = ?", [conflict_id]), None)
    if conflict is None:
        raise ImportRefused(f"Conflit n°{conflict_id} introuvable.")
    if conflict["statut"] != "ouvert":
        raise ImportRefused(f"Le conflit n°{conflict_id} a déjà été arbitré.")
    service_id, name = conflict["service_id"], conflict["champ"]
    if not db["services"].count_where("id = ?", [service_id]):
        raise ImportRefused(f"Le service « {service_id} » n'existe plus.")
    status = TAKEN if take_source else KEPT
    with writing(db):  # read again under the write lock: one decision only
        if _status(db, conflict_id) != "ouvert":
            raise ImportRefused(f"Le conflit n°{conflict_id} a déjà été arbitré.")
        import_id = None
        if take_source:
            value = json.loads(conflict["valeur_source"])
            edit = dict(value) if name in GROUPS else {name: value}
            if name == "besoins":
                labels = {
                    r["slug"]: r["libelle"]
                    for r in db.query("select slug, libelle from besoins")
                }
                edit["besoins_libelles"] = MULTI.join(
                    labels.get(n, n) for n in (value or "").split(MULTI) if n
                )
            import_id = apply_edits(
                db,
                {service_id: edit},
                user=user,
                label=f"conflit n°{conflict_id} : valeur de la source",
                genre=TAKEN,
            )
        if import_id is None:  # nothing to write on the service: log the decision
            decided = "valeur de la source" if take_source else "correction gardée"
            import_id = log_entry(
                db,
                user=user,
                label=f"conflit n°{conflict_id} : {decided}",
                lines=0,
                genre="conflit",
            )
        db["changes"].insert(
            {
                "import_id": import_id,
                "service_id": f"{CONFLICT_PREFIX}{conflict_id}",
                "action": "conflit",
                "champ": "statut",
                "avant": json.dumps("ouvert"),
                "apres": json.dumps(status),
            }
        )
        db.execute("update conflits set statut = ? where id = ?", [status, conflict_id])
    return import_id
