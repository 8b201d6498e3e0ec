"""A list of validated records that spills to disk past a threshold, so that
an import's memory stays bounded whatever the file's size. No Flask imports.

Below SPOOL_AT records a Spool is a plain in-memory list (web uploads, previews
and pending uploads never touch the disk); past it, the records go by batches
to a scratch SQLite file of their own in the temporary folder (never the
database), removed when the spool is closed or dropped (the files of killed
processes, named with their pid, by the next spool). The writer attaches it
and copies it into `services` in SQL, in id order (module `inserts`), without
making Python objects of the rows again.
"""

import contextlib
import itertools
import os
import sqlite3
import tempfile
import weakref
from pathlib import Path

from ..catalogue.bulk import left_by_dead

SPOOL_AT = 10_000  # records held in memory; the tests lower it
TABLE = "spool"
PREFIX = "import-spool-"  # then the pid of the process that writes it


def _remove(conn, path):
    # Removed first: a WAL spool's closing copies its WAL into nothing.
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + suffix)
    conn.close()


def _sweep(folder):
    """Remove the scratch files of killed processes (named with their pid)."""
    for path in left_by_dead(Path(folder), PREFIX):
        with contextlib.suppress(OSError):
            path.unlink()


class Spool:
    """Append-only sequence of tuples of `columns` (Records): len()-able,
    iterable, sliced from its start, equal to the list of its items.

    :param wrap: turns a stored tuple back into an item (e.g. Record).
    :param spill: False keeps every item in memory.
    :param limit: records held in memory before a batch is spilled (default:
        the module's SPOOL_AT when the spool is made).
    """

    def __init__(self, wrap=tuple, *, columns=(), limit=None, spill=True):
        self.wrap, self.columns, self.spill = wrap, tuple(columns), spill
        self.limit = limit or SPOOL_AT
        self.path = None  # the scratch file, once spilled
        self.ordered = True  # first items strictly ascending so far
        self._items, self._count, self._last = [], 0, None
        self._conn = self._finalizer = None
        # Called with (scratch file, rows in it) after each spill: another
        # connection may read them (e.g. search.ahead indexes them).
        self.listener = None

    def append(self, item):
        key = item[0]
        if self.ordered and self._last is not None and not key > self._last:
            self.ordered = False
        self._last = key
        self._items.append(item)
        self._count += 1
        if len(self._items) >= self.limit and self.spill:
            self._spill()

    @property
    def spilled(self):
        """True once rows live in the scratch file."""
        return self.path is not None

    def _spill(self):
        if self._conn is None:
            folder = tempfile.gettempdir()
            _sweep(folder)
            handle, path = tempfile.mkstemp(
                prefix=f"{PREFIX}{os.getpid()}-", suffix=".db", dir=folder
            )
            os.close(handle)
            # Scratch data: no journal, no sync; any thread may read it back.
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._finalizer = weakref.finalize(self, _remove, conn, path)
            if self.listener is None:
                conn.execute("pragma journal_mode = off")
            else:  # read while written: WAL (no reader blocks it), appended
                conn.execute("pragma journal_mode = wal")  # to, never copied
                conn.execute("pragma wal_autocheckpoint = 0")
            conn.execute("pragma synchronous = off")
            names = ", ".join(f"[{c}]" for c in self.columns)
            conn.execute(f"create table {TABLE} ({names})")
            self._conn, self.path = conn, path
        items = self._items
        # Plain tuples: sqlite3 would read a tuple subclass (Record) item by
        # item through its Python __getitem__.
        if items and type(items[0]) is not tuple:
            items = [tuple(item) for item in items]
        marks = ", ".join("?" * len(self.columns))
        self._conn.execute("begin")
        self._conn.executemany(f"insert into {TABLE} values ({marks})", items)
        self._conn.execute("commit")
        self._items = []
        if self.listener is not None:
            self.listener(self.path, self._count)

    def index(self):
        """Index the spilled rows by id (their first column), for ordered reads."""
        first = self.columns[0]
        self._conn.execute(
            f"create index if not exists {TABLE}_{first} on {TABLE} ([{first}])"
        )

    def batches(self, size=1000):
        """Lists of plain tuples, in the order of appending."""
        if self._conn is not None:
            cursor = self._conn.execute(f"select * from {TABLE} order by rowid")
            while rows := cursor.fetchmany(size):
                yield rows
        if self._items:
            yield [tuple(item) for item in self._items]

    def flush(self):
        """Spill what is still in memory, when the spool is on disk already."""
        if self.path is not None and self._items:
            self._spill()

    def __iter__(self):
        for batch in self.batches():
            yield from map(self.wrap, batch)

    def __len__(self):
        return self._count

    def __bool__(self):
        return self._count > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.start or index.step or index.stop is None or index.stop < 0:
                return list(self)[index]
            return list(itertools.islice(self, index.stop))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("spool index out of range")
        return next(itertools.islice(self, index, None))

    def __eq__(self, other):
        if isinstance(other, Spool | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"<Spool of {self._count}{' (on disk)' if self.spilled else ''}>"

    def close(self):
        """Forget everything; the scratch file is removed."""
        if self._finalizer is not None:
            self._finalizer()
        self.path = self._conn = self._finalizer = None
        self._items, self._count = [], 0
