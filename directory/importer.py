"""The import engine: prepare (read, validate, geocode, diff), apply, undo.

One engine for the CLI and the web upload. `prepare` never writes; `apply`
writes everything in ONE transaction, with a field-level audit trail that
`undo` replays backwards. No Flask imports.
"""

import datetime
import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from operator import itemgetter

from .csv_import import read_file
from .report import Issue, format_lines, plural
from .schema import FTS_COLUMNS, SERVICE_COLUMNS
from .validation import MULTI, RowValidator

COMPARED = [c for c in SERVICE_COLUMNS if c != "id"] + ["precision_geo"]
RECORD_COLUMNS = (*SERVICE_COLUMNS, "precision_geo", "besoins_libelles")
_POSITION = {name: i for i, name in enumerate(RECORD_COLUMNS)}


class Record(tuple):
    """A validated service, as compact as a tuple (a 100 000-row import holds
    them all), readable by column name like a dict."""

    __slots__ = ()

    @classmethod
    def of(cls, values):
        return cls(map(values.get, RECORD_COLUMNS))

    def __getitem__(self, key):
        if isinstance(key, str):
            key = _POSITION[key]
        return tuple.__getitem__(self, key)

    def get(self, key, default=None):
        return self[key] if key in _POSITION else default

    def as_dict(self):
        return dict(zip(RECORD_COLUMNS, self, strict=True))


CHUNK = 500  # ids per IN (…) query, under SQLite's parameter limit


class ImportRefused(Exception):
    """An apply or undo that cannot be done; the message is French."""


@dataclass
class Change:
    """A service that exists and differs: [(field, before, after)]."""

    record: dict
    old: dict
    fields: list


@dataclass
class ImportReport:
    """Everything `prepare` found; `apply` writes exactly this."""

    filename: str
    sha256: str
    size: int
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    issues: list = field(default_factory=list)
    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    closed: list = field(default_factory=list)
    structures: dict = field(default_factory=dict)  # id -> name in the file
    import_id: int | None = None
    timings: dict = field(default_factory=dict)  # stage (French) -> seconds

    @property
    def errors(self):
        return [i for i in self.issues if i.blocking]

    @property
    def warnings(self):
        return [i for i in self.issues if not i.blocking]

    @property
    def ok(self):
        return not self.errors

    @property
    def counts(self):
        return {
            "nouveaux": len(self.new),
            "modifies": len(self.changed),
            "inchanges": len(self.unchanged),
            "fermes": len(self.closed),
        }


def now():
    """UTC timestamp used for created/modified columns and the import log."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def prepare(
    db,
    data,
    filename,
    *,
    geocoder,
    besoins,
    allowed_structures=None,
    max_bytes,
    max_rows,
    territory="15",
    today=None,
    progress=None,
):
    """Read, validate, geocode and diff a file against the database. No writes.

    :param besoins: vocabulary.Choices over the needs.
    :param allowed_structures: structure ids the uploader owns (None = all).
    :param progress: optional callable(number of rows done).
    """
    clock = time.perf_counter()
    report = ImportReport(filename, hashlib.sha256(data).hexdigest(), len(data))
    table = read_file(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    report.encoding, report.delimiter = table.encoding, table.delimiter
    if table.blocked:
        report.issues.extend(table.issues)
        return report
    validator = RowValidator(besoins, geocoder, territory=territory, today=today)
    records, first_line, structure_names, row_issues, labels = [], {}, {}, [], {}
    done = 0
    for done, (line, raw) in enumerate(table.rows, start=1):  # noqa: B007
        record, issues = validator.validate(line, raw)
        if issues:
            row_issues.extend(issues)
        service_id = raw.get("id")
        if service_id in first_line:
            row_issues.append(
                Issue(
                    f"« {service_id} » : identifiant déjà utilisé ligne "
                    f"{first_line[service_id]} ; chaque service a un identifiant "
                    "unique.",
                    line,
                    "id",
                )
            )
            record = None
        elif service_id:
            first_line[service_id] = line
        if record and _check_structure(
            record, line, allowed_structures, structure_names, row_issues, report
        ):
            needs = record["besoins"]
            if needs not in labels:
                labels[needs] = MULTI.join(
                    besoins.labels[n] for n in needs.split(MULTI)
                )
            record["besoins_libelles"] = labels[needs]
            records.append((line, Record.of(record)))
        if progress and done % 1000 == 0:
            progress(1000)
    if progress:
        progress(done % 1000)
    report.rows_read = done
    report.timings["lecture et validation"] = time.perf_counter() - clock
    report.issues.extend(table.issues)
    if table.blocked:  # e.g. over the row cap: the rest is noise
        report.rows_read, report.structures = 0, {}
        return report
    report.issues.extend(row_issues)
    clock = time.perf_counter()
    _diff(db, records, allowed_structures, report)
    report.timings["comparaison avec la base"] = time.perf_counter() - clock
    return report


def _check_structure(record, line, allowed, names, issues, report):
    structure_id = record["structure_id"]
    if allowed is not None and structure_id not in allowed:
        issues.append(
            Issue(
                f"« {structure_id} » : cette structure n'est pas rattachée à votre "
                "compte ; "
                f"la ligne (service « {record['id']} ») est refusée.",
                line,
                "structure_id",
            )
        )
        return False
    first = names.setdefault(structure_id, (record["structure_nom"], line))
    if first[0] != record["structure_nom"]:
        issues.append(
            Issue(
                f"« {record['structure_nom']} » : la structure « {structure_id} » "
                f"s'appelle « {first[0]} » ligne {first[1]} ; le premier nom est "
                "retenu.",
                line,
                "structure_nom",
                blocking=False,
            )
        )
        record["structure_nom"] = first[0]
    report.structures[structure_id] = first[0]
    return True


def _diff(db, records, allowed, report):
    existing = fetch_services(db, [r["id"] for _, r in records])
    for line, record in records:
        old = existing.get(record["id"])
        if old is None:
            report.new.append(record)
            continue
        record = record.as_dict()
        if old["structure_id"] != record["structure_id"] and allowed is not None:
            report.issues.append(
                Issue(
                    f"« {record['id']} » : ce service appartient à la structure "
                    f"« {old['structure_id']} », vous ne pouvez pas le modifier.",
                    line,
                    "id",
                )
            )
            continue
        if record["precision_geo"] == "manuel" and (
            old["latitude"],
            old["longitude"],
        ) == (record["latitude"], record["longitude"]):
            record["precision_geo"] = old["precision_geo"]  # same point, same origin
        fields = [(c, old[c], record[c]) for c in COMPARED if old[c] != record[c]]
        if not fields:
            report.unchanged.append(record["id"])
            continue
        report.changed.append(Change(record, old, fields))
        if record["statut"] == "ferme" and old["statut"] != "ferme":
            report.closed.append(record["id"])
    if report.errors:
        report.new, report.changed, report.unchanged, report.closed = [], [], [], []


def fetch_services(db, ids):
    """Existing service rows by id, fetched in chunks."""
    found = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"select * from services where id in ({marks})", chunk):
            found[row["id"]] = row
    return found


INSERT_COLUMNS = [*RECORD_COLUMNS, "cree_le", "modifie_le"]
BULK = 500  # from this many new services, fill the FTS index in one statement


def apply(db, report, *, user, structure_id=None):
    """Write a clean report in ONE transaction and log it; returns the import id."""
    if not report.ok:
        raise ImportRefused(
            "Import refusé : le fichier contient des erreurs bloquantes."
        )
    clock = time.perf_counter()
    stamp = now()
    changes = []
    with db.atomic():
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
                }
            )
            .last_pk
        )
        _apply_structures(db, report.structures, import_id, stamp, changes)
        # In id order, every b-tree keyed on the id grows at its end.
        new = sorted(report.new, key=itemgetter(0))
        insert_services(db, new, stamp)
        for change in report.changed:
            fields = list(change.fields) + [
                ("modifie_le", change.old["modifie_le"], stamp)
            ]
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
        pairs = [(b, r[0]) for r in new for b in r["besoins"].split(MULTI)]
        pairs.sort()  # the b-tree's own order: every insert is an append
        db.conn.executemany(
            "insert into service_besoins (besoin, service_id) values (?, ?)", pairs
        )
        set_besoins(
            db,
            [
                c.record["id"]
                for c in report.changed
                if any(f == "besoins" for f, _, _ in c.fields)
            ],
        )
        creations = ((import_id, r[0], "creation", None, "null", "null") for r in new)
        db.conn.executemany(
            "insert into changes (import_id, service_id, action, champ, avant, apres)"
            " values (?, ?, ?, ?, ?, ?)",
            itertools.chain(changes, creations),
        )
    report.import_id = import_id
    report.timings["écriture"] = time.perf_counter() - clock
    return import_id


def apply_edits(db, edits, *, user, label):
    """Apply field edits {service id: {column: value}} as one audited, undoable
    import (e.g. `geocode`); returns the import id, or None when nothing changes."""
    existing = fetch_services(db, list(edits))
    stamp, changes = now(), []
    with db.atomic():
        import_id = (
            db["imports"]
            .insert(
                {
                    "utilisateur": user,
                    "fichier": label,
                    "cree_le": stamp,
                    "lignes": len(edits),
                    "nouveaux": 0,
                    "modifies": 0,
                    "inchanges": 0,
                    "fermes": 0,
                    "statut": "applique",
                }
            )
            .last_pk
        )
        for service_id, values in edits.items():
            old = existing[service_id]
            fields = [(c, old[c], v) for c, v in values.items() if old[c] != v]
            if not fields:
                continue
            fields.append(("modifie_le", old["modifie_le"], stamp))
            db["services"].update(service_id, {c: v for c, _, v in fields})
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
        db.conn.executemany(
            "insert into changes (import_id, service_id, action, champ, avant, apres)"
            " values (?, ?, ?, ?, ?, ?)",
            changes,
        )
    return import_id


def insert_services(db, records, stamp):
    """Insert new services. For many, fill the FTS index in one statement instead
    of one trigger call per row, and when they outnumber the existing rows,
    rebuild the secondary indexes once at the end.

    Triggers and indexes are dropped and re-created inside the caller's
    transaction (SQLite DDL is transactional): a crash restores them too.
    """
    if not records:
        return
    conn = db.conn
    sql = (
        f"insert into services ({', '.join(INSERT_COLUMNS)}) "
        f"values ({', '.join('?' * len(INSERT_COLUMNS))})"
    )
    stamps = (stamp, stamp)
    rows = (tuple(r) + stamps for r in records)
    if len(records) < BULK:
        conn.executemany(sql, rows)
        return
    before, existing = conn.execute(
        "select coalesce(max(rowid), 0), count(*) from services"
    ).fetchone()
    saved = conn.execute(
        "select type, name, sql from sqlite_master where tbl_name = 'services'"
        " and sql is not null and (name = 'services_ai' or (type = 'index'"
        " and :rebuild))",
        {"rebuild": len(records) >= existing},
    ).fetchall()
    for kind, name, _ in saved:
        conn.execute(f"drop {kind} [{name}]")
    # A bigger page cache spares rewriting b-tree pages to the WAL many times.
    cache = conn.execute("pragma cache_size").fetchone()[0]
    conn.execute("pragma cache_size = -16384")
    conn.executemany(sql, rows)
    columns = ", ".join(FTS_COLUMNS)
    conn.execute(
        f"insert into services_fts (rowid, {columns}) "
        f"select rowid, {columns} from services where rowid > ?",
        [before],
    )
    for _, _, create in saved:
        conn.execute(create)
    conn.execute(f"pragma cache_size = {int(cache)}")


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
    with db.atomic():
        touched, created = set(), []
        for change in changes:
            target, action = change["service_id"], change["action"]
            before = json.loads(change["avant"]) if change["avant"] else None
            if action == "creation":
                created.append(target)
            elif action == "modification":
                db["services"].update(target, {change["champ"]: before})
                touched.add(target)
            elif action == "structure-creation":
                db.execute("delete from structures where id = ?", [target])
            elif action == "structure-modification":
                db["structures"].update(
                    target, {"nom": before[0], "modifie_le": before[1]}
                )
        for start in range(0, len(created), CHUNK):
            chunk = created[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            db.execute(f"delete from services where id in ({marks})", chunk)
        # Rows of deleted services are removed; touched ones are rebuilt.
        set_besoins(db, sorted(touched) + created)
        db["imports"].update(import_id, {"statut": "annule", "annule_le": now()})
    return len(changes)


def format_report(report, *, dry_run):
    """The French report printed by the CLI."""
    out = [
        f"Fichier « {report.filename} » : {plural(report.rows_read, 'ligne')} "
        "de services lue(s)"
        + (f" (encodage {report.encoding}" if report.encoding else "")
        + (")" if report.encoding else "")
        + "."
    ]
    if report.errors:
        out.append(f"Erreurs bloquantes ({len(report.errors)}) :")
        out += [f"  - {line}" for line in format_lines(report.errors)]
    if report.warnings:
        out.append(f"Avertissements ({len(report.warnings)}) :")
        out += [f"  - {line}" for line in format_lines(report.warnings)]
    if report.errors:
        out.append(
            "Aucune modification enregistrée : corrigez le fichier puis "
            "recommencez (l'import est tout ou rien)."
        )
        return "\n".join(out)
    c = report.counts
    out.append(
        f"Bilan : {plural(c['nouveaux'], 'nouveau', 'nouveaux')}, "
        f"{plural(c['modifies'], 'modifié')}, {plural(c['inchanges'], 'inchangé')}"
        f", {plural(c['fermes'], 'fermé')}."
    )
    for change in report.changed[:50]:
        names = ", ".join(f for f, _, _ in change.fields)
        out.append(f"  ~ {change.record['id']} : {names}")
    if not (report.new or report.changed):
        out.append("Aucune modification : la base est déjà à jour.")
    elif dry_run:
        out.append("Essai à blanc : rien n'a été enregistré.")
    elif report.import_id:
        out.append(f"Import n°{report.import_id} enregistré.")
    return "\n".join(out)
