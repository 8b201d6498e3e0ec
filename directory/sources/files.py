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


CHUNK_CHARS = 1 << 20  # characters read at a time from a streamed JSON array
WHITESPACE = re.compile(r"[ \t\n\r]*")
NUMBER_START = frozenset("-0123456789")
NUMBER_END = re.compile(r"[,\]\s]")


def starts_with_array(path):
    """True when the file holds a JSON array (an open-data dump)."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(BOM):
        head = head[len(BOM) :]
    return head[LEADING_SPACE.match(head).end() :][:1] == b"["


def stream_json_array(path, name):
    """The records of a JSON array file, one at a time: a national dump (tens
    of megabytes) is never held whole, as text or as objects. Raises Unreadable
    (invalid, truncated, not UTF-8) when the fault is reached."""
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = _Chunks(f, name)
        pos = reader.skip_space(0) + 1  # past the « [ » (starts_with_array)
        expect_value, first = True, True
        while True:
            pos = reader.skip_space(pos)
            char = reader.text[pos]
            if char == "]" and (first or not expect_value):
                reader.check_end(pos + 1)
                return
            if char == "," and not expect_value:
                pos, expect_value = pos + 1, True
                continue
            if not expect_value:
                raise Unreadable(
                    f"{name} : JSON invalide ligne {reader.line(pos)} (« , » ou "
                    "« ] » attendu entre deux éléments)."
                )
            if char in NUMBER_START:  # a number may go on in the next chunk
                while not reader.eof and not NUMBER_END.search(reader.text, pos):
                    pos = reader.more(pos)
            try:
                record, end = decoder.raw_decode(reader.text, pos)
            except json.JSONDecodeError as exc:
                if reader.eof:
                    raise reader.error(exc) from None
                pos = reader.more(pos)  # the element goes on in the next chunk
                continue
            if end == len(reader.text) and not reader.eof:
                pos = reader.more(pos)  # a value cut at the chunk's end: again
                continue
            yield record
            pos, expect_value, first = end, False, False


class _Chunks:
    """A growing window over a text file, for `stream_json_array`."""

    def __init__(self, f, name):
        self.f, self.name = f, name
        self.text, self.eof, self.lines_before = "", False, 0

    def more(self, pos=0):
        """Read one more chunk, dropping what is before `pos`; the new pos."""
        try:
            chunk = self.f.read(CHUNK_CHARS)
        except UnicodeDecodeError as exc:
            raise _not_utf8(self.name, exc) from None
        if not chunk:
            self.eof = True
            return pos
        if pos:
            self.lines_before += self.text.count("\n", 0, pos)
            self.text = self.text[pos:]
        self.text += chunk
        return 0

    def skip_space(self, pos):
        """The position of the next non-blank character, read as needed."""
        while True:
            pos = WHITESPACE.match(self.text, pos).end()
            if pos < len(self.text):
                return pos
            pos = self.more(pos)
            if self.eof:
                raise Unreadable(
                    f"{self.name} : JSON incomplet, le fichier semble tronqué "
                    f"(ligne {self.line(pos)})."
                )

    def line(self, pos):
        return self.lines_before + self.text.count("\n", 0, pos) + 1

    def error(self, exc):
        """At the end of the file: a JSON fault, or a cut (truncated) file."""
        if exc.pos >= len(self.text.rstrip()) - 1 or exc.msg.startswith("Unterminated"):
            return Unreadable(
                f"{self.name} : JSON incomplet, le fichier semble tronqué "
                f"(ligne {self.line(exc.pos)})."
            )
        return Unreadable(
            f"{self.name} : JSON invalide ligne {self.line(exc.pos)}, colonne "
            f"{exc.colno} ({exc.msg})."
        )

    def check_end(self, pos):
        while True:
            pos = WHITESPACE.match(self.text, pos).end()
            if pos < len(self.text):
                raise Unreadable(
                    f"{self.name} : JSON invalide ligne {self.line(pos)} (des données "
                    "suivent la fin du tableau)."
                )
            pos = self.more(pos)
            if self.eof:
                return


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
