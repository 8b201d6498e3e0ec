"""Parse data·inclusion files (bytes) into records: JSON arrays, JSON lines, CSV
as published, saved API pages and search answers. No Flask."""

import csv
import io
import json
import re
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"
LEADING_SPACE = re.compile(rb"\s*")


class Unreadable(Exception):
    """The whole file cannot be read (French message)."""


def _json_error(name, exc, text):
    if exc.pos >= len(text.rstrip()) - 1:
        return Unreadable(
            f"{name} : JSON incomplet, le fichier semble tronqué (ligne {exc.lineno})."
        )
    return Unreadable(
        f"{name} : JSON invalide ligne {exc.lineno}, colonne {exc.colno} ({exc.msg})."
    )


def items_of_document(document, name):
    """The records of a parsed JSON document: an array, a `/services` page
    ({"items": […]}), a `/search/services` answer (items {"service": …})."""
    if isinstance(document, list):
        items = document
    elif isinstance(document, dict) and isinstance(document.get("items"), list):
        items = document["items"]
    elif isinstance(document, dict) and ("id" in document or "nom" in document):
        items = [document]
    else:
        raise Unreadable(
            f"{name} : format inconnu (ni tableau JSON, ni réponse de l'API "
            "data·inclusion avec « items »)."
        )
    return [
        item["service"]
        if isinstance(item, dict) and isinstance(item.get("service"), dict)
        else item
        for item in items
    ]


def parse_file(data, name):
    """(records, issues) of a file's bytes; raises Unreadable.

    JSON is parsed from the bytes (no decoded copy of a large dump is kept);
    JSON lines and CSV are decoded first."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    start = LEADING_SPACE.match(data).end()
    first = data[start : start + 1]
    if not first:
        raise Unreadable(f"{name} : fichier vide.")
    if first in (b"[", b"{"):
        try:
            return items_of_document(json.loads(data), name), []
        except UnicodeDecodeError as exc:
            raise _not_utf8(name, exc) from None
        except json.JSONDecodeError as exc:
            text = exc.doc
            lines = text.splitlines()
            head = text.lstrip().split("\n", 1)[0]
            if first == b"{" and len(lines) > 1 and _is_json_line(head):
                return _json_lines(lines, name, text)
            raise _json_error(name, exc, text) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(name, exc) from None
    return _csv(text, name), []


def _not_utf8(name, exc):
    return Unreadable(f"{name} : le fichier n'est pas en UTF-8 (octet {exc.start}).")


def _is_json_line(line):
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _json_lines(lines, name, text):
    records, issues = [], []
    numbered = [(n, ln) for n, ln in enumerate(lines, start=1) if ln.strip()]
    for position, (number, line) in enumerate(numbered, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if position == len(numbered) and not text.endswith("\n"):
                raise Unreadable(
                    f"{name} : dernière ligne incomplète, le fichier semble "
                    f"tronqué (ligne {number})."
                ) from None
            records.append(LineError(number))
    return records, issues


@dataclass
class LineError:
    """A JSON line that could not be parsed (kept to report its position)."""

    number: int


def _csv(text, name):
    sample = text[:4096]
    header = sample.splitlines()[0] if sample else ""
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        fields = set(reader.fieldnames or ())
        if not {"id", "nom"} <= fields:
            raise Unreadable(
                f"{name} : format inconnu (ni JSON, ni CSV avec les colonnes « id » "
                "et « nom » de data·inclusion)."
            )
        return [
            {k: v for k, v in row.items() if k and v not in (None, "")}
            for row in reader
        ]
    except csv.Error as exc:  # e.g. a cell over the csv module's size limit
        raise Unreadable(
            f"{name} : CSV illisible ligne {reader.line_num} ({exc})."
        ) from None


def is_services(records):
    """True when most records are services (they name their structure)."""
    dicts = [r for r in records if isinstance(r, dict)]
    services = sum(
        1 for r in dicts if "structure_id" in r or isinstance(r.get("structure"), dict)
    )
    return bool(dicts) and services * 2 >= len(dicts)
