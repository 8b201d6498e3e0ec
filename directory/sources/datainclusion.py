"""Read data·inclusion structures and services (open-data files or the API) into
a SourceBatch of rows in our CSV columns, ready for the import engine. No Flask.

Files: JSON arrays (structures.json, services.json), JSON lines, CSV as
published, saved `/api/v1/services` pages and `/api/v1/search/services`
answers. Which file holds structures and which services is read from content.
"""

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from ..imports.report import Issue, plural
from .client import ClientError, DataInclusionClient
from .convert import Converter, as_text
from .files import (
    LineError,
    Unreadable,
    is_services,
    parse_file,
    starts_with_array,
    stream_json_array,
)
from .mapping import default_tables

LINE_UNREADABLE = "ligne illisible"
NOT_REQUESTED = "source non demandée"
INCOMPLETE = "service incomplet"
REPEATED = "service en double dans les données"
HEAD = 20  # first records of a streamed dump that tell structures from services
MAX_LOOKUPS = 500  # structures asked for one by one, at most


@dataclass
class SourceBatch:
    """What a source gave: rows for the engine, issues, and what was left out."""

    rows: list = field(default_factory=list)  # [(line, raw row)]
    issues: list = field(default_factory=list)  # imports.report.Issue
    left_out: dict = field(default_factory=dict)  # French reason → count
    sources: set = field(default_factory=set)  # data·inclusion source ids seen
    seen_ids: set = field(default_factory=set)  # our ids of in-territory services
    origin: str = ""

    @property
    def blocked(self):
        """True when the input could not be read: nothing must be written."""
        return any(issue.blocking for issue in self.issues)

    def take_rows(self):
        """The rows, handed over once: each leaves the batch as it is read, so
        a large import never holds the raw rows and their records whole."""
        rows, self.rows = self.rows, []
        return _draining(rows)

    def leave_out(self, reason):
        self.left_out[reason] = self.left_out.get(reason, 0) + 1

    def left_out_text(self):
        """« 12 services laissés de côté : hors du territoire (9), … » or ''."""
        total = sum(self.left_out.values())
        if not total:
            return ""
        subject = plural(total, "service laissé de côté", "services laissés de côté")
        reasons = sorted(self.left_out.items(), key=lambda kv: (-kv[1], kv[0]))
        return f"{subject} : " + ", ".join(f"{why} ({n})" for why, n in reasons) + "."


# -- building a batch -----------------------------------------------------------


class _Builder:
    def __init__(self, *, territory, gazetteer, sources, today, tables):
        self.batch = SourceBatch()
        self.wanted = set(sources) if sources else None
        self.converter = Converter(
            tables or default_tables(),
            territory=territory,
            gazetteer=gazetteer,
            today=today,
        )
        self.structures = {}  # (source, id) and id → structure dict
        self.lines = {}  # our id → line first seen
        self.position = 0

    def add_structures(self, records):
        for record in records:
            if not isinstance(record, dict) or not as_text(record.get("id")):
                continue
            key = as_text(record.get("id"))
            self.structures[as_text(record.get("source")), key] = record
            self.structures.setdefault(("", key), record)

    def missing_structures(self, records, limit=MAX_LOOKUPS):
        """Ids of the structures named by services but not read (at most
        `limit`, sorted): the API is asked for each."""
        missing = set()
        for record in records:
            if not isinstance(record, dict) or self._structure(record) is not None:
                continue
            if self.wanted is not None and as_text(record.get("source")) not in (
                self.wanted
            ):
                continue
            if ident := as_text(record.get("structure_id")):
                missing.add(ident)
        return sorted(missing)[:limit]

    def _structure(self, service):
        nested = service.get("structure")
        if isinstance(nested, dict):
            return nested
        key = as_text(service.get("structure_id"))
        source = as_text(service.get("source"))
        return self.structures.get((source, key)) or self.structures.get(("", key))

    def add_services(self, records, where):
        """Convert service records (a list, emptied as it goes, or a stream):
        a large dump's records and our rows never both stay whole in memory."""
        batch = self.batch
        for index, record in enumerate(_draining(records), start=1):
            self.position += 1
            line = self.position
            if not isinstance(record, dict):
                what = (
                    f"ligne {record.number} illisible (JSON invalide)"
                    if isinstance(record, LineError)
                    else "n'est pas un objet JSON"
                )
                self._warn(f"{where}, service n° {index} : {what}", line)
                batch.leave_out(LINE_UNREADABLE)
                continue
            source = as_text(record.get("source"))
            if self.wanted is not None and source not in self.wanted:
                batch.leave_out(NOT_REQUESTED)
                continue
            missing = [f for f in ("id", "nom") if not as_text(record.get(f))]
            converted = None
            if as_text(record.get("id")):
                converted = self.converter.convert(record, self._structure(record))
                if converted.in_territory:  # seen, even if unusable: not closed
                    batch.seen_ids.add(converted.id)
                    batch.sources.add(source)
            if missing:
                label = " ni ".join(f"« {f} »" for f in missing)
                self._warn(f"{where}, service n° {index} : pas de {label}", line)
                batch.leave_out(INCOMPLETE)
                continue
            if converted.row is None:
                batch.leave_out(converted.reason)
                continue
            first = self.lines.setdefault(converted.id, line)
            if first != line:
                self._warn(
                    f"{where}, service n° {index} : « {record.get('id')} » déjà lu "
                    f"(service n° {first}) ; seule la première version est gardée",
                    line,
                )
                batch.leave_out(REPEATED)
                continue
            batch.rows.append((line, converted.row))

    def _warn(self, message, line):
        self.batch.issues.append(
            Issue(f"{message} ; service laissé de côté.", line, blocking=False)
        )

    def block(self, message):
        self.batch.issues.append(Issue.file(message))
        self.batch.rows = []
        return self.batch


def load_files(
    paths,
    *,
    territory="15",
    gazetteer=None,
    sources=None,
    today=None,
    tables=None,
):
    """A SourceBatch from data·inclusion files (structures and services, in any
    order); a file that cannot be read blocks the whole batch."""
    builder = _Builder(
        territory=territory,
        gazetteer=gazetteer,
        sources=sources,
        today=today,
        tables=tables,
    )
    names = [Path(p).name for p in paths]
    # « data·inclusion » marks the rows as external (catalogue.matching)
    builder.batch.origin = "data·inclusion : " + ", ".join(names)
    parsed = []  # (name, records or None when streamed, path, first records)
    for path, name in zip(paths, names, strict=True):
        try:
            if starts_with_array(path):  # a dump: streamed, its head tells its kind
                head = list(itertools.islice(stream_json_array(path, name), HEAD))
                parsed.append((name, None, path, head))
            else:
                records, _ = parse_file(Path(path).read_bytes(), name)
                parsed.append((name, records, path, records))
        except OSError as exc:
            return builder.block(f"{name} : lecture impossible ({exc.strerror}).")
        except Unreadable as exc:
            return builder.block(str(exc))
    try:
        service_files = []
        for name, records, path, head in parsed:
            if records is None:
                records = stream_json_array(path, name)
            if is_services(head):
                service_files.append((name, records))
            else:
                builder.add_structures(records)
        if not service_files:
            return builder.block(
                "Aucun fichier de services data·inclusion parmi : "
                + ", ".join(names)
                + "."
            )
        for name, records in service_files:
            builder.add_services(records, name)
    except Unreadable as exc:  # met while streaming a dump
        return builder.block(str(exc))
    return builder.batch


def _draining(records):
    """Iterate over records; a list is emptied as it goes."""
    if not isinstance(records, list):
        yield from records
        return
    for index, record in enumerate(records):
        records[index] = None
        yield record


def load_api(
    base_url,
    token,
    *,
    territory="15",
    gazetteer=None,
    sources=None,
    today=None,
    progress=None,
    page_size=1000,
    timeout=30,
    retries=4,
    backoff=1.0,
    max_page_bytes=50 * 1024 * 1024,
    tables=None,
):
    """A SourceBatch from the data·inclusion API (structures then services of the
    territory's département); any failure of the API blocks the whole batch."""
    builder = _Builder(
        territory=territory,
        gazetteer=gazetteer,
        sources=sources,
        today=today,
        tables=tables,
    )
    builder.batch.origin = f"API data·inclusion ({base_url})"
    client = DataInclusionClient(
        base_url,
        token,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        page_size=page_size,
        max_page_bytes=max_page_bytes,
    )
    try:
        structures = client.fetch_all(
            "structures", territory, sources=sources, progress=progress
        )
        builder.add_structures(item for _, item in structures)
        services = client.fetch_all(
            "services", territory, sources=sources, progress=progress
        )
        # A service of the département may belong to a structure of another one
        # (a regional agency): that structure is asked for by its id.
        for ident in builder.missing_structures(item for _, item in services):
            builder.add_structures([client.fetch_one("structures", ident)])
    except ClientError as exc:
        return builder.block(str(exc))
    finally:
        client.close()
    for page, group in _by_page(services):
        builder.add_services(group, f"API, page {page} des services")
    return builder.batch


def _by_page(items):
    pages = {}
    for page, item in items:
        pages.setdefault(page, []).append(item)
    return sorted(pages.items())
