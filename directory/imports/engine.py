"""The import engine: prepare (read, validate, geocode, diff), apply, undo.

One engine for the CLI and the web upload. `prepare` never writes; `apply`
(module `apply`) writes everything in ONE transaction, with a field-level audit
trail that `undo` replays backwards. No Flask imports.
"""

import time
from dataclasses import dataclass, field

from ..catalogue.bulk import cycles_unchecked
from ..catalogue.services import MULTI
from ..search.ahead import Ahead
from ..search.documents import need_texts
from ..search.engine import folder
from .apply import apply, apply_edits, set_besoins, undo  # noqa: F401 - engine API
from .read import read_file
from .records import (  # noqa: F401 - engine API
    COMPARED,
    KEPT_WHEN_ABSENT,
    RECORD_COLUMNS,
    ImportRefused,
    Record,
    check_structure,
    fetch_services,
)
from .report import Issue, format_lines, plural
from .spool import Spool
from .validate import RowValidator

DIFF_BATCH = 2000  # validated rows compared with the database at a time


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
    # New services (Records); past spool.SPOOL_AT they wait on disk.
    new: Spool = field(default_factory=lambda: Spool(Record, spill=False))
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    # Unchanged services re-dated to `refresh_date`: (id, date_maj, modifie_le).
    refreshed: list = field(default_factory=list)
    refresh_date: str | None = None  # AAAA-MM-JJ, when sending a row dates it
    closed: list = field(default_factory=list)
    structures: dict = field(default_factory=dict)  # id -> name in the file
    import_id: int | None = None
    # External sources (module `external`): imports.genre, the ids closed
    # because the source no longer has them (also in `closed`), and the fields
    # kept as a partner corrected them: [{service_id, champ, valeur_source,
    # valeur_locale}] (values as JSON), written to `conflits` by `apply`.
    genre: str | None = None
    left_out: int = 0  # rows not written (a warning says why)
    gone: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # stage (French) -> seconds
    # A first import's index, built as the new services spill (search.ahead;
    # prepare's `index_ahead`), for the index build after the commit.
    ahead: object = None

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
    def writes(self):
        """True when applying would write something."""
        return bool(self.new or self.changed or self.refreshed or self.conflicts)

    @property
    def counts(self):
        return {
            "nouveaux": len(self.new),
            "modifies": len(self.changed),
            "inchanges": len(self.unchanged),
            "fermes": len(self.closed),
        }


@cycles_unchecked()  # many records alive, no cycle among them
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
    refresh_date=None,
    index_ahead=False,
):
    """Read, validate, geocode and diff a file against the database. No writes
    (past spool.SPOOL_AT, new services wait in a scratch file: module `spool`).

    :param data: the file as bytes, a path or a seekable binary file object;
        a path or a file object is read by chunks, never whole.
    :param besoins: vocabulary.Choices over the needs.
    :param allowed_structures: structure ids the uploader owns (None = all).
    :param progress: optional callable(number of rows done).
    :param refresh_date: a date: every row of the file is dated at least this
        day (the sender asserts it is current), unchanged rows included.
    :param index_ahead: into an empty table, index the new services while the
        file is read (module search.ahead; for an import applied at once).
    """
    clock = time.perf_counter()
    table = read_file(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    report = ImportReport(filename, table.sha256, table.size)
    report.new = Spool(Record, columns=RECORD_COLUMNS)
    refresh = report.refresh_date = refresh_date and refresh_date.isoformat()
    report.encoding, report.delimiter = table.encoding, table.delimiter
    if table.blocked:
        report.issues.extend(table.issues)
        return report
    validator = RowValidator(besoins, geocoder, territory=territory, today=today)
    first_line, structure_names, row_issues, labels = {}, {}, [], {}
    # Into an empty table (a first import) every service is new: no lookups.
    stored = db.execute("select exists (select 1 from services)").fetchone()[0]
    if index_ahead and not stored:
        report.new.listener = _index_ahead(report, folder(db), need_texts(db))
    # Validated rows are compared with the database by batches (bounded
    # memory); the comparison's own issues come after the rows' issues.
    batch, diff_issues, diffing = [], [], 0.0
    kept = [c for c in KEPT_WHEN_ABSENT if c not in table.columns]
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
        if record and check_structure(
            record, line, allowed_structures, structure_names, row_issues, report
        ):
            needs = record["besoins"]
            if needs not in labels:
                labels[needs] = MULTI.join(
                    besoins.labels[n] for n in needs.split(MULTI)
                )
            record["besoins_libelles"] = labels[needs]
            if refresh and record["date_maj"] < refresh:
                record["date_maj"] = refresh
            # A plain tuple (Record's fields): the spool stores it as it is.
            batch.append((line, tuple(map(record.get, RECORD_COLUMNS))))
            if len(batch) >= DIFF_BATCH:
                start = time.perf_counter()
                _diff(db, batch, allowed_structures, report, diff_issues, stored, kept)
                diffing += time.perf_counter() - start
                batch = []
        if progress and done % 1000 == 0:
            progress(1000)
    if progress:
        progress(done % 1000)
    first_line = None  # one entry per row: freed before the writing
    report.rows_read = done
    report.issues.extend(table.issues)
    if table.blocked:  # e.g. over the row cap: the rest is noise
        report.timings["lecture et validation"] = time.perf_counter() - clock
        report.rows_read, report.structures = 0, {}
        _forget(report)
        return report
    start = time.perf_counter()
    _diff(db, batch, allowed_structures, report, diff_issues, stored, kept)
    diffing += time.perf_counter() - start
    report.timings["lecture et validation"] = time.perf_counter() - clock - diffing
    report.timings["comparaison avec la base"] = diffing
    report.issues.extend(row_issues)
    report.issues.extend(diff_issues)
    if report.errors:
        _forget(report)
    report.new.flush()  # all on disk, or all in memory
    if report.ahead is not None:
        report.ahead.finish(len(report.new))
    return report


def _index_ahead(report, root, needs):
    """The spool's listener: the child indexing the new services starts at
    their first spill (a file that never spills needs none), then gets each."""

    def first_spill(path, count):
        try:
            report.ahead = Ahead(root, needs)
        except OSError:  # no child process: the index is built after the commit
            report.new.listener = None
            return
        report.new.listener = report.ahead.spilled
        report.ahead.spilled(path, count)

    return first_spill


def _forget(report):
    """A report with errors writes nothing: drop what it would have written."""
    if report.ahead is not None:
        report.ahead.close()
        report.ahead = None
    report.new.close()
    report.new = Spool(Record, spill=False)
    report.changed, report.unchanged, report.closed = [], [], []
    report.refreshed = []


def _diff(db, records, allowed, report, issues, stored=True, kept=()):
    """Sort a batch of (line, record tuple) into new, changed and unchanged
    services (`stored`: False into an empty table; `kept`: columns left as stored)."""
    existing = fetch_services(db, [r[0] for _, r in records]) if stored else {}
    for line, record in records:
        old = existing.get(record[0])
        if old is None:
            report.new.append(record)
            continue
        record = dict(zip(RECORD_COLUMNS, record, strict=True))
        for column in kept:
            record[column] = old[column]
        if old["structure_id"] != record["structure_id"] and allowed is not None:
            issues.append(
                Issue(
                    f"« {record['id']} » : ce service appartient à la structure "
                    f"« {old['structure_id']} », vous ne pouvez pas le modifier.",
                    line,
                    "id",
                )
            )
            continue
        fields = differences(old, record)
        content = fields
        if report.refresh_date:  # a new date alone leaves the fiche unchanged
            content = [f for f in fields if f[0] != "date_maj"]
        if not content:
            report.unchanged.append(record["id"])
            if fields:
                report.refreshed.append(
                    (record["id"], old["date_maj"], old["modifie_le"])
                )
            continue
        report.changed.append(Change(record, old, fields))
        if record["statut"] == "ferme" and old["statut"] != "ferme":
            report.closed.append(record["id"])


def differences(old, record):
    """[(column, before, after)] between a stored service and a validated
    record; hand-typed coordinates equal to the stored point keep its origin."""
    if record["precision_geo"] == "manuel" and (old["latitude"], old["longitude"]) == (
        record["latitude"],
        record["longitude"],
    ):
        record["precision_geo"] = old["precision_geo"]  # same point, same origin
    return [(c, old[c], record[c]) for c in COMPARED if old[c] != record[c]]


def format_report(report, *, dry_run):
    """The French report printed by the CLI."""
    out = [
        ("Source" if report.genre else "Fichier")
        + f" « {report.filename} » : "
        + plural(report.rows_read, "ligne de services lue", "lignes de services lues")
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
    gone = set(report.gone)
    for change in [c for c in report.changed if c.record["id"] not in gone][:50]:
        names = ", ".join(f for f, _, _ in change.fields)
        out.append(f"  ~ {change.record['id']} : {names}")
    out += external_lines(report)
    if report.refreshed:
        out.append(refreshed_text(report, done=bool(report.import_id)))
    if not report.writes:
        out.append("Aucune modification : la base est déjà à jour.")
    elif dry_run:
        out.append("Essai à blanc : rien n'a été enregistré.")
    elif report.import_id:
        out.append(f"Import n°{report.import_id} enregistré.")
    return "\n".join(out)


def external_lines(report):
    """Closures for absence from the source, and fields kept as corrected here."""
    out = []
    if report.left_out:
        out.append(
            plural(report.left_out, "ligne ignorée", "lignes ignorées")
            + " : voir les avertissements ci-dessus ; les autres sont importées."
        )
    if report.gone:
        out.append(
            f"{len(report.gone)} service fermé car absent de la source (la fiche "
            "est gardée, pas supprimée) :"
            if len(report.gone) == 1
            else f"{len(report.gone)} services fermés car absents de la source "
            "(les fiches sont gardées, pas supprimées) :"
        )
        out += [f"  × {service_id}" for service_id in report.gone[:50]]
    if report.conflicts:
        count = plural(len(report.conflicts), "champ corrigé", "champs corrigés")
        out.append(
            f"{count} localement : la valeur locale est gardée, la source en dit "
            "une autre (à arbitrer dans Administration › Conflits) :"
        )
        out += [
            f"  ~ {c['service_id']} : {c['champ']} gardé (corrigé localement)"
            for c in report.conflicts[:50]
        ]
    return out


def refreshed_text(report, *, done=False):
    """« 3 fiches inchangées : leur date de mise à jour passera au 06/12/2026. »"""
    count = len(report.refreshed)
    year, month, day = report.refresh_date.split("-")
    subject = plural(count, "fiche inchangée", "fiches inchangées")
    owner = "sa" if count == 1 else "leur"
    verb = "est passée" if done else "passera"
    return f"{subject} : {owner} date de mise à jour {verb} au {day}/{month}/{year}."
