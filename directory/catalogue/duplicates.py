"""Duplicate clusters in the database (the matching rules: `matching`):
`update_clusters` inside an import, « not duplicates » and « merge » decisions,
each an audited, undoable import.

Audit: every change of `doublon_de` is a `changes` row (action 'modification',
champ 'doublon_de'), undone like any field. A refusal adds a 'doublon-refuse'
row (service_id = service_a, champ = service_b), whose undo deletes the pair;
a merge attaches the merged services with 'fusion' rows (undone like a
modification) which `pins` reads back so recomputation keeps them.

Pure core: standard library, `schema` and `catalogue` only.
"""

import json

from .bulk import cycles_unchecked
from .matching import COLUMNS, FUSION, targets
from .services import PLACE_AND_ORIGIN
from .times import now
from .transactions import log_entry, writing

CHUNK = 500
REFUSAL = "doublon-refuse"  # changes.action of a « not duplicates » pair
GENRE = "doublons"  # imports.genre of a refusal or of a recomputation
# Fields a merge may take from another service of the cluster. `adresse`
# stands for the whole place (address, commune, point).
MERGE_FIELDS = (
    "nom",
    "structure_nom",
    "description",
    "adresse",
    "telephone",
    "courriel",
    "site_web",
    "horaires",
    "horaires_precisions",
    "conditions_acces",
    "frais_precisions",
    "lien_mobilisation",
)


class DuplicateError(Exception):
    """A decision on duplicates that cannot be applied (French message)."""


def _json(value):
    return json.dumps(value, ensure_ascii=False)


def refused_pairs(db):
    return [
        (r[0], r[1])
        for r in db.conn.execute("select service_a, service_b from doublons_refuses")
    ]


def pins(db):
    """{merged id: kept id}: services whose last applied change of doublon_de
    is a merge's, still attached to the service that merge kept."""
    rows = db.conn.execute(
        "select c.id, c.service_id, c.apres from imports i"
        " join changes c on c.import_id = i.id where i.genre = ?"
        " and i.statut = 'applique' and c.action = ? and c.champ = 'doublon_de'",
        [FUSION, FUSION],
    ).fetchall()
    latest = {}
    for change_id, service_id, after in rows:
        if change_id > latest.get(service_id, (0, None))[0]:
            latest[service_id] = (change_id, json.loads(after))
    ids = sorted(latest)
    out = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        last = db.conn.execute(
            "select c.service_id, max(c.id) from changes c join imports i"
            " on i.id = c.import_id where i.statut = 'applique'"
            f" and c.champ = 'doublon_de' and c.service_id in ({marks})"
            " group by c.service_id",
            chunk,
        ).fetchall()
        for service_id, change_id in last:
            if latest[service_id][0] == change_id and latest[service_id][1]:
                out[service_id] = latest[service_id][1]
    return out


def compute(db):
    """{id: (current doublon_de, computed doublon_de)} of every service."""
    with cycles_unchecked():  # a few objects per service, none in a cycle
        cursor = db.conn.execute(f"select {COLUMNS} from services")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor]
        wanted = targets(rows, refused_pairs(db), pins(db))
        return {r["id"]: (r["doublon_de"], wanted[r["id"]]) for r in rows}


def update_clusters(db, import_id, stamp=None):
    """Recompute every cluster and write the doublon_de that change, audited
    under `import_id`. Runs inside the caller's open transaction
    (`writing(db)`); returns the number of services changed."""
    changed = [(i, old, new) for i, (old, new) in compute(db).items() if old != new]
    db.conn.executemany(
        "update services set doublon_de = ? where id = ?",
        [(new, service_id) for service_id, _, new in changed],
    )
    db.conn.executemany(
        "insert into changes (import_id, service_id, action, champ, avant, apres)"
        " values (?, ?, 'modification', 'doublon_de', ?, ?)",
        [(import_id, i, _json(old), _json(new)) for i, old, new in changed],
    )
    return len(changed)


def _finish(db, import_id):
    """Count the services the import touched; forget it when it touched none."""
    touched = db.conn.execute(
        "select count(distinct service_id) from changes where import_id = ?",
        [import_id],
    ).fetchone()[0]
    if not touched:
        db.execute("delete from imports where id = ?", [import_id])
        return None
    db["imports"].update(import_id, {"modifies": touched})
    return import_id


def recompute(db, *, user, label="Recalcul des doublons"):
    """Recompute clusters as one audited import; its id, or None if nothing changed."""
    with writing(db):
        import_id = log_entry(db, user=user, label=label, genre=GENRE, lines=0)
        update_clusters(db, import_id)
        return _finish(db, import_id)


def _existing(db, ids):
    marks = ",".join("?" * len(ids))
    rows = db.query(f"select * from services where id in ({marks})", list(ids))
    found = {r["id"]: r for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise DuplicateError(f"Service introuvable : {', '.join(missing)}.")
    return found


def refuse(db, ids, *, user, alone=None):
    """« Ce ne sont pas des doublons »: remember every pair of `ids` (or only
    those of `alone` with the others), recompute; returns the import id."""
    ids = sorted(set(ids))
    if len(ids) < 2 or (alone is not None and alone not in ids):
        raise DuplicateError("Choisissez au moins deux services d'un même groupe.")
    _existing(db, ids)
    pairs = [
        (a, b)
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
        if alone is None or alone in (a, b)
    ]
    known = set(refused_pairs(db))
    pairs = [p for p in pairs if p not in known]
    if not pairs:
        raise DuplicateError("Ces services sont déjà notés comme distincts.")
    label = "Ce ne sont pas des doublons : " + ", ".join(ids)
    with writing(db):
        stamp = now()
        import_id = log_entry(db, user=user, label=label, genre=GENRE, lines=len(ids))
        db["doublons_refuses"].insert_all(
            {"service_a": a, "service_b": b, "utilisateur": user, "cree_le": stamp}
            for a, b in pairs
        )
        db.conn.executemany(
            "insert into changes (import_id, service_id, action, champ, avant, apres)"
            " values (?, ?, ?, ?, 'null', ?)",
            [(import_id, a, REFUSAL, b, _json([user, stamp])) for a, b in pairs],
        )
        update_clusters(db, import_id, stamp)
        _finish(db, import_id)
    return import_id


def merge(db, kept, others, choices, *, user):
    """« Fusionner »: `kept` takes, per field, the value of the service named in
    `choices` {field: service id}; `others` are shown as `kept` from now on,
    whatever later recomputations find. One audited import (genre 'fusion')."""
    others = sorted(set(others) - {kept})
    if not others:
        raise DuplicateError("Choisissez au moins un autre service à fusionner.")
    rows = _existing(db, [kept, *others])
    if rows[kept]["statut"] == "ferme":
        raise DuplicateError("Un service fermé ne peut pas être la fiche conservée.")
    values = {}
    for field, origin in choices.items():
        if field not in MERGE_FIELDS or origin not in rows:
            raise DuplicateError(f"Choix invalide pour le champ « {field} ».")
        for column in PLACE_AND_ORIGIN if field == "adresse" else (field,):
            values[column] = rows[origin][column]
    label = f"Fusion des doublons : {kept} ← " + ", ".join(others)
    with writing(db):
        stamp = now()
        import_id = log_entry(
            db, user=user, label=label, genre=FUSION, lines=len(others) + 1
        )
        old = rows[kept]
        fields = [(c, old[c], v) for c, v in values.items() if old[c] != v]
        if fields:
            fields.append(("modifie_le", old["modifie_le"], stamp))
            db["services"].update(kept, {c: v for c, _, v in fields})
        changes = [
            (import_id, kept, "modification", c, _json(b), _json(a))
            for c, b, a in fields
        ]
        for other in others:
            db.execute("update services set doublon_de = ? where id = ?", [kept, other])
            changes.append(
                (
                    import_id,
                    other,
                    FUSION,
                    "doublon_de",
                    _json(rows[other]["doublon_de"]),
                    _json(kept),
                )
            )
        db.conn.executemany(
            "insert into changes (import_id, service_id, action, champ, avant, apres)"
            " values (?, ?, ?, ?, ?, ?)",
            changes,
        )
        update_clusters(db, import_id, stamp)
        _finish(db, import_id)
    return import_id
