"""Read a partner file (CSV or XLSX) into raw rows. No Flask imports.

bytes, a path or a binary file object (read in chunks, never whole: see
`decoding.Source`) → decode (BOM → strict UTF-8 → strict cp1252 → detector)
→ delimiter from the header line → header normalisation → rows keyed by
canonical column names, each with its spreadsheet line number (header = 1).
"""

import csv
import math
import zipfile
from dataclasses import dataclass, field

from ..catalogue.text import CONTROL, clean_text
from ..schema import SERVICE_COLUMNS
from .checks import unguard
from .decoding import MIXED, Source, choose, looks_binary, scan, text_stream
from .header import IGNORE_COLUMN, check_header, normalize_header  # noqa: F401
from .report import Issue

DELIMITERS = {",": "« , » (virgule)", ";": "« ; » (point-virgule)", "\t": "tabulation"}


@dataclass
class Table:
    """What a file holds: canonical headers, data rows and reading issues."""

    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)  # (line number, {column: text})
    issues: list = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    format: str = "csv"
    last_line: int = 0  # last spreadsheet line read, for parser errors
    size: int = 0  # bytes
    sha256: str = ""

    @property
    def blocked(self):
        return any(issue.blocking for issue in self.issues)


EMPTY = (
    "Le fichier est vide. Exportez votre tableau en CSV ou XLSX "
    "avec la ligne d'en-tête et au moins une ligne de service."
)


def megabytes(size):
    """Size in MB, French decimal comma, rounded up (2.01 MB never reads "2,0")."""
    tenths = math.ceil(size / 1024 / 1024 * 10)
    return f"{tenths // 10},{tenths % 10}" if tenths % 10 else str(tenths // 10)


def thousands(number):
    """5000 → '5 000' (French thousands separator)."""
    return f"{number:,}".replace(",", "\u202f")


def clean_cell(value):
    """Text of a cell: control characters out (but tab and line feed, CR LF as
    LF), non-breaking and odd spaces become spaces, then trimmed."""
    if value is None:
        return ""
    text = clean_text(value).replace("\u00a0", " ").replace("\u202f", " ")
    # Our own export's guard against formula injection comes off.
    return unguard(text.replace("\ufeff", "").strip())


COMMENT_LEADS = frozenset('#"\ufeff \t')  # what a comment line may start with


def is_comment(text):
    """A line (or first cell) starting with `#` is a comment: never read.

    The partner template puts its help in such lines (CSV); the rule holds
    anywhere in a file, before or after the header, for CSV and XLSX alike."""
    return text.lstrip('\ufeff \t"').startswith("#")


HELP_WORDS = ("obligatoire", "facultatif", "automatique", "conseillé")
HELP_INITIALS = frozenset("oOfFaAcC")  # a cheap test first: 30 cells a row
HELP_ROWS = 3  # a help row kept by mistake sits just under the header


def looks_like_help(record):
    """True for a row of the template's help texts (« Obligatoire, … » in three
    cells or more), such as an old template's help row kept by mistake."""
    hits = sum(
        1
        for v in record.values()
        if v[:1] in HELP_INITIALS and v[:12].lower().startswith(HELP_WORDS)
    )
    return hits >= 3


def sniff_delimiter(header_line):
    """The delimiter is the most frequent of , ; TAB in the header line."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_file(data, filename="", *, max_bytes, max_rows):
    """Read a file (bytes, a path or a binary file object) into a Table whose
    `rows` are produced lazily: the file is read in chunks, once to check and
    hash it, then again while rows are taken; the header is checked up front,
    and problems met while rows are read are added to `issues` as they come."""
    table, source = Table(), Source(data)
    found = scan(source)
    table.size, table.sha256 = found.size, found.sha256
    head = found.head
    if found.size > max_bytes:
        table.issues.append(
            Issue.file(
                f"Le fichier pèse {megabytes(found.size)} Mo, au-delà de la limite "
                f"de {megabytes(max_bytes)} Mo. Découpez-le en plusieurs fichiers "
                "(par structure, par exemple)."
            )
        )
        return table
    if found.blank:
        table.issues.append(Issue.file(EMPTY))
        return table
    if head.startswith(b"PK\x03\x04") and b"opendocument.spreadsheet" in head[:200]:
        table.issues.append(
            Issue.file(
                "Ce fichier est un classeur LibreOffice (.ods), non pris en charge. "
                "Dans LibreOffice, choisissez « Enregistrer sous » au format Excel "
                "(.xlsx) ou CSV, puis recommencez."
            )
        )
        return table
    if head.startswith(b"PK\x03\x04"):
        table.format = "xlsx"
        raw_rows = _read_xlsx(source, table)
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        table.issues.append(
            Issue.file(
                "Ce fichier est au format Excel 97-2003 (.xls), non pris en charge. "
                "Enregistrez-le au format .xlsx ou CSV puis recommencez."
            )
        )
        return table
    else:
        raw_rows = _read_csv(source, found, table)
    if raw_rows is not None:
        _read_header(raw_rows, table, max_rows)
    return table


def _read_csv(source, found, table):
    """Iterator of (spreadsheet line, cells) over a CSV file, or None."""
    head = found.head
    if looks_binary(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        table.issues.append(
            Issue.file(
                "Ce fichier n'est pas un fichier texte CSV ni un classeur XLSX "
                "(contenu binaire illisible). Exportez votre tableau en CSV "
                "(« CSV UTF-8 » ou « CSV séparateur point-virgule ») ou en XLSX."
            )
        )
        return None
    codec, label = choose(source, found)
    if label is None:
        table.issues.append(
            Issue.file("Encodage du fichier illisible : enregistrez-le en CSV UTF-8.")
        )
        return None
    table.encoding = label
    if label == MIXED:
        table.issues.append(
            Issue(
                "le fichier mélange deux encodages (UTF-8 et Windows-1252) : "
                "vérifiez les accents après l'import, ou enregistrez-le en "
                "« CSV UTF-8 ».",
                blocking=False,
            )
        )
    first = ""
    stream = text_stream(source, codec)
    for first in stream:
        if first.strip("\r\n") and not is_comment(first):
            break
    stream.close()
    table.delimiter = sniff_delimiter(first.lstrip("\ufeff"))
    lines = stream = text_stream(source, codec)
    odd_spaces = True  # UTF-16, mixed or detected codecs: no guess
    if codec in ("utf-8", "utf-8-sig"):
        odd_spaces = found.odd_spaces_utf8
    elif codec == "cp1252":
        odd_spaces = found.odd_spaces
    if odd_spaces:
        # Spaces Excel writes (non-breaking, narrow) become plain spaces, line
        # by line and in C, before the CSV parser splits cells.
        lines = (line.replace("\u00a0", " ").replace("\u202f", " ") for line in lines)
    reader = csv.reader(lines, delimiter=table.delimiter)
    return _csv_records(reader, table, stream)


def _csv_records(reader, table, stream):
    # A spreadsheet row is a CSV record, even when a cell spans several lines.
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        table.issues.append(
            Issue(
                line=table.last_line + 1,
                message=f"ligne illisible ({exc}) : vérifiez les guillemets.",
            )
        )
    finally:
        stream.close()  # the file, when given by its path


def _read_xlsx(source, table):
    """Iterator of (spreadsheet line, cells) over the first or "Services" sheet."""
    table.encoding = "XLSX"
    with source.open() as stream:
        return _read_sheet(stream, table)


def _read_sheet(stream, table):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        table.issues.append(
            Issue.file(
                "Le classeur XLSX est illisible ou endommagé. Ouvrez-le dans votre "
                "tableur et enregistrez-le à nouveau au format .xlsx (ou CSV)."
            )
        )
        return None
    sheet = workbook["Services"] if "Services" in workbook.sheetnames else None
    sheet = sheet or workbook.worksheets[0]
    # Some writers store a wrong sheet size; read-only mode would trust it.
    sheet.reset_dimensions()
    rows = [
        (number, [_xlsx_cell(value) for value in values])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    workbook.close()
    return iter(rows)


def _xlsx_cell(value):
    """Spreadsheet cell → text the validators understand."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_header(raw_rows, table, max_rows):
    """Check the header line, then set `table.rows` to the lazy data rows."""
    header_line, header = None, []
    for number, cells in raw_rows:
        header_line, header = number, [clean_cell(c) for c in cells]
        if any(header) and not is_comment(header[0]):
            break
        header = []
    if not any(header):
        table.issues.append(Issue.file(EMPTY))
        return
    while header and not header[-1]:
        header.pop()
    columns = check_header(header, header_line, table)
    known = set(SERVICE_COLUMNS) | {IGNORE_COLUMN}
    table.columns = [c for c in columns if c in known and c != IGNORE_COLUMN]
    if table.blocked:
        return
    # Unknown and untitled columns are read under a name no validator asks for.
    keys = [c if c in known else None for c in columns]
    table.rows = _data_rows(raw_rows, keys, table, max_rows)


def _data_rows(raw_rows, keys, table, max_rows):
    """Yield (line, {column: text}) for each data row; record reading problems."""
    width, count = len(keys), 0
    ignore, unknown = IGNORE_COLUMN in keys, None in keys
    for number, cells in raw_rows:
        table.last_line = number
        if not any(cells) or (cells[0][:1] in COMMENT_LEADS and is_comment(cells[0])):
            continue  # empty rows, often trailing ones; comment lines
        if len(cells) > width:
            if any(c.strip() for c in cells[width:]):
                if any(cells):
                    table.issues.append(
                        Issue(
                            line=number,
                            message=f"la ligne contient {len(cells)} cellules alors "
                            f"que l'en-tête compte {width} colonnes : une cellule "
                            "contient sans doute un séparateur non protégé par des "
                            "guillemets.",
                        )
                    )
                continue
            cells = cells[:width]
        joined = "".join(cells)  # isprintable (C speed) rules most rows out
        if not joined.isprintable() and CONTROL.search(joined):  # rare
            cells = [clean_text(c) for c in cells]  # no NUL, ESC, CR…
        record = dict(zip(keys, map(str.strip, cells), strict=False))
        if unknown:
            del record[None]
        if not any(record.values()):
            continue  # cells holding only spaces
        if ignore and record.pop(IGNORE_COLUMN, ""):
            continue
        if count < HELP_ROWS and looks_like_help(record):
            table.issues.append(
                Issue(
                    line=number,
                    message="cette ligne ressemble à la ligne d'aide du modèle "
                    "(« Obligatoire », « Facultatif »…) : elle est ignorée. "
                    "Supprimez-la de votre fichier ; l'aide du modèle est dans "
                    "sa feuille « Aide » (XLSX) ou ses lignes # (CSV).",
                    blocking=False,
                )
            )
            continue
        count += 1
        if count > max_rows:
            table.issues.append(
                Issue.file(
                    f"Le fichier compte plus de {thousands(max_rows)} lignes de "
                    "services, la limite d'un import. Découpez-le en plusieurs "
                    "fichiers."
                )
            )
            return
        yield number, record
    if not count and not table.blocked:
        table.issues.append(
            Issue.file(
                "Le fichier ne contient que la ligne d'en-tête : "
                "aucune ligne de service à importer."
            )
        )
