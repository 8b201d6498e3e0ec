"""The text engine: a Tantivy index of the shown services, on disk beside the
database, one directory per data version, switched atomically.

`current(db)` opens (never rebuilds, unless the index is missing or behind the
database) the index matching the database; `refresh(db)` is called after a
write commits. Builds stream rows from SQLite in one read snapshot into a new
directory, then rename it and replace the `CURRENT` pointer file: a reader
never sees a half-built index. Each version also holds the columns of
the services (module `columns`), written in the same pass over the rows and
memory-mapped by the workers. No Flask imports.
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
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import tantivy

from . import analysis, changes, columns
from .ahead import PREFIX as AHEAD
from .ahead import Mismatch
from .ahead import sweep as sweep_ahead
from .analysis import register
from .documents import (  # noqa: F401 (the index's fields, used by the queries)
    BOOSTS,
    COLUMNS,
    EXACT_FIELD,
    NAME_FIELD,
    NO_ZONE,
    SHOWN,
    TEXTS,
    Documents,
    need_slugs,
    need_texts,
    schema,
)
from .hours import data_version
from .lexicon import build_lexicon, update_lexicon
from .patch import patch

FORMAT = "4"  # bump when the schema or the analysis changes: forces a rebuild
HEAP = 64_000_000  # the writer's memory budget, whatever the number of rows
THREADS = 2  # indexing threads (the machine has two cores)
BATCH = 2000  # rows read from SQLite at a time
UPDATE_MAX = 20_000  # changed services an update handles; more: a full build
logger = logging.getLogger(__name__)
_opened = {}  # index folder -> Engine
_versions = {}  # (database, journal) -> version name: see `_wanted`
_seen = weakref.WeakKeyDictionary()  # Database -> (its commits seen, _wanted)
_lock = threading.Lock()


def folder(db):
    """`<database file>.index`, the folder of every version of the index."""
    path = db.conn.execute("pragma database_list").fetchone()[2]
    if not path:  # an in-memory database: a private temporary folder
        path = Path(tempfile.gettempdir()) / f"annuaire-{os.getpid()}-{id(db.conn)}"
    return Path(f"{path}.index")


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


class Engine:
    """An opened index version: its schema, searchers and typo lexicon."""

    def __init__(self, path, name):
        self.name, self.path = name, path
        self.columns = {}  # need slugs -> search.index.SearchIndex
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


def _wanted(db):
    """(folder, version) of the database. On a connection that has seen no
    commit since its last call (SQLite's data_version for the other
    connections, its own count of changes), nothing is read again; else the
    version is computed again only when the import journal, the database
    file or its birth changed (the needs' words change with the database's
    migrations and seed only)."""
    conn = db.conn
    mark = (conn.execute("pragma data_version").fetchone()[0], conn.total_changes)
    seen = _seen.get(db)
    if seen is not None and seen[0] == mark:
        return seen[1]
    path = conn.execute("pragma database_list").fetchone()[2]
    birth = conn.execute("select min(applied_at) from _sqlite_migrations")
    key = (
        path,
        os.stat(path).st_ino if path else id(conn),
        birth.fetchone()[0],
        data_version(db),
    )
    name = _versions.get(key)
    if name is None:
        name = version(db)
        if len(_versions) > 64:
            _versions.clear()
        _versions[key] = name
    found = (folder(db), name)
    _seen[db] = (mark, found)
    return found


def current(db):
    """The Engine matching the database now. When the index is behind (a
    process died between its commit and the switch), rebuild it first; while
    another process is rebuilding, answer from the previous version."""
    root, wanted = _wanted(db)
    name = _read_current(root)
    if name == wanted:
        return _open(root, name)
    with _locked(root, blocking=name is None) as mine:
        if mine:
            name = _build_locked(db, root)
        else:
            name = _read_current(root)
    return _open(root, name)


def refresh(db, ahead=None):
    """Bring the index up to the database's data version (after a commit);
    returns the version name. Waits for a build running elsewhere.

    :param ahead: a first import's index built while it was read (module
        `ahead`), adopted if it holds exactly the committed rows."""
    root, wanted = _wanted(db)
    if _read_current(root) == wanted:
        return wanted
    with _locked(root, blocking=True):
        return _build_locked(db, root, ahead=ahead)


def rebuild(db):
    """Build the current version again, whole (its files were found missing
    or unreadable); returns its Engine."""
    root = folder(db)
    with _locked(root, blocking=True):
        name = _build_locked(db, root, full=True)
    with _lock:
        _opened.pop(str(root / name), None)
    return _open(root, name)


def after_commit(db, ahead=None):
    """Refresh the index once a write has committed (not inside an outer
    transaction). A failure leaves the write done: the next search, seeing the
    index behind, rebuilds it. `ahead` (see `refresh`) is closed in any case."""
    try:
        if db.conn.in_transaction:
            return
        try:
            refresh(db, ahead)
        except (OSError, ValueError) as exc:
            logger.warning("Index de recherche non reconstruit : %s", exc)
    finally:
        if ahead is not None:
            ahead.close()


# Test hook: called between the new version's build and the pointer switch.
before_switch = None


def _build_locked(db, root, full=False, ahead=None):
    """Build the index of the database's current snapshot (lock held); with
    `full`, never from the previous version, even the same one."""
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("begin")  # one read snapshot for the version and the rows
    try:
        name = version(db)
        done = root / name / columns.FOLDER / columns.VALUES
        if not full and _read_current(root) == name and done.is_file():
            return name
        for stale in root.glob("tmp-*"):  # left by a process that died
            shutil.rmtree(stale, ignore_errors=True)
        sweep_ahead(root)
        work = root / f"tmp-{uuid.uuid4().hex}"
        previous = _read_current(root)
        if ahead is not None and not ahead.fits(conn):
            ahead = None
        ids = None if full or ahead else _changed(db, root, previous, name)
        if ids is None:
            _write(db, work, ahead)
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
            if not old.name.startswith(("tmp-", AHEAD)):
                shutil.rmtree(old, ignore_errors=True)
    return name


def _write(db, work, ahead=None):
    """Stream the services into a new version at `work`: the shown ones into
    the text index, every non-duplicate one into the columns, in the same
    pass; then the lexicon. With `ahead` (module `ahead`), the version built
    during the import instead, once the committed rows prove to be those it
    holds (else it is dropped and the rows indexed here)."""
    if ahead is not None:
        try:
            ahead.adopt(db.conn, work, need_texts(db), need_slugs(db))
            return
        except Mismatch as exc:
            logger.warning("Index préparé pendant l'import écarté (%s)", exc)
            shutil.rmtree(work, ignore_errors=True)
    (work / "main").mkdir(parents=True)
    index = tantivy.Index(schema(), path=str(work / "main"), reuse=False)
    register(index)
    writer = index.writer(heap_size=HEAP, num_threads=THREADS)
    needs = need_texts(db)
    (work / "besoins.json").write_text(json.dumps(needs), encoding="utf-8")
    make, add = Documents(), writer.add_json

    def each(rows):
        for row in rows:
            if row[1]:  # not closed: shown
                add(make(row))

    columns.write(db.conn, work / columns.FOLDER, need_slugs(db), COLUMNS, each)
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
    rewritten) minus the documents of `ids`, plus their current rows; the
    lexicon gains their words; the columns are patched (module `patch`), or
    written again when services were added or removed."""
    for part in ("main", "lexique"):
        (work / part).mkdir(parents=True)
        for file in (previous / part).iterdir():
            if file.is_file() and not file.name.endswith(".lock"):
                os.link(file, work / part / file.name)
    shutil.copyfile(previous / "besoins.json", work / "besoins.json")
    index = tantivy.Index.open(str(work / "main"))
    register(index)
    writer = index.writer(heap_size=HEAP // 2, num_threads=1)
    needs, make, texts = need_texts(db), Documents(), []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for sid in chunk:
            writer.delete_documents_by_term("id", sid)
        marks = ",".join("?" * len(chunk))
        for row in db.conn.execute(
            f"select {COLUMNS} from services where {SHOWN} and id in ({marks})", chunk
        ):
            writer.add_json(make(row))
            texts.append(json.loads(row[-1])[EXACT_FIELD])
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    update_lexicon(index.searcher(), EXACT_FIELD, work / "lexique", needs, texts)
    slugs, target = need_slugs(db), work / columns.FOLDER
    if not patch(db.conn, previous / columns.FOLDER, target, slugs, ids):
        columns.write(db.conn, target, slugs)


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
