"""One service edited in a form, checked and written exactly like an import.

The form's values replace the cells of the service's own row; the row goes
through the import's RowValidator, and the change is a one-row ImportReport
that `apply` writes in one transaction with its audit trail (so it shows in
the history and `undo` reverts it). No Flask imports.
"""

import hashlib
import json

from ..catalogue.services import MULTI
from ..schema import SERVICE_COLUMNS
from .engine import Change, ImportReport, differences
from .read import clean_cell

LINE = 1  # the form is a file of one row
PLACE = ("adresse", "code_postal", "commune")
POINT = ("latitude", "longitude")


def raw_row(service):
    """A stored service as the text row an import file would carry."""
    return {
        c: "" if service.get(c) is None else str(service[c]) for c in SERVICE_COLUMNS
    }


def prepare_edit(service, values, *, validator, besoins, today, label):
    """A one-row report: the service with `values` (column → text) in place of
    its own cells, validated as an import row, diffed against the stored row.

    date_maj becomes `today` (the partner has just checked the fiche); the INSEE
    code follows the commune; when the place changes but the point was left as
    it was, the point is located again from the new place.
    """
    raw = raw_row(service)
    before = dict(raw)
    raw.update({column: clean_cell(value) for column, value in values.items()})
    raw["date_maj"] = today.isoformat()
    raw["code_insee"] = ""
    moved = any(raw[c] != before[c] for c in PLACE)
    if moved and all(raw[c] == before[c] for c in POINT):
        raw["latitude"] = raw["longitude"] = ""
    data = json.dumps(raw, ensure_ascii=False, sort_keys=True).encode()
    report = ImportReport(label, hashlib.sha256(data).hexdigest(), len(data))
    report.rows_read = 1
    record, issues = validator.validate(LINE, raw)
    report.issues.extend(issues)
    if record is None:
        return report
    record["besoins_libelles"] = MULTI.join(
        besoins.labels[n] for n in record["besoins"].split(MULTI)
    )
    fields = differences(service, record)
    if any(name != "date_maj" for name, _, _ in fields):
        report.changed.append(Change(record, service, fields))
        if record["statut"] == "ferme" and service["statut"] != "ferme":
            report.closed.append(record["id"])
    else:
        report.unchanged.append(record["id"])
    return report


def issues_by_column(report):
    """{column: [French texts]} of the report's issues (errors and warnings)."""
    found = {}
    for issue in report.issues:
        found.setdefault(issue.column, []).append(issue.text)
    return found
