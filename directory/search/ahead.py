"""The search index of a first import, built while the file is read.

A bulk import into an empty `services` table reads and validates its file on
one core; the index (text and columns), built after the commit, used both
cores for as long again. Here a child process (`python -m
directory.search.ahead`: its own interpreter, so no lock is shared with the
reading) builds the index version from the import's scratch file
(imports.spool: the services' columns, one row per new service in file
order) as it fills, each service under the rowid it will get: its row's rowid
in that file, which the writer then gives it explicitly (module
`imports.inserts`). The documents and columns are made by the same code as
the index build's, read from the scratch file instead of `services`.

After the commit, the index build adopts this version instead of building
one, but only once the committed rows prove to be those it holds: the import
is the journal's last entry and still applied, and a pass over `services`
finds every rowid, id and status the child read from the scratch file.
Otherwise (a write in between, a table no longer empty, an undo, a child that
failed) the index is built from SQLite as usual and this one is dropped.

Messages, one JSON line each: parent -> child `{"besoins": …, "slugs": …}`,
then `["spill", scratch file, rows]` after each spill and `["end", rows]`;
child -> parent, once done: `{"count", "ids", "active", "peak_mb"}` or
`{"error"}`. No Flask imports.
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
    for path in root.glob(f"{PREFIX}*"):
        pid = path.name[len(PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # alive, another user's


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

    def __init__(self, root, needs, slugs):
        root.mkdir(parents=True, exist_ok=True)
        sweep(root)
        self.path = root / f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
        self.path.mkdir()
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
        self._send({"besoins": needs, "slugs": slugs})

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
        """True when the child built a version of this import's rows and the
        database holds them and nothing else (checked row by row by
        `adopt`)."""
        if self.import_id is None or self._wait() is None:
            return False
        if self.result.get("count") != self.spooled:
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

    def adopt(self, conn, work):
        """Check every committed row against the child's, in the caller's
        read snapshot, then move the version to `work` (raises Mismatch)."""
        digest = Digest()
        cursor = conn.execute(
            "select rowid, statut is not 'ferme', id from services order by rowid"
        )
        while rows := cursor.fetchmany(columns.CHUNK):
            digest.add(rows)
        found = digest.value()
        wanted = {k: self.result.get(k) for k in found}
        if found != wanted:
            raise Mismatch(f"lignes différentes ({found['count']} lues)")
        os.rename(self.path / VERSION, work)

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
    """Build a version at `out` from the messages `lines` (an iterator of
    JSON lines); returns the digest of the rows read. Mismatch when the
    messages stop before their end."""
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
            # A spill being written makes this wait (a read never lasts long).
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
    target = out / columns.FOLDER
    if conn is None:  # nothing spilled: nothing to build from
        raise Mismatch("aucune ligne")
    # The columns while Tantivy's threads index what is left.
    columns.write(conn, target, spec["slugs"], table=SPOOL, where="1")
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    (out / "besoins.json").write_text(json.dumps(spec["besoins"]), encoding="utf-8")
    build_lexicon(index.searcher(), EXACT_FIELD, out / "lexique", spec["besoins"])
    conn.close()
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
