"""Service rows → CSV bytes for French Excel. No Flask imports.

`;` separator, UTF-8 with BOM, CRLF, phones in national format, and text cells
that a spreadsheet would run as a formula prefixed with an apostrophe.
"""

import csv
import io

import phonenumbers

from ..schema import SERVICE_COLUMNS

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Where each row comes from (issue 11), after the data/services.csv columns:
# the open-data exports carry them; the CSV import ignores them.
PROVENANCE_EXPORT = ("lien_source", "origine", "importe_le")


def escape_formula(value):
    """Prefix text that Excel/LibreOffice would evaluate (=, +, -, @, TAB, CR)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def national_phone(value):
    """'+33471462020' → '04 71 46 20 20'; short numbers (115) unchanged."""
    if not value or not value.startswith("+"):
        return value
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def export_rows(rows, columns=None):
    """Write rows (dicts) as Excel-FR CSV bytes with the data/services.csv header."""
    columns = columns or list(SERVICE_COLUMNS)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column)
            if column == "telephone":
                value = national_phone(value)
            values.append("" if value is None else escape_formula(value))
        writer.writerow(values)
    return buffer.getvalue().encode("utf-8-sig")
