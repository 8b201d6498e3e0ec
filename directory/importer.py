"""The import engine: prepare (read, validate, geocode, diff), apply, undo.

One engine for the CLI and the web upload. `prepare` never writes; `apply`
writes everything in ONE transaction, with a field-level audit trail that
`undo` replays backwards. No Flask imports.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass, field

from .csv_import import read_file
from .report import Issue, format_lines, plural
from .schema import SERVICE_COLUMNS
from .validation import MULTI, RowValidator

COMPARED = [c for c in SERVICE_COLUMNS if c != "id"] + ["precision_geo"]
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
    report = ImportReport(filename, hashlib.sha256(data).hexdigest(), len(data))
    table = read_file(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    report.encoding, report.delimiter = table.encoding, table.delimiter
    report.issues.extend(table.issues)
    report.rows_read = len(table.rows)
    if table.blocked:
        return report
    validator = RowValidator(besoins, geocoder, territory=territory, today=today)
    records, first_line, structure_names = [], {}, {}
    for done, (line, raw) in enumerate(table.rows, start=1):
        record, issues = validator.validate(line, raw)
        report.issues.extend(issues)
        service_id = raw.get("id")
        if service_id in first_line:
            report.issues.append(
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
        if record:
            _check_structure(record, line, allowed_structures, structure_names, report)
            records.append((line, record))
        if progress and done % 1000 == 0:
            progress(1000)
    if progress:
        progress(len(table.rows) % 1000)
    _diff(db, records, allowed_structures, besoins, report)
    return report


def _check_structure(record, line, allowed, names, report):
    structure_id = record["structure_id"]
    if allowed is not None and structure_id not in allowed:
        report.issues.append(
            Issue(
                f"« {structure_id} » : cette structure n'est pas rattachée à votre "
                "compte ; "
                f"la ligne (service « {record['id']} ») est refusée.",
                line,
                "structure_id",
            )
        )
        return
    first = names.setdefault(structure_id, (record["structure_nom"], line))
    if first[0] != record["structure_nom"]:
        report.issues.append(
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


def _diff(db, records, allowed, besoins, report):
    existing = fetch_services(db, [r["id"] for _, r in records])
    for line, record in records:
        record["besoins_libelles"] = MULTI.join(
            besoins.labels[s] for s in record["besoins"].split(MULTI)
        )
        old = existing.get(record["id"])
        if old is None:
            report.new.append(record)
            continue
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


def apply(db, report, *, user, structure_id=None):
    """Write a clean report in ONE transaction and log it; returns the import id."""
    if not report.ok:
        raise ImportRefused(
            "Import refusé : le fichier contient des erreurs bloquantes."
        )
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
        new_rows = [{**r, "cree_le": stamp, "modifie_le": stamp} for r in report.new]
        db["services"].insert_all(new_rows, batch_size=500)
        for record in report.new:
            changes.append(_change(import_id, record["id"], "creation"))
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
            for name, before, after in fields:
                changes.append(
                    _change(
                        import_id,
                        change.record["id"],
                        "modification",
                        name,
                        before,
                        after,
                    )
                )
        touched = [r["id"] for r in report.new] + [
            c.record["id"]
            for c in report.changed
            if any(f == "besoins" for f, _, _ in c.fields)
        ]
        set_besoins(db, touched)
        db["changes"].insert_all(changes, batch_size=1000)
    report.import_id = import_id
    return import_id


def _change(import_id, target, action, field_name=None, before=None, after=None):
    return {
        "import_id": import_id,
        "service_id": target,
        "action": action,
        "champ": field_name,
        "avant": json.dumps(before, ensure_ascii=False),
        "apres": json.dumps(after, ensure_ascii=False),
    }


def _apply_structures(db, structures, import_id, stamp, changes):
    table = db["structures"]
    for structure_id, name in structures.items():
        old = next(table.rows_where("id = ?", [structure_id]), None)
        if old is None:
            table.insert(
                {
                    "id": structure_id,
                    "nom": name,
                    "actif": 1,
                    "cree_le": stamp,
                    "modifie_le": stamp,
                }
            )
            changes.append(_change(import_id, structure_id, "structure-creation"))
        elif old["nom"] != name:
            table.update(structure_id, {"nom": name, "modifie_le": stamp})
            changes.append(
                _change(
                    import_id,
                    structure_id,
                    "structure-modification",
                    "nom",
                    [old["nom"], old["modifie_le"]],
                    [name, stamp],
                )
            )


def set_besoins(db, service_ids):
    """Rebuild the indexed service↔need rows of these services."""
    for start in range(0, len(service_ids), CHUNK):
        chunk = service_ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        db.execute(f"delete from service_besoins where service_id in ({marks})", chunk)
        rows = db.query(
            f"select id, besoins from services where id in ({marks})", chunk
        )
        db["service_besoins"].insert_all(
            (
                {"service_id": r["id"], "besoin": b}
                for r in rows
                for b in (r["besoins"] or "").split(MULTI)
                if b
            ),
            batch_size=1000,
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
        touched = set()
        for change in changes:
            target, action = change["service_id"], change["action"]
            before = json.loads(change["avant"]) if change["avant"] else None
            if action == "creation":
                db.execute("delete from services where id = ?", [target])
                db.execute("delete from service_besoins where service_id = ?", [target])
            elif action == "modification":
                db["services"].update(target, {change["champ"]: before})
                touched.add(target)
            elif action == "structure-creation":
                db.execute("delete from structures where id = ?", [target])
            elif action == "structure-modification":
                db["structures"].update(
                    target, {"nom": before[0], "modifie_le": before[1]}
                )
        set_besoins(db, sorted(touched))
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
