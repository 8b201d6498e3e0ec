"""The text index of a first import, built while the file is read.

A bulk import into an empty `services` table reads and validates its file on
one core; the text index, built after the commit, used both cores for as long
again. Here a child process (`python -m directory.search.ahead`: its own
interpreter, so no lock is shared with the reading, and a lower priority, so
the reading keeps its core) indexes the import's scratch file (imports.spool:
the services' columns, one row per new service in file order) as it fills,
each service under the rowid it will get: its row's rowid in that file, which
the writer then gives it explicitly (module `imports.inserts`). Documents are
made by the same SQL and code as the index build's, read from the scratch
file instead of `services`; the child also writes the typo lexicon.

After the commit, the index build adopts that text index instead of making
one, but only once the committed rows prove to be those it holds: the import
is the journal's last entry and still applied, and the pass that writes the
columns (in the importing process, while the child finishes) checks every
rowid, id and status against those the child read. Otherwise (a write in
between, a table no longer empty, an undo, a child that failed) the index is
built from SQLite as usual and the child's is dropped.

Messages, one JSON line each: parent -> child `{"besoins": …}`, then
`["spill", scratch file, rows]` after each spill and `["end", rows]`; child ->
parent, once done: `{"count", "ids", "active", "peak_mb"}`, or an error's
text. No Flask imports.
"""

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
import weakref
from pathlib import Path

import numpy as np
import tantivy

from ..catalogue.bulk import left_by_dead
from . import columns
from .analysis import register
from .documents import COLUMNS, EXACT_FIELD, Documents, schema
from .lexicon import build_lexicon

PREFIX = "ahead-"  # then the pid of the importing process
HEAP = 64_000_000
THREADS = 2  # indexing threads of the child
NICE = 10  # the child's scheduling niceness (the reading is the critical path)
VERSION = "version"  # the built version's folder, in the child's folder
ID = columns.WIDTH + 1  # a spool row read as COLUMNS, then the id
SPOOL = "spool"  # imports.spool's table


class Mismatch(Exception):
    """The committed rows are not those indexed ahead, or the child failed."""


def sweep(root):
    """Remove the folders of importing processes that died."""
    for path in left_by_dead(root, PREFIX):
        shutil.rmtree(path, ignore_errors=True)


class Digest:
    """What identifies rows in rowid order: their rowids (1, 2, … n), ids and
    statuses; fed chunk by chunk."""

    def __init__(self):
        self.count, self._ids, self._active = 0, hashlib.sha1(), hashlib.sha1()

    def add(self, rows, rowid=0, active=1, ident=2):
        if not rows:
            return
        rowids = np.fromiter((r[rowid] for r in rows), np.int64, len(rows))
        expected = np.arange(self.count + 1, self.count + len(rows) + 1)
        if not np.array_equal(rowids, expected):
            raise Mismatch("rowid")
        self._ids.update(("\n".join([r[ident] for r in rows]) + "\n").encode())
        self._active.update(bytes([1 if r[active] else 0 for r in rows]))
        self.count += len(rows)

    def value(self):
        return {
            "count": self.count,
            "ids": self._ids.hexdigest(),
            "active": self._active.hexdigest(),
        }


def _end(process, path):
    """Stop a child still running and remove its folder."""
    if process.poll() is None:
        process.kill()
    for pipe in (process.stdin, process.stdout):
        with contextlib.suppress(OSError):
            pipe.close()
    process.wait()
    shutil.rmtree(path, ignore_errors=True)


class Ahead:
    """The child building an index version from an import's spool as it
    spills (`spilled`, then `finish`); its folder is removed when it is
    closed or dropped, its version moved away when adopted."""

    def __init__(self, root, needs):
        root.mkdir(parents=True, exist_ok=True)
        sweep(root)
        self.path = root / f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
        self.path.mkdir()
        self.needs = needs
        self.spooled = 0  # spool rows announced to the child
        self.import_id = None  # set by the writer once the rows are inserted
        self.error = None
        self.result = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._finalizer = weakref.finalize(self, _end, self.process, self.path)
        self._send({"besoins": needs})

    def _send(self, message):
        if self.error is not None:
            return
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except OSError as exc:  # the child died
            self.error = exc

    def spilled(self, path, count):
        """The spool at `path` holds its first `count` rows (Spool's listener)."""
        self.spooled = count
        self._send(["spill", str(path), count])

    def finish(self, count):
        """The spool is complete with `count` rows: the child builds the rest."""
        self._send(["end", count])

    def _wait(self):
        """The child's result, once it has exited (None if it failed)."""
        if self.result is None and self.error is None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            out = self.process.stdout.read()
            self.process.stdout.close()
            if self.process.wait() == 0:
                self.result = json.loads(out)
            else:
                self.error = Mismatch(out.strip() or "échec")
        return self.result

    # -- after the commit ---------------------------------------------------

    def fits(self, conn):
        """True when the database holds this import's rows and nothing else
        happened since (checked row by row by `adopt`)."""
        if self.import_id is None or self.error is not None:
            return False
        if self.process.poll() not in (None, 0):  # the child failed
            return False
        last = conn.execute("select max(id) from imports").fetchone()[0]
        if last != self.import_id:
            return False
        status = conn.execute(
            "select statut from imports where id = ?", [self.import_id]
        ).fetchone()[0]
        counted = conn.execute(
            "select count(*), count(doublon_de) from services"
        ).fetchone()
        return status == "applique" and counted == (self.spooled, 0)

    def adopt(self, conn, work, needs, slugs):
        """A version at `work`: the columns written here from `services` (in
        the caller's read snapshot) while the child finishes, each row checked
        against the child's, then the child's text index and lexicon (raises
        Mismatch)."""
        if needs != self.needs:
            raise Mismatch("besoins modifiés")
        work.mkdir(parents=True)
        digest = Digest()
        columns.write(
            conn,
            work / columns.FOLDER,
            slugs,
            f"{columns.SELECT}, id",
            lambda rows: digest.add(rows, 0, 1, columns.WIDTH),
        )
        if self._wait() is None:
            raise Mismatch(str(self.error))
        found = digest.value()
        wanted = {k: self.result.get(k) for k in found}
        if found != wanted:
            raise Mismatch(f"lignes différentes ({found['count']} lues)")
        for name in ("main", "lexique"):
            os.rename(self.path / VERSION / name, work / name)
        (work / "besoins.json").write_text(json.dumps(needs), encoding="utf-8")

    def close(self):
        """Stop the child if needed and remove the folder (idempotent)."""
        self._finalizer()


# -- the child ---------------------------------------------------------------


def _peak_mb():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def build(lines, out):
    """Build the text index and the lexicon at `out` from the messages
    `lines` (an iterator of JSON lines); returns the digest of the rows read.
    Mismatch when the messages stop before their end."""
    spec = json.loads(next(lines))
    (out / "main").mkdir(parents=True)
    index = tantivy.Index(schema(), path=str(out / "main"), reuse=False)
    register(index)
    writer = index.writer(heap_size=HEAP, num_threads=THREADS)
    make, digest, conn, done = Documents(), Digest(), None, 0
    select = (
        f"select {COLUMNS}, id from {SPOOL} where rowid > ? and rowid <= ?"
        " order by rowid"
    )
    for line in lines:
        message = json.loads(line)
        if message[0] == "end":
            if message[1] != done:
                raise Mismatch(f"{done} lignes lues, {message[1]} annoncées")
            break
        _, path, upto = message
        if conn is None:
            # The scratch file is in WAL mode: reading never blocks its writer.
            conn = sqlite3.connect(path, timeout=600)
        # Read whole, then index: no read stays open on the scratch file.
        rows = conn.execute(select, [done, upto]).fetchall()
        digest.add(rows, 0, 1, ID)
        for row in rows:
            if row[1]:  # not closed: shown
                writer.add_json(make(row))
        done = upto
    else:
        raise Mismatch("import interrompu")
    if conn is None:  # nothing spilled: nothing to build from
        raise Mismatch("aucune ligne")
    conn.close()
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    build_lexicon(index.searcher(), EXACT_FIELD, out / "lexique", spec["besoins"])
    return digest.value()


def main(argv):
    folder = Path(argv[0])
    # The importing process's reading comes first; this uses what it leaves.
    os.nice(NICE)
    try:
        result = build(iter(sys.stdin), folder / VERSION)
    except (Mismatch, OSError, ValueError, sqlite3.Error, StopIteration) as exc:
        print(f"{type(exc).__name__}: {exc}")
        return 1
    print(json.dumps({**result, "peak_mb": _peak_mb()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
