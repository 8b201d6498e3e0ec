"""Rows from an external source (data·inclusion) through the import engine.

`prepare_external` validates rows already mapped to our columns with the CSV
import's RowValidator, leaves bad rows out (a national aggregate always has
some) instead of refusing everything, diffs against the database, closes the
services the source no longer lists and keeps the fields partners corrected
(module `conflicts`). `engine.apply` writes the report in one transaction,
audited and undoable like a CSV import. No Flask imports.
"""

import hashlib
import re
import time

from ..catalogue.bulk import cycles_unchecked
from ..catalogue.services import MULTI
from ..catalogue.text import CONTROL, clean_text
from ..schema import PROVENANCE_COLUMNS
from .apply import SOURCE
from .checks import check_url
from .conflicts import keep_local_fields, reopened_locally
from .engine import Change, ImportReport, differences
from .records import CHUNK, Record, check_structure, fetch_services
from .report import Issue, problem
from .validate import RowValidator

# Provenance the diff compares; `origine` and `importe_le` say when and from
# what the row was written, they never make a change by themselves.
PROVENANCE_COMPARED = [
    c for c in PROVENANCE_COLUMNS if c not in ("origine", "importe_le")
]
# What a source often does not know: left empty rather than refusing the row.
OPTIONAL = ("frais", "modalites_acces")
SIRET_RE = re.compile(r"\d{14}")
# Most links are plain: no need for check_url's parsing (same verdict).
PLAIN_URL = re.compile(r"https?://[^\s/?#]*\.[^\s/?#]*([/?#]\S*)?", re.I)


class ExternalValidator(RowValidator):
    """The CSV import's validator, with the cells a source may lack optional."""

    def __init__(self, besoins, geocoder, **options):
        super().__init__(besoins, geocoder, **options)
        self._plan = [
            (step, column, _optional(check) if column in OPTIONAL else check, default)
            for step, column, check, default in self._plan
        ]


def _optional(check):
    return lambda value: check(value) if value else (None, ())


@cycles_unchecked()  # many records alive, no cycle among them
def prepare_external(
    db,
    rows,
    *,
    origin,
    sources,
    seen_ids,
    geocoder,
    besoins,
    territory="15",
    today=None,
    progress=None,
):
    """Validate and diff external rows against the database. No writes.

    :param rows: [(line, raw)], raw: our CSV columns and the provenance ones, as text.
    :param origin: what the rows come from (« API data·inclusion », a file name).
    :param sources: the source ids (`source` column) this run covers: their
        services absent from `seen_ids` (and from `rows`) are closed.
    """
    clock = time.perf_counter()
    digest, size = hashlib.sha256(), 0
    validator = ExternalValidator(besoins, geocoder, territory=territory, today=today)
    report = ImportReport(origin, "", 0, genre=SOURCE)
    records, first_line, names, issues, labels = [], {}, {}, [], {}
    seen = set(seen_ids or ())
    done = 0
    for done, (line, given) in enumerate(rows, start=1):  # noqa: B007
        raw = cleaned(given)
        data = "\x1f".join(raw.values()).encode()
        digest.update(data + b"\x1e")
        size += len(data) + 1
        service_id = raw.get("id")
        if service_id:
            seen.add(service_id)
        record, row_issues = validator.validate(line, raw)
        if service_id in first_line:
            record, row_issues = (
                None,
                [
                    Issue(
                        f"« {service_id} » : identifiant déjà utilisé ligne "
                        f"{first_line[service_id]}."
                    )
                ],
            )
        elif service_id:
            first_line[service_id] = line
        if record is None:
            issues.append(left_out(line, service_id, row_issues))
            report.left_out += 1
        else:
            issues.extend(row_issues)
            check_provenance(line, raw, record, issues)
            if check_structure(record, line, None, names, issues, report):
                needs = record["besoins"]
                if needs not in labels:
                    labels[needs] = MULTI.join(
                        besoins.labels[n] for n in needs.split(MULTI)
                    )
                record["besoins_libelles"] = labels[needs]
                record["origine"] = origin
                records.append(Record.of(record))
        if progress and done % 1000 == 0:
            progress(1000)
    if progress:
        progress(done % 1000)
    report.rows_read, report.sha256, report.size = done, digest.hexdigest(), size
    report.issues.extend(issues)
    report.timings["lecture et validation"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _diff(db, records, origin, report)
    close_absent(db, sources, seen, report)
    report.timings["comparaison avec la base"] = time.perf_counter() - clock
    return report


def cleaned(given):
    """A row's cells as the CSV reader leaves them: text without control
    characters (but tab and line feed), trimmed."""
    values = [
        v if type(v) is str else "" if v is None else str(v) for v in given.values()
    ]
    joined = "".join(values)  # isprintable (C speed) rules most rows out
    if not joined.isprintable() and CONTROL.search(joined):  # rare
        values = [clean_text(v) for v in values]
    return dict(zip(given, map(str.strip, values), strict=True))


def left_out(line, service_id, issues):
    """One warning for a row left out: « ligne 12 ignorée (…) : the problems »."""
    problems = " ; ".join(
        (f"colonne {i.column} : " if i.column else "") + i.text.rstrip(" .")
        for i in issues
        if i.blocking
    )
    who = f" (service « {service_id} »)" if service_id else ""
    return Issue(f"ligne {line} ignorée{who} : {problems}.", blocking=False)


def check_provenance(line, raw, record, issues):
    """Normalise the provenance cells of a valid row; a bad value is dropped
    with a warning (the service itself is fine)."""
    for column in ("id_source", "justificatifs", "mobilisation_precisions"):
        record[column] = raw.get(column) or None
    found = []
    link = raw.get("lien_source")
    record["lien_source"] = None
    if link:
        value, error, _ = (
            (link, None, None) if PLAIN_URL.fullmatch(link) else check_url(link)
        )
        if error:
            found.append(problem("lien_source", f"{error} Lien ignoré.", link))
        else:
            record["lien_source"] = value
    record["score_qualite"] = None
    score = raw.get("score_qualite")
    if score:
        try:
            number = float(score.replace(",", "."))
        except ValueError:
            number = None
        if number is not None and 0 <= number <= 1:
            record["score_qualite"] = number
        else:
            found.append(
                problem(
                    "score_qualite",
                    "score invalide (un nombre entre 0 et 1) : ignoré.",
                    score,
                )
            )
    siret = raw.get("siret")
    record["siret"] = None
    if siret:
        digits = re.sub(r"[\s.]", "", siret)
        if SIRET_RE.fullmatch(digits):
            record["siret"] = digits
        else:
            found.append(
                problem("siret", "SIRET invalide (14 chiffres) : ignoré.", siret)
            )
    issues.extend(
        Issue(message, line, column, blocking=False) for column, message, _, _ in found
    )


def _diff(db, records, origin, report):
    pending = []
    # By chunks: a re-import of 50 000 rows never holds them all twice.
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        existing = fetch_services(db, [r[0] for r in chunk])
        for record in chunk:
            old = existing.get(record[0])
            if old is None:
                report.new.append(record)
                continue
            record = record.as_dict()
            fields = differences(old, record) + [
                (c, old[c], record[c])
                for c in PROVENANCE_COMPARED
                if old[c] != record[c]
            ]
            if fields:
                pending.append((record, old, fields))
            else:
                report.unchanged.append(record["id"])
    # Partners win: fields they corrected last are kept, conflicts noted.
    keep_local_fields(db, pending, report)
    for record, old, fields in pending:
        if not fields:
            report.unchanged.append(record["id"])
            continue
        if old["origine"] != origin:
            fields.append(("origine", old["origine"], origin))
        report.changed.append(Change(record, old, fields))
        if record["statut"] == "ferme" and old["statut"] != "ferme":
            report.closed.append(record["id"])


def close_absent(db, sources, seen, report):
    """Close (never delete) the services an earlier import of these sources
    wrote, which the source no longer lists (but those a partner reopened)."""
    sources = sorted(set(sources or ()))
    if not sources:
        return
    marks = ",".join("?" * len(sources))
    ids = [
        row["id"]
        for row in db.query(
            f"select id from services s where source in ({marks})"
            " and statut != 'ferme' and origine is not null and exists (select 1"
            " from changes c join imports i on i.id = c.import_id"
            " where c.service_id = s.id and i.statut = 'applique'"
            " and i.genre = ?) order by id",
            [*sources, SOURCE],
        )
        if row["id"] not in seen
    ]
    for start in range(0, len(ids), CHUNK):
        found = fetch_services(db, ids[start : start + CHUNK])
        kept = reopened_locally(db, found, report)  # partners win here too
        for service_id in ids[start : start + CHUNK]:
            if service_id in kept:
                continue
            old = found[service_id]
            record = dict(old, statut="ferme")
            report.changed.append(
                Change(record, old, [("statut", old["statut"], "ferme")])
            )
            report.closed.append(service_id)
            report.gone.append(service_id)
