"""The text engine: a Tantivy index of the shown services, on disk beside the
database, one directory per data version, switched atomically.

`current(db)` opens (never rebuilds, unless the index is missing or behind the
database) the index matching the database; `refresh(db)` is called after a
write commits. Builds stream rows from SQLite in one read snapshot into a new
directory, then rename it and replace the `CURRENT` pointer file: a reader
never sees a half-built index. No Flask imports.
"""

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import tantivy

from ..catalogue.services import MULTI
from . import analysis, changes
from .analysis import EXACT, STEM, register
from .hours import data_version
from .lexicon import build_lexicon

FORMAT = "2"  # bump when the schema or the analysis changes: forces a rebuild
HEAP = 64_000_000  # the writer's memory budget, whatever the number of rows
THREADS = 2  # indexing threads (the machine has two cores)
BATCH = 2000  # rows read from SQLite at a time
UPDATE_MAX = 20_000  # changed services an update handles; more: a full build
# Text fields analysed with the French stemmer, and their ranking weight. The
# words of a service's needs (labels, synonyms) are not copied into every
# document: a word found in them matches the need's services (`needs_of`).
BOOSTS = {
    "nom": 10.0,
    "structure": 4.0,
    "commune": 3.0,
    "description": 1.0,
}
EXACT_FIELD = "mots"  # every text, folded but not stemmed: prefixes, typos
RAW_FIELDS = ("besoin", "public", "frais", "modalite", "zone", "accueil")
NO_ZONE = "*"  # zone term of a service without eligibility zone
SHOWN = "statut is not 'ferme' and doublon_de is null"
COLUMNS = (
    "rowid, id, nom, description, structure_nom, commune, besoins, publics,"
    " frais, modalites_acces, zone_eligibilite, modes_accueil, latitude, longitude"
)

logger = logging.getLogger(__name__)
_opened = {}  # index folder -> Engine
_lock = threading.Lock()


def schema():
    """The index schema (one document per shown service)."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("rowid", stored=True, indexed=True, fast=True)
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in BOOSTS:
        builder.add_text_field(name, stored=True, tokenizer_name=STEM)
    builder.add_text_field(EXACT_FIELD, tokenizer_name=EXACT, index_option="freq")
    for name in RAW_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    builder.add_float_field("lat", indexed=True, fast=True)
    builder.add_float_field("lon", indexed=True, fast=True)
    return builder.build()


def folder(db):
    """`<database file>.index`, the folder of every version of the index."""
    path = db.conn.execute("pragma database_list").fetchone()[2]
    if not path:  # an in-memory database: a private temporary folder
        path = Path(tempfile.gettempdir()) / f"annuaire-{os.getpid()}-{id(db.conn)}"
    return Path(f"{path}.index")


def need_texts(db):
    """Need slug → its label and synonyms (indexed with the service's text)."""
    return {
        row["slug"]: f"{row['libelle']} {row['synonymes'] or ''}".strip()
        for row in db.query("select slug, libelle, synonymes from besoins")
    }


def version(db):
    """The data version the index must match: the database's birth (first
    migration), its import journal (an import, edit, cluster change or restore
    adds a row, an undo cancels one) and the needs' words."""
    birth = db.conn.execute(
        "select min(applied_at) from _sqlite_migrations"
    ).fetchone()[0]
    top, undone = data_version(db).split(".")  # the journal, as the columns read it
    needs = hashlib.sha1(
        json.dumps(sorted(need_texts(db).items())).encode()
    ).hexdigest()
    birth = hashlib.sha1(str(birth).encode()).hexdigest()
    return f"v{FORMAT}-{birth[:10]}-{top}-{undone}-{needs[:10]}"


def _split(cell):
    return [v for v in (cell or "").split(MULTI) if v]


def document(row, needs=None):
    """The JSON document of one service row (in COLUMNS order)."""
    (rowid, sid, nom, description, structure, commune, besoins, publics) = row[:8]
    frais, modalites, zone, accueil, latitude, longitude = row[8:]
    slugs = _split(besoins)
    texts = {
        "nom": nom or "",
        "structure": structure or "",
        "commune": commune or "",
        "description": description or "",
    }
    doc = {
        "rowid": rowid,
        "id": sid,
        **texts,
        EXACT_FIELD: "\n".join(texts.values()),
        "besoin": slugs,
        "public": _split(publics),
        "frais": [frais] if frais else [],
        "modalite": _split(modalites),
        "zone": _split(zone) or [NO_ZONE],
        "accueil": _split(accueil),
    }
    if latitude is not None and longitude is not None:
        doc["lat"], doc["lon"] = float(latitude), float(longitude)
    return json.dumps(doc, ensure_ascii=False)


class Engine:
    """An opened index version: its schema, searchers and typo lexicon."""

    def __init__(self, path, name):
        self.name = name
        self.index = tantivy.Index.open(str(path / "main"))
        register(self.index)
        self.index.config_reader(reload_policy="Manual")
        self.schema = self.index.schema
        self.lexicon = tantivy.Index.open(str(path / "lexique"))
        self.lexicon.config_reader(reload_policy="Manual")
        self.lexicon_schema = self.lexicon.schema
        texts = json.loads((path / "besoins.json").read_text(encoding="utf-8"))
        self.need_texts = texts
        # Every match of a text around a place, by (text, place): the map and
        # the list ask the same again; see textsearch.every. Bounded in bytes.
        self.matches = OrderedDict()
        self.matches_bytes = 0
        self.matches_lock = threading.Lock()
        # Per need, the exact and the stemmed words of its label and synonyms.
        self.need_words = {
            slug: (set(analysis.exact.analyze(text)), set(analysis.stem.analyze(text)))
            for slug, text in texts.items()
        }

    def needs_of(self, token, stem, prefix=False):
        """The needs whose words hold this folded token (or stem, or prefix)."""
        return sorted(
            slug
            for slug, (exact, stems) in self.need_words.items()
            if token in exact
            or stem in stems
            or (prefix and any(w.startswith(token) for w in exact))
        )

    def searcher(self):
        return self.index.searcher()


def _read_current(root):
    try:
        return (root / "CURRENT").read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None


@contextmanager
def _locked(root, blocking):
    """The build lock of a folder (released even if the process dies)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "a+b") as handle:
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _open(root, name):
    key = str(root / name)
    engine = _opened.get(key)
    if engine is None:
        with _lock:
            engine = _opened.get(key)
            if engine is None:
                for old in [k for k in _opened if k.startswith(str(root))]:
                    del _opened[old]
                engine = _opened[key] = Engine(root / name, name)
    return engine


def current(db):
    """The Engine matching the database now. When the index is behind (a
    process died between its commit and the switch), rebuild it first; while
    another process is rebuilding, answer from the previous version."""
    root, wanted = folder(db), version(db)
    name = _read_current(root)
    if name == wanted:
        return _open(root, name)
    with _locked(root, blocking=name is None) as mine:
        if mine:
            name = _build_locked(db, root)
        else:
            name = _read_current(root)
    return _open(root, name)


def refresh(db):
    """Bring the index up to the database's data version (after a commit);
    returns the version name. Waits for a build running elsewhere."""
    root = folder(db)
    if _read_current(root) == version(db):
        return _read_current(root)
    with _locked(root, blocking=True):
        return _build_locked(db, root)


def after_commit(db):
    """Refresh the index once a write has committed (not inside an outer
    transaction). A failure leaves the write done: the next search, seeing the
    index behind, rebuilds it."""
    if db.conn.in_transaction:
        return
    try:
        refresh(db)
    except (OSError, ValueError) as exc:
        logger.warning("Index de recherche non reconstruit : %s", exc)


# Test hook: called between the new version's build and the pointer switch.
before_switch = None


def _build_locked(db, root):
    """Build the index of the database's current snapshot (lock held)."""
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("begin")  # one read snapshot for the version and the rows
    try:
        name = version(db)
        if _read_current(root) == name and (root / name).is_dir():
            return name
        for stale in root.glob("tmp-*"):  # left by a process that died
            shutil.rmtree(stale, ignore_errors=True)
        work = root / f"tmp-{uuid.uuid4().hex}"
        previous = _read_current(root)
        ids = _changed(db, root, previous, name)
        if ids is None:
            _write(db, work)
        else:
            _update(db, root / previous, work, ids)
        (work / "etat.json").write_text(json.dumps(changes.state(db)), "utf-8")
    finally:
        if own:
            conn.execute("commit")
    target = root / name
    if target.exists():
        shutil.rmtree(target)
    os.rename(work, target)
    if before_switch is not None:
        before_switch()
    pointer = root / f"CURRENT.{uuid.uuid4().hex}"
    pointer.write_text(name, encoding="ascii")
    previous = _read_current(root)
    os.replace(pointer, root / "CURRENT")
    for old in root.iterdir():  # keep the new and the previous version only
        if old.is_dir() and old.name not in (name, previous):
            if not old.name.startswith("tmp-"):
                shutil.rmtree(old, ignore_errors=True)
    return name


def _write(db, work):
    """Stream the shown services into a new index at `work`, then its lexicon."""
    (work / "main").mkdir(parents=True)
    index = tantivy.Index(schema(), path=str(work / "main"), reuse=False)
    register(index)
    writer = index.writer(heap_size=HEAP, num_threads=THREADS)
    needs = need_texts(db)
    (work / "besoins.json").write_text(json.dumps(needs), encoding="utf-8")
    cursor = db.conn.execute(f"select {COLUMNS} from services where {SHOWN}")
    while rows := cursor.fetchmany(BATCH):
        for row in rows:
            writer.add_json(document(row, needs))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    build_lexicon(index.searcher(), EXACT_FIELD, work / "lexique", needs)


def _changed(db, root, previous, name):
    """Ids of the services changed since the `previous` version, when an update
    of it is possible and worth it (else None: a full build)."""
    if not previous or not (root / previous / "etat.json").is_file():
        return None
    if previous.split("-")[:2] + previous.split("-")[4:] != (
        name.split("-")[:2] + name.split("-")[4:]
    ):
        return None  # another format, database or needs' words
    state = json.loads((root / previous / "etat.json").read_text("utf-8"))
    ids = changes.since(db, state)
    if ids is None or len(ids) > UPDATE_MAX:
        return None
    return ids


def _update(db, previous, work, ids):
    """A new version = the previous one (files hard-linked: segments are never
    rewritten) minus the documents of `ids`, plus their current rows."""
    for part in ("main", "lexique"):
        (work / part).mkdir(parents=True)
        for file in (previous / part).iterdir():
            if file.is_file() and not file.name.endswith(".lock"):
                os.link(file, work / part / file.name)
    shutil.copyfile(previous / "besoins.json", work / "besoins.json")
    index = tantivy.Index.open(str(work / "main"))
    register(index)
    writer = index.writer(heap_size=HEAP // 2, num_threads=1)
    needs = need_texts(db)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for sid in chunk:
            writer.delete_documents_by_term("id", sid)
        marks = ",".join("?" * len(chunk))
        for row in db.conn.execute(
            f"select {COLUMNS} from services where {SHOWN} and id in ({marks})", chunk
        ):
            writer.add_json(document(row, needs))
    writer.commit()
    writer.wait_merging_threads()


def documents(db):
    """{rowid: stored fields} of every document of the current index (tests)."""
    engine = current(db)
    searcher = engine.searcher()
    found = {}
    if not searcher.num_docs:
        return found
    hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
    for _, address in hits:
        doc = searcher.doc(address).to_dict()
        found[doc["rowid"][0]] = {k: v[0] if v else None for k, v in doc.items()}
    return found
