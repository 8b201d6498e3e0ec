"""Online backup and checked restore of the SQLite database (no Flask).

Both directions go through SQLite's online backup API (`Connection.backup`):

- `backup` copies the live database in ONE step, which reads it inside a
  single read transaction: with WAL, writers keep going and the copy is the
  state of one commit, never half an import.
- `restore` never swaps files under a running application. Replacing the file
  (os.replace) while workers hold connections would leave them on the old
  inode, and pair the new file with the old `-wal`/`-shm` files, which is one
  of the documented ways to corrupt a SQLite database. Instead the checked
  copy is written INTO the live database by the backup API, as one write
  transaction through its own WAL: readers see the old state or the new one,
  and a failure midway rolls back, leaving the database as it was.
"""

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import sqlite_utils

from . import schema
from .catalogue.times import now
from .imports.records import RESTORE_PREFIX

TIMEOUT_S = 10


class BackupError(Exception):
    """A backup or restore refused or failed (French message)."""


def code_migrations():
    """Names of the schema migrations this version of the code knows."""
    return [
        m.name for m in schema.migrations.pending(sqlite_utils.Database(memory=True))
    ]


def backup(source, destination):
    """Write a consistent copy of the database `source` to `destination`.

    The copy is made next to `destination` and renamed into place only when
    complete and checked, so a failed backup never leaves a half file there.
    """
    source, destination = Path(source), Path(destination)
    if not source.exists():
        raise BackupError(f"Base introuvable : {source}.")
    if destination.is_dir():
        raise BackupError(f"{destination} est un dossier : donnez un nom de fichier.")
    if destination.resolve() == source.resolve():
        raise BackupError("La sauvegarde ne peut pas remplacer la base elle-même.")
    folder = destination.parent
    if not folder.is_dir():
        raise BackupError(f"Dossier introuvable : {folder}.")
    fd, tmp = tempfile.mkstemp(prefix=".sauvegarde-", suffix=".db", dir=folder)
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=TIMEOUT_S)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)  # pages=-1: one step, one read snapshot
                # A single self-contained file (no -wal beside it).
                dst.execute("PRAGMA journal_mode = DELETE")
                problem = _integrity(dst)
            finally:
                dst.close()
        finally:
            src.close()
        if problem:
            raise BackupError(f"La copie obtenue est incohérente ({problem}).")
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return destination


def _integrity(conn):
    """None when PRAGMA integrity_check says ok, else its first messages."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
    return None if rows == ["ok"] else "; ".join(rows)


def check(conn, name):
    """Refuse a copy that is damaged, foreign or from a newer version of the code.

    Returns the code migrations the copy lacks (an older backup)."""
    try:
        problem = _integrity(conn)
    except sqlite3.DatabaseError:
        raise BackupError(
            f"« {name} » n'est pas une base SQLite lisible (fichier endommagé ou "
            "d'un autre format)."
        ) from None
    if problem:
        raise BackupError(
            f"« {name} » est endommagé : le contrôle d'intégrité signale {problem}."
        )
    db = sqlite_utils.Database(conn)
    applied = [m.name for m in schema.migrations.applied(db)]
    if not applied or not db["services"].exists():
        raise BackupError(
            f"« {name} » n'est pas une sauvegarde de l'annuaire "
            "(aucune migration « directory », ou pas de table des services)."
        )
    known = code_migrations()
    unknown = [m for m in applied if m not in known]
    if unknown:
        raise BackupError(
            f"« {name} » vient d'une version plus récente de l'application "
            f"(migrations inconnues : {', '.join(unknown)}) : mettez l'application "
            "à jour avant de la restaurer."
        )
    return [m for m in known if m not in applied]


def restore(copy, database, *, user="restauration"):
    """Check `copy`, then write it into `database` in one transaction.

    Returns the migrations applied to bring an older copy up to date. Raises
    BackupError, the database untouched, when the copy is refused."""
    copy, database = Path(copy), Path(database)
    if not copy.is_file():
        raise BackupError(f"Fichier introuvable : {copy}.")
    folder = database.parent
    folder.mkdir(parents=True, exist_ok=True)
    # Work on a private copy: the file checked is exactly the file restored,
    # and migrating an older backup never touches the original.
    work = Path(tempfile.mkdtemp(prefix=".restauration-", dir=folder))
    try:
        private = work / "copie.db"
        shutil.copyfile(copy, private)
        conn = sqlite3.connect(private, isolation_level=None)
        try:
            missing = check(conn, copy.name)
            db = sqlite_utils.Database(conn)
            if missing:
                schema.migrations.apply(db)
            _record(db, database, copy.name, user)
            _match_page_size(conn, database)
            _write_into(conn, database)
        finally:
            conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return missing


def _record(db, database, name, user):
    """Log the restore in the copy's import journal, with an id above every id
    the live database has used: the data version (max import id) is new, so
    no process keeps a search index built for a state that was discarded."""
    top = db.execute("select coalesce(max(id), 0) from imports").fetchone()[0]
    if database.exists():
        live = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=TIMEOUT_S)
        try:
            top = max(
                top, live.execute("select max(id) from imports").fetchone()[0] or 0
            )
        except sqlite3.DatabaseError:
            pass  # a damaged or empty live database: the copy replaces it anyway
        finally:
            live.close()
    db["imports"].insert(
        {
            "id": top + 1,
            "utilisateur": user,
            "fichier": f"{RESTORE_PREFIX}{name}",
            "cree_le": now(),
            "lignes": 0,
            "nouveaux": 0,
            "modifies": 0,
            "inchanges": 0,
            "fermes": 0,
            "statut": "applique",
        }
    )


def _match_page_size(conn, database):
    """The backup API cannot change a WAL database's page size: give the copy
    the live database's one (VACUUM rewrites the private copy)."""
    if not database.exists() or database.stat().st_size == 0:
        return
    live = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=TIMEOUT_S)
    try:
        size = live.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.DatabaseError:
        return
    finally:
        live.close()
    if conn.execute("PRAGMA page_size").fetchone()[0] != size:
        conn.execute(f"PRAGMA page_size = {int(size)}")
        conn.execute("VACUUM")


def _write_into(conn, database):
    """Copy every page of `conn` into the live database (one write transaction)."""
    live = sqlite3.connect(database, timeout=TIMEOUT_S)
    try:
        live.execute(f"PRAGMA busy_timeout = {TIMEOUT_S * 1000}")
        conn.backup(live)
        live.execute("PRAGMA journal_mode = WAL")
        problem = _integrity(live)
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"La restauration a échoué ({exc}) : la base n'a pas été modifiée."
        ) from None
    finally:
        live.close()
    if problem:  # pragma: no cover - the copy was checked just before
        raise BackupError(f"Base incohérente après restauration ({problem}).")
